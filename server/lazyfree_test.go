package server

import (
	"strconv"
	"testing"
)

// TestLazyfreedObjects checks lazyfreed_objects: UNLINK of a value that takes more than 64
// allocations to free counts one, a small one none; FLUSHALL ASYNC counts each key;
// CONFIG RESETSTAT clears it. lazyfree_pending_objects stays 0 (nothing is queued).
func TestLazyfreedObjects(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	args := []string{"SADD", "big"}
	for i := 0; i < 100; i++ {
		args = append(args, "m"+strconv.Itoa(i))
	}
	c.do(args...)
	c.do("SADD", "small", "a", "b")
	steps := []struct {
		cmd  []string
		want string
	}{
		{[]string{"UNLINK", "small"}, "0"},
		{[]string{"UNLINK", "big"}, "1"},
		{[]string{"MSET", "a", "1", "b", "2", "c", "3"}, "1"},
		{[]string{"FLUSHALL", "ASYNC"}, "4"},
		{[]string{"CONFIG", "RESETSTAT"}, "0"},
	}
	for _, st := range steps {
		c.do(st.cmd...)
		if got := infoField(t, c, "memory", "lazyfreed_objects"); got != st.want {
			t.Errorf("after %v: lazyfreed_objects %s, want %s", st.cmd, got, st.want)
		}
		if got := infoField(t, c, "memory", "lazyfree_pending_objects"); got != "0" {
			t.Errorf("after %v: lazyfree_pending_objects %s, want 0", st.cmd, got)
		}
	}
}
