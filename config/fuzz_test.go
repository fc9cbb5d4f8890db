package config

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary text to the redis.conf parser, as a file and,
// split at an arbitrary point, as a file followed by command-line options.
// It must never panic, and every failure must be a *LoadError with a reason
// and a line number inside the input.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"", "port 6380\n", "save 60 1\nsave \"\"\n", `requirepass "a\x41\n" 'b'`, "bind \"a\n",
		"include x.conf\n", "client-output-buffer-limit normal 1mb 2 3\n", "foo bar\n", "maxmemory 1gb\r\n",
		"slaveof 1.2.3.4 5\n", "user bob on >x\nrename-command a b\n", "dir /\n", "notify-keyspace-events KEA",
		"logfile /tmp/x\n", "latency-tracking-info-percentiles 1e308 -0\n", "hz -1\n", "\x00port 1",
	} {
		f.Add(seed, uint(len(seed)/2))
	}
	f.Fuzz(func(t *testing.T, text string, cut uint) {
		lines := strings.Split(text, "\n")
		check := func(name string, err error, maxLine int) {
			if err == nil {
				return
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("%s(%q): error %T %v is not a *LoadError", name, text, err, err)
			}
			if le.Reason == "" || le.Line < 0 || le.Line > maxLine {
				t.Fatalf("%s(%q): bad error %#v", name, text, le)
			}
			_ = le.Error()
		}
		l := fuzzLoader()
		err := l.parseLines("", lines, 0)
		if err == nil {
			err = l.finish()
		}
		check("parseLines", err, len(lines))
		if err == nil {
			if verr := l.cfg.Validate(); verr != nil && !strings.Contains(verr.Error(), "port") && !strings.Contains(verr.Error(), "replicaof") {
				t.Fatalf("parsed config %q does not validate: %v", text, verr)
			}
			_ = Get(l.cfg, []string{"*"})
			_ = RewriteContent(l.cfg, text)
		}

		at := int(cut % uint(len(text)+1))
		args := strings.Fields(text[at:])
		l = fuzzLoader()
		err = l.parseLines("", strings.Split(text[:at], "\n"), 0)
		if err == nil {
			err = l.parseLines("", optionLines(args), strings.Count(text[:at], "\n")+1)
		}
		check("options", err, len(lines)+len(args)+1)
	})
}

func fuzzLoader() *loader {
	l := newLoader(func(p string) ([]byte, error) {
		if strings.HasSuffix(p, "x.conf") {
			return []byte("port 1\n"), nil
		}
		return nil, os.ErrNotExist
	})
	l.openLog = func(string) error { return nil }
	return l
}

// FuzzSplitArgs checks that repr-quoted arguments split back intact.
func FuzzSplitArgs(f *testing.F) {
	f.Add("a", "b c", "")
	f.Add("\x00", `"'\`, "\xff\n")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		want := []string{a, b, c}
		for i := range want {
			// C strings end at NUL; so does the line splitArgs reads.
			if j := strings.IndexByte(want[i], 0); j >= 0 {
				want[i] = strings.ReplaceAll(want[i], "\x00", "")
			}
		}
		line := repr(want[0]) + " " + repr(want[1]) + "\t" + repr(want[2])
		got, err := splitArgs(line)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("splitArgs(%q) = %q, %v; want %q", line, got, err, want)
		}
		_, _ = splitArgs(a + b + c)
	})
}

// FuzzGlob checks that Glob never panics and that a pattern matches itself
// once its special characters are escaped.
func FuzzGlob(f *testing.F) {
	f.Add("h[^e]llo*", "hallo world")
	f.Add("[a-", "b")
	f.Add("\\", "\\")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		_ = Glob(pattern, s, false)
		_ = Glob(pattern, s, true)
		var esc strings.Builder
		for i := 0; i < len(s); i++ {
			if strings.IndexByte(`*?[]\`, s[i]) >= 0 {
				esc.WriteByte('\\')
			}
			esc.WriteByte(s[i])
		}
		if s != "" && !Glob(esc.String(), s, false) {
			t.Fatalf("Glob(%q, %q) = false, want true", esc.String(), s)
		}
	})
}
