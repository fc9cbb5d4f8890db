package config

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Directives that restrict access or change which commands exist. Vigil must
// never run with less protection than its configuration asks for, so what it
// cannot honour is refused at load time (a FATAL CONFIG FILE ERROR naming the
// line) instead of being stored and ignored:
//
//   - user: only the default user with all permissions and nopass or one
//     password, which is requirepass (Redis's CONFIG REWRITE writes
//     `user default on #<sha256> ~* &* +@all` next to requirepass);
//   - aclfile: any file;
//   - tls-port other than 0 and tls-replication yes: Vigil has no TLS, and a
//     replica would send masterauth in clear text;
//   - rename-command is honoured: the loader checks each line against the
//     command table it is given (Options.Commands) as Redis does.
const (
	msgUsers    = "ACL users are not supported by Vigil: only the default user with all permissions ('user default on nopass|>password ~* &* +@all') is accepted"
	msgUserHash = "ACL password hashes are not supported by Vigil unless requirepass gives the same password"
	// msgUserTwice is Redis's text for a second line of the same user.
	msgUserTwice = "Error in user declaration 'default': Duplicate user found. A user can only be defined once in config files"
	msgACLFile   = "ACL files are not supported by Vigil"
	msgTLS       = "TLS is not supported by Vigil"
	// msgNoSuchCommand and msgRenameExists are Redis's rename-command errors.
	msgNoSuchCommand = "No such command in rename-command"
	msgRenameExists  = "Target command name already exists"
)

// defaultUserRules are the rules that give the default user every key, channel
// and command, in each of their spellings; every group must be present.
func defaultUserRules() [][]string {
	return [][]string{{"on"}, {"~*", "allkeys"}, {"&*", "allchannels"}, {"+@all", "allcommands"}}
}

// defaultUser is what an accepted `user default ...` line says about the
// password: nopass, one password in clear (>pass) or one SHA-256 hash (#hex),
// the form redis-server's CONFIG REWRITE writes when requirepass is set.
type defaultUser struct {
	nopass bool
	pass   string // the password of >pass
	hash   string // the lower-case hex SHA-256 of #hash
}

// parseDefaultUser accepts a `user` line only when it describes the default user
// with all permissions and nopass or a single password: Vigil's requirepass.
// Redis resets the default user, then applies the rules in order; with these
// rules the order does not matter.
func parseDefaultUser(args []string) (defaultUser, error) {
	var u defaultUser
	if len(args) == 0 || args[0] != "default" {
		return u, reason(msgUsers)
	}
	rules := defaultUserRules()
	seen := make([]bool, len(rules))
	passwords := 0
	for _, rule := range args[1:] {
		switch {
		case strings.EqualFold(rule, "nopass"):
			u.nopass = true
			continue
		case len(rule) > 1 && rule[0] == '>':
			u.pass, passwords = rule[1:], passwords+1
			continue
		case strings.HasPrefix(rule, "#") && isSHA256Hex(rule[1:]):
			u.hash, passwords = rule[1:], passwords+1
			continue
		}
		group := -1
		for g, spellings := range rules {
			if indexFold(spellings, rule) >= 0 {
				group = g
			}
		}
		if group < 0 {
			return u, reason(msgUsers)
		}
		seen[group] = true
	}
	for _, ok := range seen {
		if !ok {
			return u, reason(msgUsers)
		}
	}
	if passwords > 1 || passwords == 1 && u.nopass || passwords == 0 && !u.nopass {
		return u, reason(msgUsers)
	}
	return u, nil
}

// requirePass returns the requirepass that honours the line, given the one
// configured: Redis applies user lines after every other directive, so a
// password there replaces requirepass; a hash must be requirepass's (Vigil
// cannot check a password against a hash it did not derive). With nopass the
// configured requirepass is kept: Redis would drop it, Vigil never runs with
// less protection than configured.
func (u defaultUser) requirePass(configured string) (string, error) {
	switch {
	case u.hash != "":
		sum := sha256.Sum256([]byte(configured))
		if configured == "" || hex.EncodeToString(sum[:]) != u.hash {
			return "", reason(msgUserHash)
		}
	case u.pass != "":
		return u.pass, nil
	}
	return configured, nil
}

// defaultUserLine is the line redis-server's CONFIG REWRITE writes for the
// default user with all permissions and requirepass pass.
func defaultUserLine(pass string) string {
	if pass == "" {
		return "user default on nopass ~* &* +@all"
	}
	sum := sha256.Sum256([]byte(pass))
	return "user default on #" + hex.EncodeToString(sum[:]) + " ~* &* +@all"
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
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
