package node

import "testing"

func TestStatusLine(t *testing.T) {
	tests := []struct {
		name, info, want string
	}{
		{"loading", "loading:1\r\nloading_loaded_perc:41.20\r\n", "loading 41%"},
		{"loading without figure", "loading:1\r\n", "loading"},
		{"master alone", "loading:0\r\nrole:master\r\nconnected_slaves:0\r\n", "master of g, 0/0 replicas in sync"},
		{"master", "loading:0\r\nrole:master\r\nconnected_slaves:2\r\n" +
			"slave0:ip=10.0.0.2,port=6379,state=online,offset=10,lag=0\r\nslave1:ip=10.0.0.3,port=6379,state=wait_bgsave,offset=0,lag=0\r\n",
			"master of g, 1/2 replicas in sync"},
		{"replica up", "loading:0\r\nrole:slave\r\nmaster_host:10.0.0.2\r\nmaster_port:6379\r\nmaster_link_status:up\r\n" +
			"master_last_io_seconds_ago:0\r\nmaster_sync_in_progress:0\r\n", "replica of 10.0.0.2:6379, link up, lag 0 s"},
		{"replica syncing", "role:slave\r\nmaster_host:h\r\nmaster_port:1\r\nmaster_link_status:down\r\nmaster_sync_in_progress:1\r\n",
			"replica of h:1, syncing"},
		{"replica down", "role:slave\r\nmaster_host:h\r\nmaster_port:1\r\nmaster_link_status:down\r\nmaster_sync_in_progress:0\r\n",
			"replica of h:1, link down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusLine("g", tt.info); got != tt.want {
				t.Errorf("statusLine(%q): got %q, want %q", tt.info, got, tt.want)
			}
		})
	}
}
