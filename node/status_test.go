package node

import "testing"

func TestGroupStatus(t *testing.T) {
	tests := []struct{ line, want string }{
		{"loading 41%", "loading 41%"},
		{"master, 2 replicas in sync", "master of g, 2 replicas in sync"},
		{"master, no replicas", "master of g, no replicas"},
		{"replica of 10.0.0.2:6379, lag 0 s", "replica of 10.0.0.2:6379, lag 0 s"},
	}
	for _, tt := range tests {
		if got := groupStatus("g", tt.line); got != tt.want {
			t.Errorf("groupStatus(%q): got %q, want %q", tt.line, got, tt.want)
		}
	}
}
