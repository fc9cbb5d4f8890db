package sentinel

import (
	"strconv"
	"strings"
)

// HTTPConfig configures the HTTP endpoint (discovery, health, events,
// metrics) that `vigil sentinel` serves beside its RESP port; Vigil
// directives, not in Redis. The endpoint itself is package httpapi.
type HTTPConfig struct {
	// Port is the HTTP listen port (http-port). Default 0: no HTTP endpoint.
	Port int
	// Bind is the HTTP listen address (http-bind). Default 127.0.0.1
	// (loopback): the endpoint is reachable from elsewhere only when told.
	Bind string
	// TLSCertFile and TLSKeyFile are PEM files (http-tls-cert-file,
	// http-tls-key-file); when both are set the endpoint speaks HTTPS.
	// Default "": plain HTTP.
	TLSCertFile, TLSKeyFile string
}

// DefaultHTTPBind is http-bind's default: loopback only.
const DefaultHTTPBind = "127.0.0.1"

// msgHTTPTLS is the error for a TLS certificate without a key or the reverse.
const msgHTTPTLS = "http-tls-cert-file and http-tls-key-file go together."

// applyHTTP applies one http-* line; it returns the error reason or "".
func (c *Config) applyHTTP(args []string) string {
	if len(args) != 2 {
		return msgBadDirective
	}
	switch strings.ToLower(args[0]) {
	case "http-port":
		p, ok := parsePort(args[1])
		if !ok {
			return msgInvalidPort
		}
		c.HTTP.Port = p
	case "http-bind":
		c.HTTP.Bind = args[1]
	case "http-tls-cert-file":
		c.HTTP.TLSCertFile = args[1]
	case "http-tls-key-file":
		c.HTTP.TLSKeyFile = args[1]
	default:
		return msgBadDirective
	}
	return ""
}

// httpDone checks the http-* directives once all are read.
func (c *Config) httpDone() string {
	if c.HTTP.Bind == "" {
		c.HTTP.Bind = DefaultHTTPBind
	}
	if (c.HTTP.TLSCertFile == "") != (c.HTTP.TLSKeyFile == "") {
		return msgHTTPTLS
	}
	return ""
}

// rewriteHTTP keeps the http-* directives across a config rewrite: a line
// is written when its value differs from the default or the file had it.
func (c *Config) rewriteHTTP(rw *rewriter) {
	h := c.HTTP
	lines := []struct {
		key, val string
		set      bool
	}{
		{"http-port", strconv.Itoa(h.Port), h.Port != 0},
		{"http-bind", quote(h.Bind), h.Bind != "" && h.Bind != DefaultHTTPBind},
		{"http-tls-cert-file", quote(h.TLSCertFile), h.TLSCertFile != ""},
		{"http-tls-key-file", quote(h.TLSKeyFile), h.TLSKeyFile != ""},
	}
	for _, l := range lines {
		if l.set || len(rw.option[l.key]) > 0 {
			rw.line(l.key, l.key+" "+l.val, l.set)
		}
	}
}
