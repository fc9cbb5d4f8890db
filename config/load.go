package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxIncludeDepth bounds nested include directives (Redis has no bound and
// overflows its stack on a cycle).
const maxIncludeDepth = 32

// EnvPrefix prefixes the environment variables that set directives:
// VIGIL_MAXMEMORY_POLICY=allkeys-lru sets maxmemory-policy.
const EnvPrefix = "VIGIL_"

// LoadError is a configuration error found while loading. Its Error text is
// what redis-server prints before exiting with status 1, followed by the file
// name when there is one.
type LoadError struct {
	// File is the file being read ("" for command-line options without a file).
	File string
	// Line is the 1-based line number; command-line options are numbered after
	// the file's lines, as Redis does. 0 when the error is not tied to a line.
	Line int
	// Env is the environment variable being read, if any.
	Env string
	// Key is the key of a YAML/TOML/JSON file being read, if any.
	Key string
	// Text is the offending line, trimmed.
	Text string
	// Directive is the lower-case directive name of the line, if any.
	Directive string
	// Reason is Redis's explanation ("Bad directive or wrong number of arguments").
	Reason string
	// Err is the underlying I/O error, if any.
	Err error
}

// Error returns redis-server's fatal config error text.
func (e *LoadError) Error() string {
	if e.Err != nil && e.Line == 0 && e.Directive == "" {
		return e.Reason
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n*** FATAL CONFIG FILE ERROR (Redis %s) ***\n", redisVersion)
	switch {
	case e.Env != "":
		fmt.Fprintf(&b, "Reading the environment variable %s\n>>> '%s'\n", e.Env, e.Text)
	case e.Key != "":
		fmt.Fprintf(&b, "Reading the configuration file, at key '%s'\n>>> '%s'\n", e.Key, e.Text)
	case e.Line > 0:
		fmt.Fprintf(&b, "Reading the configuration file, at line %d\n>>> '%s'\n", e.Line, e.Text)
	}
	b.WriteString(e.Reason)
	if e.File != "" {
		fmt.Fprintf(&b, "\n(config file %s)", e.File)
	}
	return b.String()
}

// Unwrap returns the underlying I/O error, if any.
func (e *LoadError) Unwrap() error { return e.Err }

// Load builds the configuration of a redis-server command line. The config file
// is path, or, when path is "", the first argument if it does not start with
// '-'. The remaining arguments are "--directive value [value...]" overrides.
//
// Precedence, lowest first: Default(), the file (with its includes), the
// environment (VIGIL_<DIRECTIVE>, see EnvPrefix), the command-line options.
// A file ending in .yaml, .yml, .toml or .json is read with viper (keys are
// directive names); any other file is read as redis.conf.
//
// The warnings name each ignored or deprecated directive that was used, once.
// Errors are *LoadError.
func Load(path string, args []string) (*Server, []string, error) {
	return LoadEnv(path, args, os.Environ())
}

// LoadEnv is Load with an explicit environment (KEY=VALUE strings).
func LoadEnv(path string, args, environ []string) (*Server, []string, error) {
	return LoadWith(path, args, Options{Environ: environ})
}

// Options are the inputs of LoadWith and ParseWith beyond the text itself.
type Options struct {
	// Environ is the environment (KEY=VALUE strings); nil means none.
	Environ []string
	// Commands are the names of the command table that rename-command lines
	// apply to. Each line is checked in order against the table as renamed by
	// the lines before it ("No such command in rename-command", "Target
	// command name already exists"). Nil skips the check.
	Commands []string
}

// commandSet returns the lower-case set of o.Commands, or nil.
func (o Options) commandSet() map[string]bool {
	if o.Commands == nil {
		return nil
	}
	set := make(map[string]bool, len(o.Commands))
	for _, n := range o.Commands {
		set[strings.ToLower(n)] = true
	}
	return set
}

// LoadWith is Load with explicit Options.
func LoadWith(path string, args []string, opt Options) (*Server, []string, error) {
	environ := opt.Environ
	if path == "" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		path, args = args[0], args[1:]
	}
	if len(args) > 0 && args[0] == "-" || len(args) > 0 && args[len(args)-1] == "-" {
		return nil, nil, &LoadError{Reason: "Reading the configuration from stdin is not supported by Vigil"}
	}
	l := newLoader(os.ReadFile)
	l.commands = opt.commandSet()
	fileLines := 1
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, nil, &LoadError{File: path, Err: err, Reason: "Fatal error, can't resolve config file path: " + err.Error()}
		}
		l.cfg.ConfigFile = abs
		if isViperFile(path) {
			if err := l.loadViper(path); err != nil {
				return nil, nil, err
			}
		} else {
			data, err := l.readFile(path)
			if err != nil {
				return nil, nil, err
			}
			lines := strings.Split(string(data), "\n")
			fileLines = len(lines)
			if err := l.parseLines(abs, lines, 0); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := l.applyEnv(environ); err != nil {
		return nil, nil, err
	}
	if opts := optionLines(args); len(opts) > 0 {
		if err := l.parseLines(l.cfg.ConfigFile, opts, fileLines); err != nil {
			return nil, nil, err
		}
	}
	if err := l.finish(); err != nil {
		return nil, nil, err
	}
	return l.cfg, l.warnings, nil
}

// Parse reads redis.conf text onto Default(), as if it were a file with no
// command-line options. Relative include paths are resolved from the current
// directory.
func Parse(text string) (*Server, []string, error) {
	return ParseWith(text, Options{})
}

// ParseWith is Parse with explicit Options (Environ is ignored).
func ParseWith(text string, opt Options) (*Server, []string, error) {
	l := newLoader(os.ReadFile)
	l.commands = opt.commandSet()
	if err := l.parseLines("", strings.Split(text, "\n"), 0); err != nil {
		return nil, nil, err
	}
	if err := l.finish(); err != nil {
		return nil, nil, err
	}
	return l.cfg, l.warnings, nil
}

// optionLines turns command-line arguments into config lines like redis-server's
// main(): "--name" starts a line, following arguments are appended quoted;
// a bare "--save" (last, or followed by another option) means save "".
func optionLines(args []string) []string {
	var lines []string
	var cur strings.Builder
	handled := true
	flush := func() {
		if cur.Len() > 0 {
			lines = append(lines, cur.String())
			cur.Reset()
		}
	}
	for j, a := range args {
		if handled && strings.HasPrefix(a, "--") {
			flush()
			cur.WriteString(a[2:])
			cur.WriteString(" ")
			if parts, err := splitArgs(a); err == nil && len(parts) == 1 {
				handled = false
				last := j == len(args)-1
				if strings.EqualFold(a, "--save") && (last || strings.HasPrefix(args[j+1], "--")) {
					cur.WriteString(`""`)
					handled = true
				}
			}
			continue
		}
		cur.WriteString(repr(a))
		cur.WriteString(" ")
		handled = true
	}
	flush()
	return lines
}

// loader applies directives onto a configuration, like loadServerConfigFromString.
type loader struct {
	cfg        *Server
	table      []Directive
	cwd        string // where relative paths resolve, follows dir like chdir
	saveLoaded bool
	depth      int
	warned     map[string]bool
	warnings   []string
	read       func(string) ([]byte, error)
	// user is the accepted `user default ...` line, applied by finish (Redis
	// applies user lines after every other directive); userAt is where it was.
	user   *defaultUser
	userAt *LoadError
	// commands is the command table rename-command lines apply to (lower-case
	// names); nil when the caller gave none, and the names are not checked.
	commands map[string]bool
	// openLog checks that the log file can be opened for appending, as Redis
	// does before starting; tests and fuzzing replace it.
	openLog func(string) error
}

func newLoader(read func(string) ([]byte, error)) *loader {
	cwd, err := os.Getwd()
	if err != nil {
		cwd = "."
	}
	cfg := Default()
	cfg.Dir = cwd
	return &loader{cfg: cfg, table: Directives(), cwd: cwd, warned: map[string]bool{}, read: read, openLog: openLogFile}
}

func openLogFile(path string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

func (l *loader) readFile(path string) ([]byte, error) {
	data, err := l.read(absFrom(l.cwd, path))
	if err != nil {
		return nil, &LoadError{File: path, Err: err,
			Reason: fmt.Sprintf("Fatal error, can't open config file '%s': %s", path, strerror(err))}
	}
	return data, nil
}

func (l *loader) warn(name, text string) {
	if !l.warned[name] {
		l.warned[name] = true
		l.warnings = append(l.warnings, fmt.Sprintf("%s: %s", name, text))
	}
}

// parseLines applies config lines; line numbers start after offset.
func (l *loader) parseLines(file string, lines []string, offset int) error {
	for i, raw := range lines {
		line := strings.Trim(raw, " \t\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		fail := func(dir, reason string) error {
			return &LoadError{File: file, Line: offset + i + 1, Text: line, Directive: dir, Reason: reason}
		}
		args, err := splitArgs(line)
		if err != nil {
			return fail("", msgUnbalanced)
		}
		if len(args) == 0 {
			continue
		}
		name := strings.ToLower(args[0])
		if err := l.apply(name, args[1:]); err != nil {
			var le *LoadError
			if errors.As(err, &le) {
				return err
			}
			return fail(name, err.Error())
		}
		if name == "user" {
			l.userAt = fail(name, "").(*LoadError)
		}
	}
	return nil
}

// apply runs one directive with its arguments. A plain error carries Redis's
// reason text; a *LoadError comes from an included file.
func (l *loader) apply(name string, args []string) error {
	if d := lookup(l.table, name); d != nil {
		return l.applyDirective(d, args)
	}
	switch {
	case len(args) == 1 && (name == "list-max-ziplist-entries" || name == "list-max-ziplist-value" || name == "lua-replicate-commands"):
		l.warn(name, "deprecated directive ignored, as Redis 7.0 does")
	case name == "include" && len(args) == 1:
		return l.include(args[0])
	case name == "rename-command" && len(args) == 2:
		if l.commands != nil {
			if err := RenameCommand(l.commands, args[0], args[1]); err != nil {
				return err
			}
		}
		l.cfg.RenameCommands = append(l.cfg.RenameCommands, [2]string{args[0], args[1]})
	case name == "user" && len(args) >= 1:
		u, err := parseDefaultUser(args)
		if err != nil {
			return err
		}
		if l.user != nil {
			return reason(msgUserTwice)
		}
		l.user = &u
		l.cfg.Users = append(l.cfg.Users, append([]string(nil), args...))
	case name == "loadmodule" && len(args) >= 1:
		return reason(msgModules)
	case strings.Contains(name, "."):
		if len(args) != 1 {
			return reason("Module config specified without value")
		}
		return reason(msgModules)
	case name == "sentinel":
		if len(args) > 0 {
			return reason(msgNotSentinel)
		}
	default:
		return reason(msgBadDirective)
	}
	return nil
}

func (l *loader) applyDirective(d *Directive, args []string) error {
	if d.MultiArg && len(args) == 1 && strings.Contains(args[0], " ") {
		// Redis splits a single argument of a multi-argument directive on spaces:
		// `--save "3600 1"` and `save "3600 1"` both mean `save 3600 1`.
		args = strings.Fields(args[0])
	}
	if !d.MultiArg && len(args) != 1 {
		return reason(msgWrongArgs)
	}
	if d.Ignored {
		l.warn(d.Name, "accepted for compatibility, ignored by Vigil")
	}
	switch d.Name {
	case "save":
		// The first save line replaces the defaults, later ones add points;
		// save "" clears them.
		points, err := parseSave(args)
		if err != nil {
			return err
		}
		if !l.saveLoaded || len(points) == 0 {
			l.cfg.Save = nil
			l.saveLoaded = true
		}
		l.cfg.Save = append(l.cfg.Save, points...)
		return nil
	case "dir":
		if len(args) == 1 {
			args = []string{absFrom(l.cwd, args[0])}
		}
		if err := d.set(l.cfg, args); err != nil {
			return err
		}
		l.cwd = l.cfg.Dir
		return nil
	}
	return d.set(l.cfg, args)
}

func (l *loader) include(pattern string) error {
	if l.depth >= maxIncludeDepth {
		return reason("include nesting too deep")
	}
	files := []string{pattern}
	if strings.ContainsAny(pattern, "*?[") {
		matches, err := filepath.Glob(absFrom(l.cwd, pattern))
		if err != nil || len(matches) == 0 {
			return nil // Redis skips a pattern that matches nothing
		}
		files = matches
	}
	l.depth++
	defer func() { l.depth-- }()
	for _, f := range files {
		data, err := l.readFile(f)
		if err != nil {
			return err
		}
		if err := l.parseLines(absFrom(l.cwd, f), strings.Split(string(data), "\n"), 0); err != nil {
			return err
		}
	}
	return nil
}

// applyEnv applies VIGIL_<DIRECTIVE> variables, in table order.
func (l *loader) applyEnv(environ []string) error {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, EnvPrefix) {
			env[k] = v
		}
	}
	if len(env) == 0 {
		return nil
	}
	for i := range l.table {
		d := &l.table[i]
		for _, n := range []string{d.Name, d.Alias} {
			key := EnvName(n)
			v, ok := env[key]
			if n == "" || !ok {
				continue
			}
			args := []string{v}
			if d.MultiArg {
				var err error
				if args, err = splitArgs(v); err != nil {
					return &LoadError{Env: key, Text: n + " " + v, Directive: n, Reason: msgUnbalanced}
				}
				if len(args) == 0 {
					args = []string{""}
				}
			}
			if err := l.applyDirective(d, args); err != nil {
				return &LoadError{Env: key, Text: n + " " + joinArgs(args), Directive: n, Reason: err.Error()}
			}
		}
	}
	return nil
}

// EnvName returns the environment variable that sets directive name.
func EnvName(name string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// finish runs the checks Redis makes after reading all the lines.
func (l *loader) finish() error {
	if l.cfg.LogFile != "" {
		if err := l.openLog(absFrom(l.cwd, l.cfg.LogFile)); err != nil {
			return &LoadError{File: l.cfg.ConfigFile, Reason: "Can't open the log file: " + strerror(err), Err: err, Directive: "logfile"}
		}
	}
	if l.user != nil {
		pass, err := l.user.requirePass(l.cfg.RequirePass)
		if err != nil {
			at := LoadError{File: l.cfg.ConfigFile, Directive: "user"}
			if l.userAt != nil {
				at = *l.userAt
			}
			at.Reason = err.Error()
			return &at
		}
		l.cfg.RequirePass = pass
	}
	if extraLoad(l.cfg, "cluster-enabled", "no") == "yes" && l.cfg.ReplicaOf != "" {
		return &LoadError{File: l.cfg.ConfigFile, Reason: msgClusterReplica, Directive: "replicaof"}
	}
	return nil
}
