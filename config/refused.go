package config

import "strings"

// Directives that restrict access or change which commands exist. Vigil must
// never run with less protection than its configuration asks for, so what it
// cannot honour is refused at load time (a FATAL CONFIG FILE ERROR naming the
// line) instead of being stored and ignored:
//
//   - user: only the default user, unchanged (on nopass ~* &* +@all), is
//     accepted; Redis writes that line into a rewritten sentinel.conf;
//   - aclfile: any file;
//   - tls-port other than 0 and tls-replication yes: Vigil has no TLS, and a
//     replica would send masterauth in clear text;
//   - rename-command is honoured: the loader checks each line against the
//     command table it is given (Options.Commands) as Redis does.
const (
	msgUsers   = "ACL users are not supported by Vigil: only 'user default on nopass ~* &* +@all' (the default user unchanged) is accepted"
	msgACLFile = "ACL files are not supported by Vigil"
	msgTLS     = "TLS is not supported by Vigil"
	// msgNoSuchCommand and msgRenameExists are Redis's rename-command errors.
	msgNoSuchCommand = "No such command in rename-command"
	msgRenameExists  = "Target command name already exists"
)

// defaultUserRules are the rules that describe the default user unchanged, in
// each of their spellings; every group must be present.
func defaultUserRules() [][]string {
	return [][]string{{"on"}, {"nopass"}, {"~*", "allkeys"}, {"&*", "allchannels"}, {"+@all", "allcommands"}}
}

// checkUser accepts a `user` line only when it leaves the default user as it
// is (Redis resets the default user, then applies the rules in order; with
// only these rules the order does not matter).
func checkUser(args []string) error {
	if len(args) == 0 || args[0] != "default" {
		return reason(msgUsers)
	}
	rules := defaultUserRules()
	seen := make([]bool, len(rules))
	for _, rule := range args[1:] {
		group := -1
		for g, spellings := range rules {
			if indexFold(spellings, rule) >= 0 {
				group = g
			}
		}
		if group < 0 {
			return reason(msgUsers)
		}
		seen[group] = true
	}
	for _, ok := range seen {
		if !ok {
			return reason(msgUsers)
		}
	}
	return nil
}

// noACLFile refuses any aclfile but the empty default.
func noACLFile(v string) error {
	if v != "" {
		return reason(msgACLFile)
	}
	return nil
}

// noTLSPort refuses a TLS listener.
func noTLSPort(n int64) (int64, error) {
	if n != 0 {
		return 0, reason(msgTLS)
	}
	return n, nil
}

// refuseYes makes a boolean directive refuse "yes" with msg.
func refuseYes(d Directive, msg string) Directive {
	set := d.set
	d.set = func(s *Server, args []string) error {
		if b, ok := yesNo(args[0]); ok && b {
			return reason(msg)
		}
		return set(s, args)
	}
	return d
}

// RenameCommand applies one rename-command line to a command table keyed by
// lower-case name, as Redis's config loader does: the command must exist
// (msgNoSuchCommand), an empty new name removes it, and the new name must not
// exist yet (msgRenameExists). The error text is Redis's reason.
func RenameCommand[T any](table map[string]T, old, renamed string) error {
	old = strings.ToLower(old)
	cmd, ok := table[old]
	if !ok {
		return reason(msgNoSuchCommand)
	}
	delete(table, old)
	if renamed == "" {
		return nil
	}
	renamed = strings.ToLower(renamed)
	if _, exists := table[renamed]; exists {
		return reason(msgRenameExists)
	}
	table[renamed] = cmd
	return nil
}
