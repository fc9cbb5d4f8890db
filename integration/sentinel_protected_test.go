package integration

import (
	"testing"

	"github.com/vigil-db/vigil/internal/testutil"
)

// TestSentinelProtectedModeAllowsLoopback: with protected-mode yes and no
// password, redis-sentinel and Vigil's sentinel still serve loopback clients
// (the refusal of other clients, which a test on loopback cannot reach, is
// config.TestProtectedDenies and sentinel.TestProtectedModeDeniesRemote).
func TestSentinelProtectedModeAllowsLoopback(t *testing.T) {
	redisAddr, vigilAddr, _, _ := startSentinelPair(t, "protected-mode yes\n"+sentinelDiffConf)
	rc, vc := testutil.DialRaw(t, redisAddr), testutil.DialRaw(t, vigilAddr)
	for _, cmd := range [][]string{{"PING"}, {"SENTINEL", "get-master-addr-by-name", "mymaster"}} {
		got, want := vc.Do(cmd...), rc.Do(cmd...)
		if got != want {
			t.Errorf("%q over loopback with protected-mode yes:\n got %q\nwant %q", cmd, got, want)
		}
	}
}
