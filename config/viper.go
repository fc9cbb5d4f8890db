package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/viper"
)

// isViperFile reports whether path is read with viper rather than as redis.conf.
func isViperFile(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", ".toml", ".json":
		return true
	}
	return false
}

// loadViper reads a YAML, TOML or JSON file whose keys are directive names.
// A scalar value is the single argument (split like a redis.conf line for
// multi-argument directives: save: "3600 1 300 100"); a list gives the
// arguments (save: [3600, 1, 300, 100]) or, for user and rename-command, one
// directive line per element. Keys are applied in sorted order.
func (l *loader) loadViper(path string) error {
	abs := absFrom(l.cwd, path)
	if _, err := l.readFile(path); err != nil {
		return err
	}
	v := viper.NewWithOptions(viper.KeyDelimiter("\x00"))
	v.SetConfigFile(abs)
	if err := v.ReadInConfig(); err != nil {
		return &LoadError{File: abs, Err: err, Reason: fmt.Sprintf("Fatal error, can't parse config file '%s': %v", path, err)}
	}
	return l.applySettings(abs, v.AllSettings())
}

// applySettings applies a viper settings map (directive name → value) in sorted
// key order; file names the source in errors.
func (l *loader) applySettings(abs string, settings map[string]any) error {
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		name := strings.ToLower(k)
		lines, err := viperLines(name, settings[k], lookup(l.table, name))
		if err == nil {
			for _, args := range lines {
				if err = l.apply(name, args); err != nil {
					break
				}
			}
		}
		if err != nil {
			return &LoadError{File: abs, Key: k, Text: name + " " + fmt.Sprint(settings[k]), Directive: name, Reason: err.Error()}
		}
	}
	return nil
}

// viperLines turns one key's value into the argument lists of directive lines.
func viperLines(name string, val any, d *Directive) ([][]string, error) {
	list, isList := val.([]any)
	if !isList {
		s, err := scalar(val)
		if err != nil {
			return nil, err
		}
		if d != nil && !d.MultiArg {
			return [][]string{{s}}, nil
		}
		args, err := splitArgs(s)
		if err != nil {
			return nil, reason(msgUnbalanced)
		}
		if len(args) == 0 {
			args = []string{""}
		}
		return [][]string{args}, nil
	}
	perLine := d == nil // user, rename-command, include: one line per element
	var lines [][]string
	var all []string
	for _, e := range list {
		s, err := scalar(e)
		if err != nil {
			return nil, err
		}
		args, err := splitArgs(s)
		if err != nil {
			return nil, reason(msgUnbalanced)
		}
		if perLine {
			lines = append(lines, args)
			continue
		}
		if d.MultiArg {
			all = append(all, args...)
		} else {
			all = append(all, s)
		}
	}
	if perLine {
		return lines, nil
	}
	if len(all) == 0 {
		all = []string{""}
	}
	return [][]string{all}, nil
}

// scalar renders a YAML/TOML/JSON scalar as a redis.conf argument.
func scalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return fmtYesNo(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case nil:
		return "", nil
	}
	return "", reason(fmt.Sprintf("unsupported value type %T", v))
}

// LoadSettings is LoadWith for a section of a YAML, TOML or JSON file already
// read (the `server:` section of a node's file): settings maps directive
// names to values as in a viper file, then the VIGIL_* environment and the
// command-line options apply, in that order. file only names the source in
// errors; ConfigFile stays "" (the section is not a file CONFIG REWRITE may
// replace).
func LoadSettings(file string, settings map[string]any, args []string, opt Options) (*Server, []string, error) {
	l := newLoader(os.ReadFile)
	l.commands = opt.commandSet()
	if err := l.applySettings(file, settings); err != nil {
		return nil, nil, err
	}
	if err := l.applyEnv(opt.Environ); err != nil {
		return nil, nil, err
	}
	if opts := optionLines(args); len(opts) > 0 {
		if err := l.parseLines("", opts, 1); err != nil {
			return nil, nil, err
		}
	}
	if err := l.finish(); err != nil {
		return nil, nil, err
	}
	return l.cfg, l.warnings, nil
}
