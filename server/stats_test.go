package server

import (
	"strconv"
	"testing"
)

// TestStatsMatchInfo checks that the typed snapshot holds what INFO prints, field by
// field, after a few commands.
func TestStatsMatchInfo(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	c.do("SET", "k", "v")
	c.do("EXPIRE", "k", "100")
	c.do("GET", "missing")
	c.do("NOSUCHCOMMAND")
	st := ts.Stats()
	setCalls := int64(-1)
	for _, cmd := range st.Commands {
		if cmd.Name == "set" {
			setCalls = cmd.Calls
		}
	}
	var db0Keys int64 = -1
	if len(st.Keyspace) == 1 && st.Keyspace[0].DB == 0 {
		db0Keys = st.Keyspace[0].Keys
	}
	role := "master"
	if st.Replication.Replica != nil {
		role = "slave"
	}
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	tests := []struct {
		section, field, got, want string
	}{
		{"server", "run_id", st.Server.RunID, ""},
		{"server", "tcp_port", strconv.Itoa(st.Server.Port), ""},
		{"clients", "connected_clients", i(st.Clients.Connected), ""},
		{"stats", "keyspace_misses", i(st.Activity.KeyspaceMisses), "1"},
		{"stats", "total_error_replies", i(st.Activity.ErrorReplies), "1"},
		{"persistence", "aof_enabled", strconv.FormatInt(b2i(st.Persistence.AOF.Enabled), 10), "0"},
		{"persistence", "rdb_changes_since_last_save", i(st.Persistence.ChangesSinceLastSave), "2"},
		{"replication", "role", role, "master"},
		{"replication", "master_replid", st.Replication.ReplID, ""},
		{"memory", "maxmemory_policy", st.Memory.MaxMemoryPolicy, "noeviction"},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			if tt.want != "" && tt.got != tt.want {
				t.Errorf("Stats %s: got %s, want %s", tt.field, tt.got, tt.want)
			}
			if info := infoField(t, c, tt.section, tt.field); info != tt.got {
				t.Errorf("%s: INFO says %s, Stats says %s", tt.field, info, tt.got)
			}
		})
	}
	if setCalls != 1 || db0Keys != 1 || st.Errors["ERR"] != 1 {
		t.Errorf("Stats: set calls %d, db0 keys %d, ERR errors %d; want 1, 1, 1", setCalls, db0Keys, st.Errors["ERR"])
	}
}
