package server

import (
	"bufio"
	"strings"
	"testing"

	"github.com/vigil-db/vigil/config"
)

// TestConnectInProcess: a connection without TCP runs commands like any
// client, is listed as a Unix-socket client, and still needs the password.
func TestConnectInProcess(t *testing.T) {
	ts := newTestServer(t, func(c *config.Server) { c.RequirePass = "pw"; c.ProtectedMode = true })
	conn, err := ts.ConnectInProcess()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	rc := &rawClient{t: t, conn: conn, r: bufio.NewReader(conn)}
	tests := []struct {
		args []string
		want string // a prefix of the raw reply
	}{
		{[]string{"PING"}, "-NOAUTH"},
		{[]string{"AUTH", "pw"}, "+OK"},
		{[]string{"SET", "k", "v"}, "+OK"},
		{[]string{"ROLE"}, "*3\r\n$6\r\nmaster"},
		{[]string{"REPLICAOF", "NO", "ONE"}, "+OK"},
		{[]string{"CLIENT", "INFO"}, "$"},
	}
	for _, tt := range tests {
		if got := rc.do(tt.args...); !strings.HasPrefix(got, tt.want) {
			t.Errorf("%q: got %q, want a reply starting with %q", tt.args, got, tt.want)
		} else if tt.args[0] == "CLIENT" && !strings.Contains(got, "flags=U") {
			t.Errorf("CLIENT INFO: got %q, want flags=U (Unix socket)", got)
		}
	}
	ts.Close()
	if _, err := ts.ConnectInProcess(); err == nil {
		t.Errorf("ConnectInProcess after Close: no error")
	}
}
