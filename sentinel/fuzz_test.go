package sentinel

import (
	"errors"
	"strings"
	"testing"

	"github.com/vigil-db/vigil/config"
)

// FuzzParse feeds arbitrary text to the sentinel.conf parser. It must never
// panic; failures are *config.LoadError within the input's lines; what parses
// must rewrite and parse back with the same masters and epochs.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "sentinel monitor m 127.0.0.1 6379 2\n", "sentinel myid " + id40,
		"sentinel monitor m 127.0.0.1 6379 2\nsentinel known-replica m 127.0.0.1 1\nsentinel known-sentinel m 127.0.0.1 2 " + id40,
		"sentinel monitor \"a b\" 127.0.0.1 1 1\nsentinel auth-pass \"a b\" \"x\\ny\"", "gossip-join 1.2.3.4:5\n",
		"sentinel current-epoch -1\nsentinel", "port 1\nsentinel rename-command m a b", "\x00sentinel monitor",
	} {
		f.Add(s, uint(len(s)/2))
	}
	f.Fuzz(func(t *testing.T, text string, cut uint) {
		if strings.Contains(strings.ToLower(text), "include") || strings.Contains(strings.ToLower(text), "logfile") ||
			strings.Contains(strings.ToLower(text), "dir") || strings.Contains(strings.ToLower(text), "resolve-hostnames") {
			t.Skip("touches the file system or DNS")
		}
		c, _, err := Parse(text)
		if err != nil {
			var le *config.LoadError
			if !errors.As(err, &le) || le.Reason == "" || le.Line > strings.Count(text, "\n")+1 {
				t.Fatalf("Parse(%q): bad error %#v", text, err)
			}
			return
		}
		out := RewriteContent(c, text)
		back, _, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(RewriteContent(%q)) = %q: %v", text, out, err)
		}
		if len(back.Masters) != len(c.Masters) || back.CurrentEpoch != c.CurrentEpoch || back.MyID != c.MyID {
			t.Fatalf("round trip of %q via %q: got %d masters epoch %d, want %d epoch %d", text, out,
				len(back.Masters), back.CurrentEpoch, len(c.Masters), c.CurrentEpoch)
		}
		_ = cut
	})
}
