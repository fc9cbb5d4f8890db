package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseValues(t *testing.T) {
	tests := []struct {
		name  string
		conf  string
		check func(*Server) any
		want  any
	}{
		{"quoted password", `requirepass "a b\x41"`, func(s *Server) any { return s.RequirePass }, "a bA"},
		{"single quoted", `masteruser 'it\'s'`, func(s *Server) any { return s.MasterUser }, "it's"},
		{"memory gb", "maxmemory 1gb", func(s *Server) any { return s.MaxMemory }, int64(1 << 30)},
		{"memory g", "maxmemory 1g", func(s *Server) any { return s.MaxMemory }, int64(1e9)},
		{"memory MB upper", "maxmemory 100MB", func(s *Server) any { return s.MaxMemory }, int64(100 << 20)},
		{"memory k", "maxmemory 5k", func(s *Server) any { return s.MaxMemory }, int64(5000)},
		{"directive case", "MaxMemory 7", func(s *Server) any { return s.MaxMemory }, int64(7)},
		{"yes/no case", "appendonly YES", func(s *Server) any { return s.AppendOnly }, true},
		{"enum case", "maxmemory-policy ALLKEYS-LRU", func(s *Server) any { return s.MaxMemoryPolicy }, "allkeys-lru"},
		{"alias slaveof", "slaveof 10.0.0.1 6380", func(s *Server) any { return s.ReplicaOf }, "10.0.0.1 6380"},
		{"replicaof no one", "replicaof 1.2.3.4 5\nreplicaof no one", func(s *Server) any { return s.ReplicaOf }, ""},
		{"alias slave-read-only", "slave-read-only no", func(s *Server) any { return s.ReplicaReadOnly }, false},
		{"alias ziplist", "hash-max-ziplist-entries 64", func(s *Server) any { return s.HashMaxListpackEntries }, 64},
		{"alias list ziplist", "list-max-ziplist-size -3", func(s *Server) any { return s.ListMaxListpackSize }, -3},
		{"alias min-slaves", "min-slaves-to-write 2", func(s *Server) any { return s.MinReplicasToWrite }, 2},
		{"alias ping period", "repl-ping-slave-period 3", func(s *Server) any { return s.ReplPingReplicaPeriod.Seconds() }, 3.0},
		{"seconds", "timeout 30", func(s *Server) any { return s.Timeout.Seconds() }, 30.0},
		{"first save replaces defaults", "save 60 1\nsave 300 10", func(s *Server) any { return s.Save }, []SavePoint{{60, 1}, {300, 10}}},
		{"save pairs on one line", "save 60 1 300 10", func(s *Server) any { return s.Save }, []SavePoint{{60, 1}, {300, 10}}},
		{"save empty clears", "save 60 1\nsave \"\"\nsave 70 2", func(s *Server) any { return s.Save }, []SavePoint{{70, 2}}},
		{"save empty alone", `save ""`, func(s *Server) any { return len(s.Save) }, 0},
		{"bind last wins", "bind 1.2.3.4\nbind 127.0.0.1 -::1", func(s *Server) any { return s.Bind }, []string{"127.0.0.1", "-::1"}},
		{"output buffer per class", "client-output-buffer-limit pubsub 1mb 2k 3\nclient-output-buffer-limit replica 1gb 0 0",
			func(s *Server) any { return s.ClientOutputBufferLimits },
			[3]OutputBufferLimit{{}, {1 << 30, 0, 0}, {1 << 20, 2000, 3}}},
		{"rename-command", "rename-command FLUSHALL \"\"\nrename-command CONFIG cfg",
			func(s *Server) any { return s.RenameCommands }, [][2]string{{"FLUSHALL", ""}, {"CONFIG", "cfg"}}},
		{"default user unchanged", "user default on nopass ~* &* +@all",
			func(s *Server) any { return s.Users }, [][]string{{"default", "on", "nopass", "~*", "&*", "+@all"}}},
		{"default user password is requirepass", "requirepass a\nuser default on >secret allkeys allchannels allcommands",
			func(s *Server) any { return s.RequirePass }, "secret"},
		{"default user nopass keeps requirepass", "user default on nopass ~* &* +@all\nrequirepass a",
			func(s *Server) any { return s.RequirePass }, "a"},
		{"default user hash of requirepass", "user default on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~* &* +@all\nrequirepass secret",
			func(s *Server) any { return s.RequirePass }, "secret"},
		{"comments and blanks", "# c\n\n   # indented\n\t\r\nport 1234\r", func(s *Server) any { return s.Port }, 1234},
		{"hz clamps", "hz 0", func(s *Server) any { return s.Hz }, 1},
		{"hz clamps high", "hz 100000", func(s *Server) any { return s.Hz }, 500},
		{"notify canonical", "notify-keyspace-events KEA", func(s *Server) any { return s.NotifyKeyspaceEvents }, "AKE"},
		{"octal perm", "unixsocketperm 700", func(s *Server) any { return s.UnixSocketPerm }, uint32(0o700)},
		{"percentiles", "latency-tracking-info-percentiles 99.90 50.0 1e1", func(s *Server) any { return s.LatencyTrackingInfoPercentiles }, "99.9 50 10"},
		{"shutdown flags", "shutdown-on-sigint now save", func(s *Server) any { return s.ShutdownOnSigint }, "save now"},
		{"io-threads typed", "io-threads 4", func(s *Server) any { return s.IOThreads }, 4},
		{"ignored stored", "io-threads-do-reads yes", func(s *Server) any { return s.Extra["io-threads-do-reads"] }, "yes"},
		{"bare sentinel line", "sentinel", func(s *Server) any { return s.Port }, 6379},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, err := Parse(tt.conf)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.conf, err)
			}
			if got := tt.check(s); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q): got %#v, want %#v", tt.conf, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		conf   string
		line   int
		dir    string
		reason string
	}{
		{"unknown", "port 7779\nfoo bar", 2, "foo", "Bad directive or wrong number of arguments"},
		{"bad yes/no", "appendonly maybe", 1, "appendonly", "argument must be 'yes' or 'no'"},
		{"not an integer", "hz abc", 1, "hz", "argument couldn't be parsed into an integer"},
		{"out of range", "\n\nmaxmemory-samples 0", 3, "maxmemory-samples", "argument must be between 1 and 2147483647 inclusive"},
		{"bad memory", "maxmemory 1x", 1, "maxmemory", "argument must be a memory value"},
		{"negative memory", "maxmemory -1", 1, "maxmemory", "argument must be a memory value"},
		{"bad enum", "loglevel loud", 1, "loglevel", "argument(s) must be one of the following: debug, verbose, notice, warning"},
		{"wrong args", "port 1 2", 1, "port", "wrong number of arguments"},
		{"no value", "port", 1, "port", "wrong number of arguments"},
		{"bad save", "save 1", 1, "save", "Invalid save parameters"},
		{"bad save seconds", "save 0 1", 1, "save", "Invalid save parameters"},
		{"unbalanced", `bind "a`, 1, "", "Unbalanced quotes in configuration line"},
		{"sentinel", "sentinel monitor a b c", 1, "sentinel", "sentinel directive while not in sentinel mode"},
		{"loadmodule", "loadmodule /x.so", 1, "loadmodule", msgModules},
		{"module config", "a.b 1", 1, "a.b", msgModules},
		{"octal range", "unixsocketperm 1777", 1, "unixsocketperm", "argument must be between 0 and 777 inclusive"},
		{"octal parse", "unixsocketperm 9", 1, "unixsocketperm", "argument couldn't be parsed as an octal number"},
		{"percent", "maxmemory-clients 200%", 1, "maxmemory-clients", "percentage argument must be less or equal to 100"},
		{"obuf class", "client-output-buffer-limit master 1 2 3", 1, "client-output-buffer-limit", "Invalid client class specified in buffer limit configuration."},
		{"dbfilename path", "dbfilename a/b", 1, "dbfilename", "dbfilename can't be a path, just a filename"},
		{"master port", "replicaof h 70000", 1, "replicaof", "Invalid master port"},
		{"notify", "notify-keyspace-events Z", 1, "notify-keyspace-events", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."},
		{"dir missing", "dir /nonexistent-vigil-dir", 1, "dir", "No such file or directory"},
		{"shutdown save nosave", "shutdown-on-sigterm save nosave", 1, "shutdown-on-sigterm", "shutdown options SAVE and NOSAVE can't be used simultaneously"},
		{"default user two passwords", "port 1\nuser default on >a >b ~* &* +@all", 2, "user", msgUsers},
		{"default user password and nopass", "user default on >a nopass ~* &* +@all", 1, "user", msgUsers},
		{"default user empty password", "user default on > ~* &* +@all", 1, "user", msgUsers},
		{"default user no password rule", "user default on ~* &* +@all", 1, "user", msgUsers},
		{"default user twice", "user default on nopass ~* &* +@all\nuser default on nopass ~* &* +@all", 2, "user", msgUserTwice},
		{"default user hash without requirepass", "user default on #" + strings.Repeat("a", 64) + " ~* &* +@all", 1, "user", msgUserHash},
		{"default user other hash", "requirepass x\nuser default on #" + strings.Repeat("a", 64) + " ~* &* +@all\nport 1", 2, "user", msgUserHash},
		{"default user reset", "user default on nopass", 1, "user", msgUsers},
		{"default user off", "user default off nopass ~* &* +@all", 1, "user", msgUsers},
		{"default user less commands", "user default on nopass ~* &* +@all -flushall", 1, "user", msgUsers},
		{"other user", "user alice on nopass ~* &* +@all", 1, "user", msgUsers},
		{"aclfile", "aclfile /etc/redis/users.acl", 1, "aclfile", msgACLFile},
		{"tls-port", "tls-port 6380", 1, "tls-port", msgTLS},
		{"tls-replication", "tls-replication yes", 1, "tls-replication", msgTLS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Parse(tt.conf)
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Parse(%q) error = %v, want *LoadError", tt.conf, err)
			}
			if le.Line != tt.line || le.Directive != tt.dir || le.Reason != tt.reason {
				t.Fatalf("Parse(%q): got line %d directive %q reason %q, want %d %q %q",
					tt.conf, le.Line, le.Directive, le.Reason, tt.line, tt.dir, tt.reason)
			}
		})
	}
}

// TestRenameCommandChecked follows redis-server 7.0.15: each rename-command line
// is checked against the table as renamed by the lines before it.
func TestRenameCommandChecked(t *testing.T) {
	cmds := []string{"get", "set", "flushall", "config"}
	tests := []struct {
		name   string
		conf   string
		line   int
		reason string // "" = accepted
	}{
		{"rename and remove", "rename-command FLUSHALL myflush\nrename-command config \"\"", 0, ""},
		{"rename to itself", "rename-command get GET", 0, ""},
		{"unknown command", "port 1\nrename-command foo bar", 2, msgNoSuchCommand},
		{"target exists", "rename-command get set", 1, msgRenameExists},
		{"target taken by an earlier rename", "rename-command get x\nrename-command set x", 2, msgRenameExists},
		{"renamed away", "rename-command get x\nrename-command get y", 2, msgNoSuchCommand},
		{"removed", "rename-command config \"\"\nrename-command config c", 2, msgNoSuchCommand},
		{"subcommand", "rename-command config|get x", 1, msgNoSuchCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseWith(tt.conf, Options{Commands: cmds})
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("ParseWith(%q): %v", tt.conf, err)
				}
				return
			}
			var le *LoadError
			if !errors.As(err, &le) || le.Line != tt.line || le.Reason != tt.reason || le.Directive != "rename-command" {
				t.Fatalf("ParseWith(%q): got %#v, want line %d reason %q", tt.conf, err, tt.line, tt.reason)
			}
		})
	}
	if _, _, err := Parse("rename-command foo bar"); err != nil {
		t.Fatalf("Parse without a command table: got %v, want no check", err)
	}
}

func TestLoadErrorText(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "r.conf", "port 7779\n  foo bar  \n")
	_, _, err := Load(p, nil)
	want := "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments\n(config file " + p + ")"
	if err == nil || err.Error() != want {
		t.Fatalf("Load(%q) error = %q, want %q", p, err, want)
	}
	var le *LoadError
	if !errors.As(err, &le) || le.File != p {
		t.Fatalf("Load(%q) error = %#v, want *LoadError with File %q", p, err, p)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, _, err := Load("/nonexistent/vigil.conf", nil)
	want := "Fatal error, can't open config file '/nonexistent/vigil.conf': No such file or directory"
	if err == nil || err.Error() != want || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load error = %v, want %q wrapping os.ErrNotExist", err, want)
	}
}

func TestInclude(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFile(t, dir, "inc.conf", "port 7000\nmaxmemory 1mb\n")
	if err := os.Mkdir(filepath.Join(dir, "conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "conf.d"), "a.conf", "timeout 5\n")
	writeFile(t, filepath.Join(dir, "conf.d"), "b.conf", "tcp-keepalive 7\n")
	writeFile(t, dir, "bad.conf", "\n\nhz abc\n")
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, sub, "rel.conf", "databases 4\n")

	t.Run("relative to cwd", func(t *testing.T) {
		s, _, err := Load(writeFile(t, dir, "main.conf", "include inc.conf\nmaxmemory 2mb\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.Port != 7000 || s.MaxMemory != 2<<20 {
			t.Fatalf("got port %d maxmemory %d, want 7000 and %d", s.Port, s.MaxMemory, 2<<20)
		}
	})
	t.Run("glob", func(t *testing.T) {
		s, _, err := Load(writeFile(t, dir, "g.conf", "include conf.d/*.conf\ninclude nothing/*.conf\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.Timeout.Seconds() != 5 || s.TCPKeepalive.Seconds() != 7 {
			t.Fatalf("got timeout %v keepalive %v, want 5s and 7s", s.Timeout, s.TCPKeepalive)
		}
	})
	t.Run("after dir", func(t *testing.T) {
		s, _, err := Load(writeFile(t, dir, "d.conf", "dir sub\ninclude rel.conf\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.Databases != 4 || s.Dir != sub {
			t.Fatalf("got databases %d dir %q, want 4 and %q", s.Databases, s.Dir, sub)
		}
	})
	t.Run("error names included file and its line", func(t *testing.T) {
		_, _, err := Load(writeFile(t, dir, "e.conf", "port 1\ninclude bad.conf\n"), nil)
		var le *LoadError
		if !errors.As(err, &le) || le.Line != 3 || le.File != filepath.Join(dir, "bad.conf") {
			t.Fatalf("got %#v, want line 3 of bad.conf", err)
		}
	})
	t.Run("missing include", func(t *testing.T) {
		_, _, err := Load(writeFile(t, dir, "m.conf", "include missing.conf\n"), nil)
		if err == nil || !strings.Contains(err.Error(), "can't open config file 'missing.conf'") {
			t.Fatalf("got %v, want can't open config file", err)
		}
	})
	t.Run("cycle", func(t *testing.T) {
		writeFile(t, dir, "loop.conf", "include loop.conf\n")
		_, _, err := Load("loop.conf", nil)
		if err == nil || !strings.Contains(err.Error(), "include nesting too deep") {
			t.Fatalf("got %v, want nesting error", err)
		}
	})
	t.Run("config file absolute", func(t *testing.T) {
		s, _, err := Load("inc.conf", nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.ConfigFile != filepath.Join(dir, "inc.conf") {
			t.Fatalf("ConfigFile = %q, want %q", s.ConfigFile, filepath.Join(dir, "inc.conf"))
		}
	})
}

func TestWarnings(t *testing.T) {
	_, warnings, err := Parse("io-threads 4\nio-threads-do-reads yes\nio-threads-do-reads no\ntls-port 0\nlist-max-ziplist-entries 5\nport 1\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"io-threads-do-reads: accepted for compatibility, ignored by Vigil",
		"tls-port: accepted for compatibility, ignored by Vigil",
		"list-max-ziplist-entries: deprecated directive ignored, as Redis 7.0 does",
	}
	if !slices.Equal(warnings, want) {
		t.Fatalf("warnings = %q, want %q", warnings, want)
	}
}

func TestOptionLines(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"simple", []string{"--port", "6380"}, []string{`port "6380" `}},
		{"multi value", []string{"--save", "60", "1", "--replicaof", "127.0.0.1", "6380"}, []string{`save "60" "1" `, `replicaof "127.0.0.1" "6380" `}},
		{"save empty", []string{"--save", ""}, []string{`save "" `}},
		{"save last", []string{"--port", "1", "--save"}, []string{`port "1" `, `save ""`}},
		{"save then option", []string{"--save", "--port", "1"}, []string{`save ""`, `port "1" `}},
		{"name with value", []string{"--port 6380"}, []string{"port 6380 "}},
		{"quoting", []string{"--requirepass", `a "b`}, []string{`requirepass "a \"b" `}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := optionLines(tt.args); !slices.Equal(got, tt.want) {
				t.Fatalf("optionLines(%q) = %q, want %q", tt.args, got, tt.want)
			}
		})
	}
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "p.conf", "port 1000\nmaxmemory 1mb\ntimeout 10\nsave 60 1\n")
	env := []string{"VIGIL_PORT=2000", "VIGIL_TIMEOUT=20", "VIGIL_MAXMEMORY_POLICY=allkeys-lru", "VIGIL_SAVE=", "VIGIL_REQUIRE_REDIS=1", "OTHER=1"}
	s, _, err := LoadEnv(p, []string{"--port", "3000"}, env)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"default kept", s.Databases, 16},
		{"file over default", s.MaxMemory, int64(1 << 20)},
		{"env over file", s.Timeout.Seconds(), 20.0},
		{"env over default", s.MaxMemoryPolicy, "allkeys-lru"},
		{"empty env clears save", len(s.Save), 0},
		{"flag over env", s.Port, 3000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Fatalf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

func TestLoadArgs(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "a.conf", "port 1\n\n\n")
	tests := []struct {
		name string
		args []string
		line int
		text string
		err  string
	}{
		{"file as first arg", []string{p, "--port", "7778", "--replicaof", "1.2.3.4"}, 6, `replicaof "1.2.3.4"`, "wrong number of arguments"},
		{"no file", []string{"--port", "7778", "--foo", "bar"}, 3, `foo "bar"`, msgBadDirective},
		{"two values", []string{"--maxmemory", "1x", "2"}, 2, `maxmemory "1x" "2"`, "wrong number of arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := LoadEnv("", tt.args, nil)
			var le *LoadError
			if !errors.As(err, &le) || le.Line != tt.line || le.Text != tt.text || le.Reason != tt.err {
				t.Fatalf("LoadEnv(%q) error = %#v, want line %d %q %q", tt.args, err, tt.line, tt.text, tt.err)
			}
		})
	}
	s, _, err := LoadEnv("", []string{p, "--save", "60", "1", "--replicaof", "127.0.0.1", "6380"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.ReplicaOf != "127.0.0.1 6380" || !reflect.DeepEqual(s.Save, []SavePoint{{60, 1}}) || s.Port != 1 {
		t.Fatalf("got replicaof %q save %v port %d", s.ReplicaOf, s.Save, s.Port)
	}
}

func TestEnvError(t *testing.T) {
	_, _, err := LoadEnv("", nil, []string{"VIGIL_MAXMEMORY=1x"})
	var le *LoadError
	if !errors.As(err, &le) || le.Env != "VIGIL_MAXMEMORY" || le.Reason != "argument must be a memory value" {
		t.Fatalf("got %#v, want env error on VIGIL_MAXMEMORY", err)
	}
	if !strings.Contains(err.Error(), "Reading the environment variable VIGIL_MAXMEMORY\n>>> 'maxmemory 1x'") {
		t.Fatalf("Error() = %q", err.Error())
	}
}

func TestViperFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"c.yaml": "port: 7001\nmaxmemory: 1gb\nappendonly: true\nsave: [60, 1, 300, 10]\nbind: [\"127.0.0.1\", \"-::1\"]\n" +
			"slave-read-only: \"no\"\nclient-output-buffer-limit: [\"pubsub 1mb 2mb 3\"]\nrequirepass: \"a b\"\nuser: [\"default on nopass ~* &* +@all\"]\n",
		"c.toml": "port = 7001\nmaxmemory = \"1gb\"\nappendonly = \"yes\"\nsave = \"60 1 300 10\"\nbind = [\"127.0.0.1\", \"-::1\"]\n" +
			"slave-read-only = false\nclient-output-buffer-limit = \"pubsub 1mb 2mb 3\"\nrequirepass = \"a b\"\nuser = [\"default on nopass ~* &* +@all\"]\n",
		"c.json": `{"port": 7001, "maxmemory": "1gb", "appendonly": true, "save": ["60 1", "300 10"], "bind": "127.0.0.1 -::1",` +
			` "slave-read-only": "no", "client-output-buffer-limit": "pubsub 1mb 2mb 3", "requirepass": "a b", "user": "default on nopass ~* &* +@all"}`,
	}
	for name, content := range files {
		t.Run(name, func(t *testing.T) {
			s, _, err := Load(writeFile(t, dir, name, content), nil)
			if err != nil {
				t.Fatal(err)
			}
			want := Default()
			want.ConfigFile, want.Dir = s.ConfigFile, s.Dir
			want.Port, want.MaxMemory, want.AppendOnly = 7001, 1<<30, true
			want.Save = []SavePoint{{60, 1}, {300, 10}}
			want.Bind = []string{"127.0.0.1", "-::1"}
			want.ReplicaReadOnly = false
			want.ClientOutputBufferLimits[ClassPubSub] = OutputBufferLimit{1 << 20, 2 << 20, 3}
			want.RequirePass = "a b"
			want.Users = [][]string{{"default", "on", "nopass", "~*", "&*", "+@all"}}
			if !reflect.DeepEqual(s, want) {
				t.Fatalf("Load(%s):\n got %+v\nwant %+v", name, s, want)
			}
		})
	}
	t.Run("bad value names key", func(t *testing.T) {
		_, _, err := Load(writeFile(t, dir, "bad.yaml", "maxmemory: 1x\n"), nil)
		var le *LoadError
		if !errors.As(err, &le) || le.Key != "maxmemory" || le.Reason != "argument must be a memory value" {
			t.Fatalf("got %#v, want key error", err)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		_, _, err := Load(writeFile(t, dir, "unknown.toml", "nosuch = 1\n"), nil)
		var le *LoadError
		if !errors.As(err, &le) || le.Reason != msgBadDirective {
			t.Fatalf("got %#v, want bad directive", err)
		}
	})
}

func TestMultiArgSingleQuotedArgument(t *testing.T) {
	for _, src := range []string{"save \"3600 1 300 100\"\n", "save 3600 1 300 100\n"} {
		cfg, _, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		if len(cfg.Save) != 2 || cfg.Save[0] != (SavePoint{3600, 1}) || cfg.Save[1] != (SavePoint{300, 100}) {
			t.Errorf("%q: got save %v, want [{3600 1} {300 100}]", src, cfg.Save)
		}
	}
	cfg, _, err := Load("", []string{"--save", "3600 1"})
	if err != nil || len(cfg.Save) != 1 || cfg.Save[0] != (SavePoint{3600, 1}) {
		t.Errorf("--save \"3600 1\": got %v, %v", cfg.Save, err)
	}
}
