package config

import (
	"errors"
	"fmt"
	"strings"
)

// ValidationError is one problem found by Validate.
type ValidationError struct {
	// Directive is the directive concerned.
	Directive string
	// Value is its CONFIG GET text.
	Value string
	// Reason explains the problem.
	Reason string
}

// Error returns "config: <directive> "<value>": <reason>".
func (e *ValidationError) Error() string {
	return fmt.Sprintf("config: %s %q: %s", e.Directive, e.Value, e.Reason)
}

// Validate checks s as a whole and reports every problem (errors.Join of
// *ValidationError): each value must pass the same validation as CONFIG SET
// (so a hand-built Server is held to the loader's rules), plus the cross-field
// rules redis-server applies at startup. It does no I/O (dir is not checked).
func (s *Server) Validate() error {
	var errs []error
	bad := func(d, v, r string) { errs = append(errs, &ValidationError{Directive: d, Value: v, Reason: r}) }
	table := Directives()
	for i := range table {
		d := &table[i]
		if d.Name == "dir" || d.Name == "replicaof" {
			continue
		}
		v := d.get(s)
		scratch := s.Clone()
		if err := d.set(scratch, setArgs(d, v)); err != nil {
			bad(d.Name, v, err.Error())
		} else if got := d.get(scratch); got != v && d.Name != "hz" {
			bad(d.Name, v, "not in canonical form, want "+repr(got))
		}
	}
	if s.Hz < 1 || s.Hz > 500 {
		bad("hz", fmt.Sprint(s.Hz), "must be between 1 and 500")
	}
	if s.Dir == "" {
		bad("dir", "", "must not be empty")
	}
	if s.ReplicaOf != "" {
		host, port, ok := s.Master()
		if !ok || host == "" || port < 0 || port > 65535 {
			bad("replicaof", s.ReplicaOf, "must be \"<host> <port>\"")
		}
		if extraLoad(s, "cluster-enabled", "no") == "yes" {
			bad("replicaof", s.ReplicaOf, msgClusterReplica)
		}
	}
	if s.Port == 0 && s.UnixSocket == "" && extraLoad(s, "tls-port", "0") == "0" {
		bad("port", "0", "no unixsocket and no tls-port either: configured to not listen anywhere")
	}
	for i, r := range s.RenameCommands {
		if r[0] == "" {
			bad("rename-command", fmt.Sprintf("%s %s", r[0], r[1]), fmt.Sprintf("entry %d has no command name", i))
		}
	}
	for i, u := range s.Users {
		if len(u) == 0 || u[0] == "" {
			bad("user", strings.Join(u, " "), fmt.Sprintf("entry %d has no user name", i))
		} else if du, err := parseDefaultUser(u); err != nil {
			bad("user", strings.Join(u, " "), err.Error())
		} else if pass, err := du.requirePass(s.RequirePass); err != nil || pass != s.RequirePass {
			bad("user", strings.Join(u, " "), "does not match requirepass")
		}
	}
	return errors.Join(errs...)
}
