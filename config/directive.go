package config

import (
	"strconv"
	"strings"
	"time"
)

// Kind is the value type of a directive.
type Kind int

// Directive kinds.
const (
	// KindBool is yes/no.
	KindBool Kind = iota
	// KindInt is an integer within [Min, Max].
	KindInt
	// KindMemory is a byte count with optional units (1gb, 100mb, 5k) within [Min, Max].
	KindMemory
	// KindEnum is one of Enum (several for flag enums such as shutdown-on-sigint).
	KindEnum
	// KindString is free text, possibly validated.
	KindString
	// KindSpecial has its own syntax (save, bind, client-output-buffer-limit, ...).
	KindSpecial
)

// String returns the lower-case name of the kind.
func (k Kind) String() string {
	switch k {
	case KindBool:
		return "bool"
	case KindInt:
		return "int"
	case KindMemory:
		return "memory"
	case KindEnum:
		return "enum"
	case KindString:
		return "string"
	case KindSpecial:
		return "special"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// flag is a set of directive properties used to build the table.
type flag uint32

const (
	fImmutable   flag = 1 << iota // CONFIG SET refuses it
	fProtected                    // CONFIG SET needs enable-protected-configs
	fSensitive                    // value must be redacted from logs
	fHidden                       // not matched by CONFIG GET patterns
	fDenyLoading                  // CONFIG SET refused while loading
	fIgnored                      // accepted, stored, has no effect in Vigil
	fMulti                        // takes several arguments
	fEmptyNull                    // string: "" means unset (not rewritten)
	fPercent                      // numeric: also accepts N% (stored negative)
	fOctal                        // numeric: octal
)

// Directive describes one redis.conf directive: its names, type, limits and
// whether CONFIG SET may change it. The value accessors are internal.
type Directive struct {
	// Name is the canonical lower-case name (replica-read-only).
	Name string
	// Alias is the old name also accepted (slave-read-only), or "".
	Alias string
	// Kind is the value type.
	Kind Kind
	// Min and Max bound KindInt and KindMemory values.
	Min, Max int64
	// Enum lists the accepted values of a KindEnum directive.
	Enum []string
	// Mutable reports whether CONFIG SET may change the directive.
	Mutable bool
	// Protected directives need enable-protected-configs to be changed by CONFIG SET.
	Protected bool
	// Sensitive values (passwords) must never be logged.
	Sensitive bool
	// Hidden directives are only returned by CONFIG GET when named exactly.
	Hidden bool
	// DenyLoading directives cannot be changed while a dataset is loading.
	DenyLoading bool
	// MultiArg directives take several arguments (save 3600 1 300 100).
	MultiArg bool
	// Ignored directives are accepted and round-trip through CONFIG GET/SET/REWRITE
	// but have no effect in Vigil; using one yields a load warning.
	Ignored bool

	flags flag
	// get returns the CONFIG GET text.
	get func(*Server) string
	// set parses and stores args; the error text is Redis's reason.
	set func(*Server, []string) error
	// rewrite emits the CONFIG REWRITE lines.
	rewrite func(*Server, *rewriteState)
}

func (d *Directive) setFlags(f flag) {
	d.flags = f
	d.Mutable = f&fImmutable == 0
	d.Protected = f&fProtected != 0
	d.Sensitive = f&fSensitive != 0
	d.Hidden = f&fHidden != 0
	d.DenyLoading = f&fDenyLoading != 0
	d.MultiArg = f&fMulti != 0
	d.Ignored = f&fIgnored != 0
}

// reason is a validation failure whose text is exactly Redis's.
type reason string

func (r reason) Error() string { return string(r) }

// --- storage adapters: typed fields of Server or the Extra map ---

type boolVar struct {
	load  func(*Server) bool
	store func(*Server, bool)
}

type intVar struct {
	load  func(*Server) int64
	store func(*Server, int64)
}

type strVar struct {
	load  func(*Server) string
	store func(*Server, string)
}

func fBool(p func(*Server) *bool) boolVar {
	return boolVar{func(s *Server) bool { return *p(s) }, func(s *Server, v bool) { *p(s) = v }}
}

func fInt(p func(*Server) *int) intVar {
	return intVar{func(s *Server) int64 { return int64(*p(s)) }, func(s *Server, v int64) { *p(s) = int(v) }}
}

func fInt64(p func(*Server) *int64) intVar {
	return intVar{func(s *Server) int64 { return *p(s) }, func(s *Server, v int64) { *p(s) = v }}
}

func fSeconds(p func(*Server) *time.Duration) intVar {
	return intVar{
		func(s *Server) int64 { return int64(*p(s) / time.Second) },
		func(s *Server, v int64) { *p(s) = time.Duration(v) * time.Second },
	}
}

func fStr(p func(*Server) *string) strVar {
	return strVar{func(s *Server) string { return *p(s) }, func(s *Server, v string) { *p(s) = v }}
}

func extraLoad(s *Server, name, def string) string {
	if v, ok := s.Extra[name]; ok {
		return v
	}
	return def
}

func extraStore(s *Server, name, v string) {
	if s.Extra == nil {
		s.Extra = make(map[string]string)
	}
	s.Extra[name] = v
}

func xBool(name string, def bool) boolVar {
	return boolVar{
		func(s *Server) bool { return extraLoad(s, name, fmtYesNo(def)) == "yes" },
		func(s *Server, v bool) { extraStore(s, name, fmtYesNo(v)) },
	}
}

func xInt(name string, def int64) intVar {
	return intVar{
		func(s *Server) int64 {
			v, err := strconv.ParseInt(extraLoad(s, name, strconv.FormatInt(def, 10)), 10, 64)
			if err != nil {
				return def
			}
			return v
		},
		func(s *Server, v int64) { extraStore(s, name, strconv.FormatInt(v, 10)) },
	}
}

func xStr(name, def string) strVar {
	return strVar{
		func(s *Server) string { return extraLoad(s, name, def) },
		func(s *Server, v string) { extraStore(s, name, v) },
	}
}

// --- constructors, one per kind ---

func boolDir(name, alias string, f flag, v boolVar) Directive {
	d := Directive{Name: name, Alias: alias, Kind: KindBool}
	d.setFlags(f)
	d.get = func(s *Server) string { return fmtYesNo(v.load(s)) }
	d.set = func(s *Server, args []string) error {
		b, ok := yesNo(args[0])
		if !ok {
			return reason("argument must be 'yes' or 'no'")
		}
		v.store(s, b)
		return nil
	}
	d.rewrite = func(s *Server, st *rewriteState) {
		cur := v.load(s)
		st.line(name, name+" "+fmtYesNo(cur), cur != v.load(Default()))
	}
	return d
}

// intDir builds a numeric directive. check, if not nil, validates or adjusts
// the value after the bounds check (hz clamps).
func intDir(name, alias string, f flag, kind Kind, lo, hi int64, v intVar, check func(int64) (int64, error)) Directive {
	d := Directive{Name: name, Alias: alias, Kind: kind, Min: lo, Max: hi}
	d.setFlags(f)
	d.get = func(s *Server) string { return formatNumber(v.load(s), kind, f) }
	d.set = func(s *Server, args []string) error {
		n, err := parseNumber(args[0], kind, f, lo, hi)
		if err != nil {
			return err
		}
		if check != nil {
			if n, err = check(n); err != nil {
				return err
			}
		}
		v.store(s, n)
		return nil
	}
	d.rewrite = func(s *Server, st *rewriteState) {
		cur := v.load(s)
		var val string
		switch {
		case f&fPercent != 0 && cur < 0:
			val = strconv.FormatInt(-cur, 10) + "%"
		case kind == KindMemory:
			val = formatMemory(cur)
		default:
			val = formatNumber(cur, kind, f)
		}
		st.line(name, name+" "+val, cur != v.load(Default()))
	}
	return d
}

func formatNumber(n int64, kind Kind, f flag) string {
	switch {
	case f&fPercent != 0 && n < 0:
		return strconv.FormatInt(-n, 10) + "%"
	case f&fOctal != 0:
		return strconv.FormatInt(n, 8)
	}
	return strconv.FormatInt(n, 10)
}

// parseNumber is Redis's numericParseString followed by numericBoundaryCheck.
func parseNumber(arg string, kind Kind, f flag, lo, hi int64) (int64, error) {
	n, ok := int64(0), false
	if kind == KindMemory {
		var u uint64
		if u, ok = parseMemory(arg); ok {
			if u > uint64(hi) {
				return 0, rangeReason(lo, hi, f)
			}
			n = int64(u)
		}
	}
	if !ok && f&fPercent != 0 && len(arg) > 1 && arg[len(arg)-1] == '%' {
		if p, pok := parseLL(arg[:len(arg)-1]); pok && p >= 0 {
			n, ok = -p, true
		}
	}
	if !ok && f&fOctal != 0 {
		n, ok = parseStrtoll(arg, 8)
	}
	if !ok && kind == KindInt && f&(fPercent|fOctal) == 0 {
		n, ok = parseLL(arg)
	}
	if !ok {
		switch {
		case kind == KindMemory && f&fPercent != 0:
			return 0, reason("argument must be a memory or percent value")
		case kind == KindMemory:
			return 0, reason("argument must be a memory value")
		case f&fOctal != 0:
			return 0, reason("argument couldn't be parsed as an octal number")
		}
		return 0, reason("argument couldn't be parsed into an integer")
	}
	if f&fPercent != 0 && n < 0 {
		if n < lo {
			return 0, reason("percentage argument must be less or equal to " + strconv.FormatInt(-lo, 10))
		}
		return n, nil
	}
	if n < lo || n > hi {
		return 0, rangeReason(lo, hi, f)
	}
	return n, nil
}

func rangeReason(lo, hi int64, f flag) error {
	if f&fOctal != 0 {
		return reason("argument must be between " + strconv.FormatInt(lo, 8) + " and " + strconv.FormatInt(hi, 8) + " inclusive")
	}
	return reason("argument must be between " + strconv.FormatInt(lo, 10) + " and " + strconv.FormatInt(hi, 10) + " inclusive")
}

func enumReason(values []string) error {
	return reason("argument(s) must be one of the following: " + strings.Join(values, ", "))
}

func enumDir(name, alias string, f flag, values []string, v strVar) Directive {
	d := Directive{Name: name, Alias: alias, Kind: KindEnum, Enum: values}
	d.setFlags(f)
	d.get = v.load
	d.set = func(s *Server, args []string) error {
		for _, e := range values {
			if strings.EqualFold(e, args[0]) {
				v.store(s, e)
				return nil
			}
		}
		return enumReason(values)
	}
	d.rewrite = func(s *Server, st *rewriteState) {
		cur := v.load(s)
		st.line(name, name+" "+cur, cur != v.load(Default()))
	}
	return d
}

// shutdownDir is the flags enum of shutdown-on-sigint/sigterm.
func shutdownDir(name string, v strVar) Directive {
	values := []string{"default", "save", "nosave", "now", "force"}
	d := enumDir(name, "", fMulti, values, v)
	d.set = func(s *Server, args []string) error {
		if len(args) == 0 {
			return enumReason(values)
		}
		bits := 0
		for _, a := range args {
			i := indexFold(values, a)
			if i < 0 {
				return enumReason(values)
			}
			if i > 0 {
				bits |= 1 << (i - 1)
			}
		}
		if bits&3 == 3 {
			return reason("shutdown options SAVE and NOSAVE can't be used simultaneously")
		}
		var out []string
		for i := 1; i < len(values); i++ {
			if bits&(1<<(i-1)) != 0 {
				out = append(out, values[i])
			}
		}
		if len(out) == 0 {
			out = []string{"default"}
		}
		v.store(s, strings.Join(out, " "))
		return nil
	}
	return d
}

func indexFold(values []string, s string) int {
	for i, v := range values {
		if strings.EqualFold(v, s) {
			return i
		}
	}
	return -1
}

// strDir builds a string directive; check validates the new value.
func strDir(name, alias string, f flag, v strVar, check func(string) error) Directive {
	d := Directive{Name: name, Alias: alias, Kind: KindString}
	d.setFlags(f)
	d.get = v.load
	d.set = func(s *Server, args []string) error {
		if check != nil {
			if err := check(args[0]); err != nil {
				return err
			}
		}
		v.store(s, args[0])
		return nil
	}
	d.rewrite = func(s *Server, st *rewriteState) {
		cur := v.load(s)
		if f&fEmptyNull != 0 && cur == "" {
			st.processed(name)
			return
		}
		force := f&fEmptyNull != 0 || cur != v.load(Default())
		st.line(name, name+" "+repr(cur), force)
	}
	return d
}

// specialDir builds a directive with its own get, set and rewrite.
func specialDir(name, alias string, f flag, get func(*Server) string, set func(*Server, []string) error, rw func(*Server, *rewriteState)) Directive {
	d := Directive{Name: name, Alias: alias, Kind: KindSpecial, get: get, set: set, rewrite: rw}
	d.setFlags(f)
	return d
}

// timeDuration keeps the table lines short.
type timeDuration = time.Duration
