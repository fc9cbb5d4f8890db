package config

import (
	"errors"
	"reflect"
	"slices"
	"testing"
)

func TestGet(t *testing.T) {
	cfg := Default()
	cfg.ReplicaOf = "10.0.0.1 6380"
	tests := []struct {
		name     string
		patterns []string
		want     []KV
	}{
		{"exact", []string{"maxmemory"}, []KV{{"maxmemory", "0"}}},
		{"exact keeps case", []string{"SLAVEOF"}, []KV{{"SLAVEOF", "10.0.0.1 6380"}}},
		{"alias and name", []string{"slaveof", "replicaof"}, []KV{{"slaveof", "10.0.0.1 6380"}, {"replicaof", "10.0.0.1 6380"}}},
		{"exact duplicate", []string{"port", "PORT"}, []KV{{"port", "6379"}}},
		{"unknown", []string{"nosuch"}, nil},
		{"hidden exact", []string{"key-load-delay"}, []KV{{"key-load-delay", "0"}}},
		{"hidden not globbed", []string{"key-load-*"}, nil},
		{"glob aliases", []string{"*slave-pri*"}, []KV{{"slave-priority", "100"}}},
		{"glob name and alias", []string{"*-priority"}, []KV{{"replica-priority", "100"}, {"slave-priority", "100"}}},
		{"glob case-insensitive", []string{"MAXMEMORY-P*"}, []KV{{"maxmemory-policy", "noeviction"}}},
		{"several patterns dedupe", []string{"maxmemory-policy", "maxmemory-pol*"}, []KV{{"maxmemory-policy", "noeviction"}}},
		{"class", []string{"hash-max-[l]istpack-entries"}, []KV{{"hash-max-listpack-entries", "512"}}},
		{"special forms", []string{"save", "client-output-buffer-limit", "bind"}, []KV{
			{"save", "3600 1 300 100 60 10000"},
			{"client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"},
			{"bind", "* -::*"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Get(cfg, tt.patterns); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Get(%q) = %v, want %v", tt.patterns, got, tt.want)
			}
		})
	}
	if n := len(Get(cfg, []string{"*"})); n != 192+len(vigilOwn) {
		t.Fatalf("len(Get(*)) = %d, want %d (redis-server 7.0.15's and Vigil's own)", n, 192+len(vigilOwn))
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		name    string
		pairs   [][2]string
		err     string
		changed []string
		check   func(*Server) any
		want    any
	}{
		{"memory units", [][2]string{{"maxmemory", "1GB"}}, "", []string{"maxmemory"},
			func(s *Server) any { return s.MaxMemory }, int64(1 << 30)},
		{"no change reported", [][2]string{{"maxmemory", "0"}}, "", nil,
			func(s *Server) any { return s.MaxMemory }, int64(0)},
		{"several", [][2]string{{"maxmemory-policy", "allkeys-lru"}, {"slave-priority", "5"}}, "", []string{"maxmemory-policy", "replica-priority"},
			func(s *Server) any { return []any{s.MaxMemoryPolicy, s.ReplicaPriority} }, []any{"allkeys-lru", 5}},
		{"save replaces", [][2]string{{"save", "60 1 70 2"}}, "", []string{"save"},
			func(s *Server) any { return s.Save }, []SavePoint{{60, 1}, {70, 2}}},
		{"save empty", [][2]string{{"save", ""}}, "", []string{"save"},
			func(s *Server) any { return len(s.Save) }, 0},
		{"bind", [][2]string{{"bind", "127.0.0.1 -::1"}}, "", []string{"bind"},
			func(s *Server) any { return s.Bind }, []string{"127.0.0.1", "-::1"}},
		{"immutable", [][2]string{{"databases", "3"}}, "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config", nil, nil, nil},
		{"immutable replicaof", [][2]string{{"slaveof", "a 1"}}, "ERR CONFIG SET failed (possibly related to argument 'slaveof') - can't set immutable config", nil, nil, nil},
		{"unknown", [][2]string{{"foo", "1"}}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'", nil, nil, nil},
		{"duplicate", [][2]string{{"maxmemory", "1"}, {"maxmemory", "2"}}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter", nil, nil, nil},
		{"duplicate via alias", [][2]string{{"replica-priority", "1"}, {"slave-priority", "2"}}, "ERR CONFIG SET failed (possibly related to argument 'slave-priority') - duplicate parameter", nil, nil, nil},
		{"protected", [][2]string{{"dir", "/tmp"}}, "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config", nil, nil, nil},
		{"bad yes/no", [][2]string{{"appendonly", "maybe"}}, "ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'", nil, nil, nil},
		{"alias named in error", [][2]string{{"slave-priority", "abc"}}, "ERR CONFIG SET failed (possibly related to argument 'slave-priority') - argument couldn't be parsed into an integer", nil, nil, nil},
		{"range", [][2]string{{"maxclients", "0"}}, "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive", nil, nil, nil},
		{"enum", [][2]string{{"maxmemory-policy", "foo"}}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction", nil, nil, nil},
		{"rollback", [][2]string{{"maxmemory", "5mb"}, {"save", "1 2 3"}}, "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters",
			nil, func(s *Server) any { return s.MaxMemory }, int64(0)},
		{"first problem wins", [][2]string{{"databases", "1"}, {"nosuch", "1"}}, "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config", nil, nil, nil},
		{"ignored round-trips", [][2]string{{"lua-time-limit", "100"}}, "", []string{"busy-reply-threshold"},
			func(s *Server) any { return Get(s, []string{"busy-reply-threshold"})[0].Value }, "100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Default()
			changed, err := Set(cfg, tt.pairs)
			if tt.err != "" {
				var se *SetError
				if err == nil || err.Error() != tt.err || !errors.As(err, &se) {
					t.Fatalf("Set(%q) error = %v, want %q", tt.pairs, err, tt.err)
				}
			} else if err != nil {
				t.Fatalf("Set(%q): %v", tt.pairs, err)
			}
			if !slices.Equal(changed, tt.changed) {
				t.Fatalf("Set(%q) changed = %q, want %q", tt.pairs, changed, tt.changed)
			}
			if tt.check != nil {
				if got := tt.check(cfg); !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("Set(%q): got %#v, want %#v", tt.pairs, got, tt.want)
				}
			}
		})
	}
}

func TestSetProtected(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		mode  string
		local bool
		ok    bool
	}{
		{"no", "no", true, false},
		{"yes", "yes", false, true},
		{"local from remote", "local", false, false},
		{"local from local", "local", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Default()
			cfg.EnableProtectedConfigs = tt.mode
			_, err := SetWith(cfg, [][2]string{{"dir", dir}}, SetOptions{LocalClient: tt.local})
			if (err == nil) != tt.ok {
				t.Fatalf("SetWith(dir) mode %s local %v: err = %v, want ok %v", tt.mode, tt.local, err, tt.ok)
			}
			if tt.ok && cfg.Dir != dir {
				t.Fatalf("Dir = %q, want %q", cfg.Dir, dir)
			}
		})
	}
}

func TestSetLoading(t *testing.T) {
	_, err := SetWith(Default(), [][2]string{{"appendonly", "yes"}}, SetOptions{Loading: true})
	if err == nil || err.Error() != "LOADING Redis is loading the dataset in memory" {
		t.Fatalf("err = %v, want LOADING", err)
	}
}

// TestGetSetRoundTrip sets every mutable directive to its own CONFIG GET text.
func TestGetSetRoundTrip(t *testing.T) {
	cfg := Default()
	cfg.EnableProtectedConfigs = "yes"
	for _, d := range Directives() {
		if !d.Mutable {
			continue
		}
		t.Run(d.Name, func(t *testing.T) {
			v := Get(cfg, []string{d.Name})[0].Value
			changed, err := Set(cfg, [][2]string{{d.Name, v}})
			if err != nil || len(changed) != 0 {
				t.Fatalf("Set(%s, %q) = %q, %v; want no change", d.Name, v, changed, err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	s := Default()
	s.Port = 0
	s.MaxMemorySamples = 0
	s.LogLevel = "loud"
	s.Hz = 0
	s.ReplicaOf = "nohostport"
	s.Extra = map[string]string{"cluster-enabled": "yes"}
	err := s.Validate()
	var got []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ve *ValidationError
		if !errors.As(e, &ve) {
			t.Fatalf("error %v is not a *ValidationError", e)
		}
		got = append(got, ve.Directive)
	}
	want := []string{"port", "hz", "loglevel", "maxmemory-samples", "replicaof", "replicaof"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("Validate directives = %q, want %q\n%v", got, want, err)
	}
}
