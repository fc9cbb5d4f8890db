package config

import (
	"errors"
	"github.com/vigil-db/vigil/resp"
	"math"
	"strconv"
	"strings"
)

// This file holds the value codecs redis-server uses for its configuration:
// sdssplitargs quoting, sdscatrepr, memtoull, string2ll, yes/no, the
// notify-keyspace-events flags and the CONFIG REWRITE memory format.

// errUnbalancedQuotes is returned by splitArgs for a malformed line.
var errUnbalancedQuotes = errors.New("config: unbalanced quotes")

// splitArgs splits a line like Redis's sdssplitargs: arguments separated by
// blanks, "double quotes" with \n \r \t \b \a \xHH and \<c> escapes, and
// 'single quotes' with \' only. A closing quote must be followed by a blank or
// the end of the line. A NUL byte ends the line, as in C.
func splitArgs(line string) ([]string, error) {
	parts, ok := resp.SplitArgs([]byte(line), nil)
	if !ok {
		return nil, errUnbalancedQuotes
	}
	args := make([]string, len(parts))
	for i, p := range parts {
		args[i] = string(p)
	}
	return args, nil
}

// isCSpace is C's isspace in the C locale.
func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// repr quotes s like Redis's sdscatrepr, so that splitArgs(repr(s)) == [s].
func repr(s string) string { return string(resp.AppendRepr(nil, []byte(s))) }

// yesNo parses "yes"/"no" case-insensitively (Redis yesnotoi).
func yesNo(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "yes"):
		return true, true
	case strings.EqualFold(s, "no"):
		return false, true
	}
	return false, false
}

func fmtYesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// parseMemory parses a memory value like Redis's memtoull: digits followed by
// an optional unit b, k, kb, m, mb, g, gb (case-insensitive; k=1000, kb=1024).
// As in Redis, an empty number ("" or "kb") is 0.
func parseMemory(s string) (uint64, bool) {
	if strings.HasPrefix(s, "-") {
		return 0, false
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	var mul uint64
	switch strings.ToLower(s[i:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	if i >= 128 {
		return 0, false
	}
	if i == 0 {
		return 0, true
	}
	v, err := strconv.ParseUint(s[:i], 10, 64)
	if err != nil || v > math.MaxUint64/mul {
		return 0, false
	}
	return v * mul, true
}

// formatMemory writes bytes the way CONFIG REWRITE does: gb, mb or kb when exact.
func formatMemory(v int64) string {
	const kb, mb, gb = 1024, 1024 * 1024, 1024 * 1024 * 1024
	switch {
	case v != 0 && v%gb == 0:
		return strconv.FormatInt(v/gb, 10) + "gb"
	case v != 0 && v%mb == 0:
		return strconv.FormatInt(v/mb, 10) + "mb"
	case v != 0 && v%kb == 0:
		return strconv.FormatInt(v/kb, 10) + "kb"
	}
	return strconv.FormatInt(v, 10)
}

// parseLL parses an integer like Redis's string2ll: optional '-', no '+', no
// blanks, no leading zeros, within int64.
func parseLL(s string) (int64, bool) {
	if s == "" || len(s) > 20 {
		return 0, false
	}
	if s == "0" {
		return 0, true
	}
	d := s
	if d[0] == '-' {
		d = d[1:]
	}
	if d == "" || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	for i := 1; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}

// parseStrtoll parses like C strtoll(s, &end, base) with *end == '\0' required:
// leading blanks and a sign are allowed. It is what Redis uses for save points,
// soft seconds and octal values.
func parseStrtoll(s string, base int) (int64, bool) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	if t == "" {
		// strtoll of "" consumes nothing; *end == '\0' so Redis accepts it as 0.
		return 0, s == t
	}
	t = strings.TrimPrefix(t, "+")
	if strings.HasPrefix(t, "+") || strings.HasPrefix(t, "-+") {
		return 0, false
	}
	v, err := strconv.ParseInt(t, base, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) && validDigits(t, base) {
			if strings.HasPrefix(t, "-") {
				return math.MinInt64, true
			}
			return math.MaxInt64, true
		}
		return 0, false
	}
	return v, true
}

func validDigits(t string, base int) bool {
	t = strings.TrimPrefix(t, "-")
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		if d := t[i]; d < '0' || int(d-'0') >= base {
			return false
		}
	}
	return true
}

// Keyspace notification flags, as in Redis's server.h.
const (
	notifyKeyspace = 1 << iota
	notifyKeyevent
	notifyGeneric
	notifyString
	notifyList
	notifySet
	notifyHash
	notifyZset
	notifyExpired
	notifyEvicted
	notifyStream
	notifyKeyMiss
	notifyLoaded
	notifyModule
	notifyNew
	notifyAll = notifyGeneric | notifyString | notifyList | notifySet | notifyHash |
		notifyZset | notifyExpired | notifyEvicted | notifyStream | notifyModule
)

// parseKeyspaceEvents is Redis's keyspaceEventsStringToFlags; false on a bad class.
func parseKeyspaceEvents(s string) (int, bool) {
	flags := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'A':
			flags |= notifyAll
		case 'g':
			flags |= notifyGeneric
		case '$':
			flags |= notifyString
		case 'l':
			flags |= notifyList
		case 's':
			flags |= notifySet
		case 'h':
			flags |= notifyHash
		case 'z':
			flags |= notifyZset
		case 'x':
			flags |= notifyExpired
		case 'e':
			flags |= notifyEvicted
		case 'K':
			flags |= notifyKeyspace
		case 'E':
			flags |= notifyKeyevent
		case 't':
			flags |= notifyStream
		case 'm':
			flags |= notifyKeyMiss
		case 'd':
			flags |= notifyModule
		case 'n':
			flags |= notifyNew
		default:
			return 0, false
		}
	}
	return flags, true
}

// formatKeyspaceEvents is Redis's keyspaceEventsFlagsToString.
func formatKeyspaceEvents(flags int) string {
	var b strings.Builder
	if flags&notifyAll == notifyAll {
		b.WriteByte('A')
	} else {
		for _, f := range []struct {
			bit int
			c   byte
		}{{notifyGeneric, 'g'}, {notifyString, '$'}, {notifyList, 'l'}, {notifySet, 's'},
			{notifyHash, 'h'}, {notifyZset, 'z'}, {notifyExpired, 'x'}, {notifyEvicted, 'e'},
			{notifyStream, 't'}, {notifyModule, 'd'}, {notifyNew, 'n'}} {
			if flags&f.bit != 0 {
				b.WriteByte(f.c)
			}
		}
	}
	if flags&notifyKeyspace != 0 {
		b.WriteByte('K')
	}
	if flags&notifyKeyevent != 0 {
		b.WriteByte('E')
	}
	if flags&notifyKeyMiss != 0 {
		b.WriteByte('m')
	}
	return b.String()
}

// formatPercentile renders a float like Redis's "%f" followed by trimDoubleString.
func formatPercentile(f float64) string {
	s := strconv.FormatFloat(f, 'f', 6, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}

// parsePercentile parses like Redis's string2d (strtod of the whole string, no
// leading blank, no NaN).
func parsePercentile(s string) (float64, bool) {
	if s == "" || isCSpace(s[0]) || strings.Contains(s, "_") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}
