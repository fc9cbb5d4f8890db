package sentinel

import (
	"errors"
	"strings"
	"testing"

	"github.com/vigil-db/vigil/config"
)

// TestHTTPDirectives: http-* lines parse, default to off on loopback,
// reject bad values with a load error, and survive a config rewrite.
func TestHTTPDirectives(t *testing.T) {
	base := "port 26391\nsentinel monitor m 127.0.0.1 6399 1\n"
	c, _, err := Parse(base)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c.HTTP.Port != 0 || c.HTTP.Bind != DefaultHTTPBind {
		t.Fatalf("defaults: got %+v, want port 0 bind %s", c.HTTP, DefaultHTTPBind)
	}
	text := base + "http-port 28080\nhttp-bind 127.0.0.5\nhttp-tls-cert-file /c.pem\nhttp-tls-key-file /k.pem\n"
	c, _, err = Parse(text)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := HTTPConfig{Port: 28080, Bind: "127.0.0.5", TLSCertFile: "/c.pem", TLSKeyFile: "/k.pem"}
	if c.HTTP != want {
		t.Fatalf("got %+v, want %+v", c.HTTP, want)
	}
	out := RewriteContent(c, text)
	c2, _, err := Parse(out)
	if err != nil {
		t.Fatalf("Parse(rewritten %q): %v", out, err)
	}
	if c2.HTTP != want {
		t.Fatalf("after rewrite: got %+v, want %+v (text %q)", c2.HTTP, want, out)
	}
	if n := strings.Count(out, "http-port"); n != 1 {
		t.Fatalf("rewrite: got %d http-port lines, want 1 in %q", n, out)
	}
	bad := []struct{ name, line, reason string }{
		{"port range", "http-port 70000", msgInvalidPort},
		{"arity", "http-bind", msgBadDirective},
		{"unknown", "http-foo 1", msgBadDirective},
		{"cert without key", "http-tls-cert-file /c.pem", msgHTTPTLS},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Parse(base + tt.line + "\n")
			var le *config.LoadError
			if !errors.As(err, &le) || le.Reason != tt.reason || le.Line != 3 {
				t.Fatalf("Parse(%q): got %v, want line 3 reason %q", tt.line, err, tt.reason)
			}
		})
	}
}
