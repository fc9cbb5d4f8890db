package server

import "testing"

// TestWriteGate closes and opens the exported write gate and checks which commands it
// refuses, with the reply it was closed with.
func TestWriteGate(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	open, closed := func() { ts.OpenWrites() }, func() { ts.CloseWrites(ErrNoReplicas) }
	steps := []struct {
		name string
		gate func()
		args []string
		want string
	}{
		{"write with the gate open", open, []string{"SET", "k", "v"}, "+OK\r\n"},
		{"write refused", closed, []string{"SET", "k", "w"}, "-" + ErrNoReplicas + "\r\n"},
		{"read served", closed, []string{"GET", "k"}, "$1\r\nv\r\n"},
		{"admin served", closed, []string{"PING"}, "+PONG\r\n"},
		{"write refused when queued", closed, []string{"MULTI"}, "+OK\r\n"},
		{"", closed, []string{"INCR", "n"}, "-" + ErrNoReplicas + "\r\n"},
		{"", closed, []string{"EXEC"}, "-EXECABORT Transaction discarded because of previous errors.\r\n"},
		{"queued before the gate closed", open, []string{"MULTI"}, "+OK\r\n"},
		{"", open, []string{"INCR", "n"}, "+QUEUED\r\n"},
		{"", closed, []string{"EXEC"}, "-EXECABORT Transaction discarded because of: " + ErrNoReplicas + "\r\n"},
		{"write after OpenWrites", open, []string{"SET", "k", "w"}, "+OK\r\n"},
	}
	name := ""
	for _, st := range steps {
		if st.name != "" {
			name = st.name
		}
		st.gate()
		if got := c.do(st.args...); got != st.want {
			t.Fatalf("%s: %v: got %q, want %q", name, st.args, got, st.want)
		}
	}
	if got := ts.WritesClosed(); got != "" {
		t.Fatalf("WritesClosed after OpenWrites: got %q, want \"\"", got)
	}
	ts.CloseWrites(ErrNoReplicas)
	if got := ts.WritesClosed(); got != ErrNoReplicas {
		t.Fatalf("WritesClosed: got %q, want %q", got, ErrNoReplicas)
	}
}
