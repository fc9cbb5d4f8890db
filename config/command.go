package config

import (
	"fmt"
	"strings"
)

// KV is one CONFIG GET result: the name as matched and the value's text.
type KV struct {
	// Key is the directive name as Redis returns it: the requested text for an
	// exact name, the table name (or alias) for a pattern match.
	Key string
	// Value is the CONFIG GET text of the value.
	Value string
}

// lookup finds a directive by name or alias, case-insensitively.
func lookup(table []Directive, name string) *Directive {
	for i := range table {
		d := &table[i]
		if strings.EqualFold(d.Name, name) || (d.Alias != "" && strings.EqualFold(d.Alias, name)) {
			return d
		}
	}
	return nil
}

// Lookup returns the directive named name (or aliased so), case-insensitively.
func Lookup(name string) (Directive, bool) {
	d := lookup(Directives(), name)
	if d == nil {
		return Directive{}, false
	}
	return *d, true
}

// Get implements CONFIG GET like Redis 7.0: a pattern without * ? [ is an exact
// (case-insensitive) lookup returned under the text asked for, hidden
// directives included; a glob pattern matches names and aliases with Glob,
// skipping hidden directives. Each key is listed once, in first-match order.
func Get(cfg *Server, patterns []string) []KV {
	table := Directives()
	var out []KV
	seen := map[string]bool{} // lower-case keys already in out
	add := func(key string, d *Directive) {
		seen[strings.ToLower(key)] = true
		out = append(out, KV{Key: key, Value: d.get(cfg)})
	}
	for _, p := range patterns {
		if !strings.ContainsAny(p, "[*?") {
			if seen[strings.ToLower(p)] {
				continue
			}
			if d := lookup(table, p); d != nil {
				add(p, d)
			}
			continue
		}
		for i := range table {
			d := &table[i]
			if d.Hidden || seen[d.Name] {
				continue
			}
			for _, key := range []string{d.Name, d.Alias} {
				if key != "" && !seen[key] && Glob(p, key, true) {
					add(key, d)
				}
			}
		}
	}
	return out
}

// SetError is a CONFIG SET failure; Error is Redis's reply text without '-'.
type SetError struct {
	// Arg is the directive name as the client sent it.
	Arg string
	// Reason is Redis's explanation ("can't set immutable config", ...), or ""
	// for an unknown directive.
	Reason string
	// Unknown is set when Arg names no directive.
	Unknown bool
}

// Error returns the reply text, e.g. "ERR CONFIG SET failed (possibly related
// to argument 'databases') - can't set immutable config".
func (e *SetError) Error() string {
	if e.Unknown {
		return fmt.Sprintf(msgSetUnknown, e.Arg)
	}
	if e.Reason == reasonLoading {
		return reasonLoading
	}
	msg := fmt.Sprintf(msgSetFailed, e.Arg)
	if e.Reason != "" {
		msg += " - " + e.Reason
	}
	return msg
}

// SetOptions qualifies a CONFIG SET call.
type SetOptions struct {
	// LocalClient reports that the client is connected over loopback or a Unix
	// socket, which allows protected directives under enable-protected-configs local.
	LocalClient bool
	// Loading reports that a dataset is being loaded, which refuses DenyLoading directives.
	Loading bool
}

// Set implements CONFIG SET with default options; see SetWith.
func Set(cfg *Server, pairs [][2]string) ([]string, error) {
	return SetWith(cfg, pairs, SetOptions{})
}

// SetWith implements CONFIG SET like Redis 7.0: every name is checked first
// (unknown, immutable, protected, duplicate: the first problem is reported),
// then the values are set in order; if one fails, all are restored and the
// error names it. Multi-argument values are split on single spaces. It returns
// the canonical names of the directives whose value changed, so that the
// server can react (rebind, resize the backlog, ...).
func SetWith(cfg *Server, pairs [][2]string, opt SetOptions) ([]string, error) {
	table := Directives()
	dirs := make([]*Directive, len(pairs))
	for i, p := range pairs {
		d := lookup(table, p[0])
		if d == nil {
			return nil, &SetError{Arg: p[0], Unknown: true}
		}
		switch {
		case !d.Mutable:
			return nil, &SetError{Arg: p[0], Reason: reasonImmutable}
		case d.Protected && !protectedAllowed(cfg.EnableProtectedConfigs, opt.LocalClient):
			return nil, &SetError{Arg: p[0], Reason: reasonProtected}
		case d.DenyLoading && opt.Loading:
			return nil, &SetError{Arg: p[0], Reason: reasonLoading}
		}
		for j := 0; j < i; j++ {
			if dirs[j] == d {
				return nil, &SetError{Arg: p[0], Reason: reasonDuplicate}
			}
		}
		dirs[i] = d
	}
	backup := cfg.Clone()
	before := make([]string, len(pairs))
	for i, d := range dirs {
		before[i] = d.get(cfg)
	}
	for i, d := range dirs {
		if err := d.set(cfg, setArgs(d, pairs[i][1])); err != nil {
			*cfg = *backup
			return nil, &SetError{Arg: pairs[i][0], Reason: err.Error()}
		}
	}
	var changed []string
	for i, d := range dirs {
		if d.get(cfg) != before[i] {
			changed = append(changed, d.Name)
		}
	}
	return changed, nil
}

// setArgs splits a CONFIG SET value like performInterfaceSet: multi-argument
// directives split on single spaces ("" gives no argument).
func setArgs(d *Directive, v string) []string {
	if !d.MultiArg {
		return []string{v}
	}
	if v == "" {
		return nil
	}
	return strings.Split(v, " ")
}

func protectedAllowed(mode string, local bool) bool {
	return mode == "yes" || (mode == "local" && local)
}
