package link

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/failover"
)

func readInfo(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestParseInfoCaptured parses INFO captured from redis-server 7.0.15 (a master with one
// online replica, that replica, and the replica pointed at a dead master).
func TestParseInfoCaptured(t *testing.T) {
	tests := []struct {
		file string
		want failover.Info
	}{
		{"master.info", failover.Info{
			RunID: "a7010bf42e7ea55b799b0d1701ccd9d8f36bd942", Role: failover.RoleMaster,
			Replicas:  []failover.Addr{{Host: "127.0.0.1", Port: 27002}},
			Announced: true,
		}},
		{"replica.info", failover.Info{
			RunID: "05c8185c15958aecdf0be3b5dd50e90ada166a44", Role: failover.RoleSlave,
			MasterHost: "127.0.0.1", MasterPort: 27001, MasterLinkUp: true,
			Priority: 42, HasPriority: true, Announced: true,
		}},
		{"replica-linkdown.info", failover.Info{
			RunID: "05c8185c15958aecdf0be3b5dd50e90ada166a44", Role: failover.RoleSlave,
			MasterHost: "127.0.0.1", MasterPort: 27999, MasterLinkUp: false,
			MasterLinkDownTime: 2 * time.Second, Priority: 42, HasPriority: true, Announced: true,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got := ParseInfo(readInfo(t, tc.file))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseInfo(%s):\n got %+v\nwant %+v", tc.file, got, tc.want)
			}
		})
	}
}

func TestParseInfoLines(t *testing.T) {
	def := failover.Info{Announced: true}
	with := func(f func(*failover.Info)) failover.Info { i := def; f(&i); return i }
	tests := []struct {
		name string
		text string
		want failover.Info
	}{
		{"empty", "", def},
		{"short run_id ignored", "run_id:abc", def},
		{"run_id takes 40 chars", "run_id:" + strings.Repeat("f", 40) + "xyz",
			with(func(i *failover.Info) { i.RunID = strings.Repeat("f", 40) })},
		{"new slave format", "role:master\r\nslave0:ip=10.0.0.1,port=6380,state=online,offset=5,lag=0\r\nslave1:ip=::1,port=6381,state=online,offset=5,lag=0",
			with(func(i *failover.Info) {
				i.Role = failover.RoleMaster
				i.Replicas = []failover.Addr{{Host: "10.0.0.1", Port: 6380}, {Host: "::1", Port: 6381}}
			})},
		{"old slave format", "slave0:10.0.0.1,6380,online",
			with(func(i *failover.Info) { i.Replicas = []failover.Addr{{Host: "10.0.0.1", Port: 6380}} })},
		{"old slave format needs 3 fields", "slave0:10.0.0.1,6380", def},
		{"slave line without port= skipped", "slave0:ip=10.0.0.1,state=online", def},
		{"slave_ lines are not replicas", "slave_read_only:1\r\nslave_priority:5", def},
		{"slaveN too short", "slave0:", def},
		{"port is C atoi", "slave0:ip=h,port=12ab,state=online", with(func(i *failover.Info) { i.Replicas = []failover.Addr{{Host: "h", Port: 12}} })},
		{"link down since", "master_link_down_since_seconds:12", with(func(i *failover.Info) { i.MasterLinkDownTime = 12 * time.Second })},
		{"link never up", "master_link_down_since_seconds:-1", with(func(i *failover.Info) { i.MasterLinkDownTime = -time.Second })},
		{"replica fields", "role:slave\r\nmaster_host:h\r\nmaster_port:7000\r\nmaster_link_status:UP\r\nslave_priority:0\r\nslave_repl_offset:123456789012\r\nreplica_announced:0",
			failover.Info{Role: failover.RoleSlave, MasterHost: "h", MasterPort: 7000, MasterLinkUp: true, Priority: 0, HasPriority: true, ReplOffset: 123456789012}},
		{"replica fields need role:slave first", "master_host:h\r\nslave_priority:5\r\nrole:slave",
			with(func(i *failover.Info) { i.Role = failover.RoleSlave })},
		{"master_repl_offset of a master", "role:master\r\nmaster_repl_offset:4711",
			with(func(i *failover.Info) { i.Role, i.MasterReplOffset = failover.RoleMaster, 4711 })},
		{"master_repl_offset of a replica is not read", "role:slave\r\nmaster_repl_offset:4711",
			with(func(i *failover.Info) { i.Role = failover.RoleSlave })},
		{"master ignores replica fields", "role:master\r\nmaster_host:h\r\nslave_priority:5",
			with(func(i *failover.Info) { i.Role = failover.RoleMaster })},
		{"link status is the whole value (strcasecmp)", "role:slave\r\nmaster_link_status:upstream",
			with(func(i *failover.Info) { i.Role = failover.RoleSlave })},
		{"no slave_priority: HasPriority false (the old priority is kept)", "role:slave\r\nmaster_host:h",
			with(func(i *failover.Info) { i.Role, i.MasterHost = failover.RoleSlave, "h" })},
		{"link status down", "role:slave\r\nmaster_link_status:down", with(func(i *failover.Info) { i.Role = failover.RoleSlave })},
		{"bare LF is not a line break", "role:slave\nmaster_host:h", with(func(i *failover.Info) { i.Role = failover.RoleSlave })},
		{"role prefix match", "role:masterful", with(func(i *failover.Info) { i.Role = failover.RoleMaster })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseInfo(tc.text)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseInfo(%q):\n got %+v\nwant %+v", tc.text, got, tc.want)
			}
		})
	}
}

func TestAtoi64(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"", 0}, {"42", 42}, {" -7x", -7}, {"+3", 3}, {"abc", 0},
		{"99999999999999999999", 1<<63 - 1}, {"-99999999999999999999", -1 << 63},
	}
	for _, tc := range tests {
		if got := atoi64(tc.in); got != tc.want {
			t.Errorf("atoi64(%q): got %d, want %d", tc.in, got, tc.want)
		}
	}
}

func FuzzParseInfo(f *testing.F) {
	for _, name := range []string{"master.info", "replica.info", "replica-linkdown.info"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("slave0:ip=,port=")
	f.Add("role:slave\r\nmaster_port:-")
	f.Fuzz(func(t *testing.T, text string) {
		in := ParseInfo(text)
		if in.RunID != "" && len(in.RunID) != 40 {
			t.Errorf("ParseInfo(%q): run id %q is not 40 bytes", text, in.RunID)
		}
		// splitting the text at a line break never invents fields: parsing the
		// lines one by one gives the same replicas
		var n int
		for _, l := range strings.Split(text, "\r\n") {
			n += len(ParseInfo(l).Replicas)
		}
		if n != len(in.Replicas) {
			t.Errorf("ParseInfo(%q): %d replicas, %d when parsed line by line", text, len(in.Replicas), n)
		}
	})
}
