package server

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-db/vigil/config"
)

func TestMonitor(t *testing.T) {
	ts := newTestServer(t, nil)
	mon, c := ts.dial(t), ts.dial(t)
	if got := mon.do("MONITOR"); got != "+OK\r\n" {
		t.Fatalf("MONITOR: got %q, want +OK", got)
	}
	for _, args := range [][]string{
		{"SELECT", "3"},
		{"SET", "k", "a\"b\\c\n\r\t\a\b\x01\xff"},
		{"AUTH", "x"},                    // fails, still shown, redacted
		{"HELLO", "2", "AUTH", "u", "p"}, // redacted
		{"MIGRATE", "127.0.0.1", "1", "nokey", "0", "5000", "AUTH", "pw"},                            // password redacted
		{"MIGRATE", "127.0.0.1", "1", "nokey", "0", "5000", "COPY", "AUTH2", "u", "pw", "KEYS", "x"}, // user and password
		{"CONFIG", "SET", "maxclients", "100"},                                                       // admin: not shown
		{"NOPE"},                                                                                     // rejected: not shown
		{"MULTI"}, {"SET", "m", "1"}, {"EXEC"},
		{"PING"},
	} {
		c.do(args...)
	}
	addr := regexp.QuoteMeta(c.conn.LocalAddr().String())
	want := []string{
		`"SELECT" "3"`,
		`"SET" "k" "a\"b\\c\n\r\t\a\b\x01\xff"`,
		`"AUTH" "(redacted)"`,
		`"HELLO" "2" "AUTH" "(redacted)" "(redacted)"`,
		`"MIGRATE" "127.0.0.1" "1" "nokey" "0" "5000" "AUTH" "(redacted)"`,
		`"MIGRATE" "127.0.0.1" "1" "nokey" "0" "5000" "COPY" "AUTH2" "(redacted)" "(redacted)" "KEYS" "x"`,
		`"MULTI"`,
		`"SET" "m" "1"`,
		`"EXEC"`,
		`"PING"`,
	}
	for _, w := range want {
		line := mon.read()
		re := regexp.MustCompile(`^\+\d{10}\.\d{6} \[3 ` + addr + `\] ` + regexp.QuoteMeta(w) + "\r\n$")
		if !re.MatchString(line) {
			t.Errorf("MONITOR line: got %q, want %s", line, re)
		}
	}
}

func TestMonitorSecondCallAndReset(t *testing.T) {
	ts := newTestServer(t, nil)
	mon, c := ts.dial(t), ts.dial(t)
	mon.do("MONITOR")
	mon.send("MONITOR") // no reply
	mon.send("PING")
	if got := mon.read(); !strings.HasSuffix(got, `"PING"`+"\r\n") {
		t.Fatalf("after a second MONITOR: got %q, want the monitor line of its own PING", got)
	}
	if got := mon.read(); got != "+PONG\r\n" {
		t.Fatalf("PING from a monitor: got %q, want +PONG", got)
	}
	if got := mon.do("RESET"); got != "+RESET\r\n" {
		t.Fatalf("RESET: got %q", got)
	}
	c.do("SET", "x", "1")
	if got := mon.do("PING"); got != "+PONG\r\n" {
		t.Errorf("after RESET the client is no longer a monitor: got %q, want +PONG", got)
	}
	c.do("MULTI")
	c.do("MONITOR")
	if got := c.do("EXEC"); got != "*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n" {
		t.Errorf("MONITOR inside MULTI: got %q", got)
	}
}

// slowlogEntryRE matches one raw SLOWLOG GET entry with the given argv and client name.
func slowlogEntryRE(id int, addr, name string, argv ...string) string {
	s := fmt.Sprintf(`\*6\r\n:%d\r\n:\d+\r\n:\d+\r\n\*%d\r\n`, id, len(argv))
	for _, a := range argv {
		s += regexp.QuoteMeta(fmt.Sprintf("$%d\r\n%s\r\n", len(a), a))
	}
	return s + regexp.QuoteMeta(fmt.Sprintf("$%d\r\n%s\r\n$%d\r\n%s\r\n", len(addr), addr, len(name), name))
}

func TestSlowlog(t *testing.T) {
	ts := newTestServer(t, func(c *config.Server) { c.SlowlogLogSlowerThan = 0; c.SlowlogMaxLen = 5 })
	c := ts.dial(t)
	addr := c.conn.LocalAddr().String()
	if got := c.do("SLOWLOG", "RESET"); got != "+OK\r\n" {
		t.Fatalf("SLOWLOG RESET: got %q", got)
	}
	c.do("CLIENT", "SETNAME", "slow")
	c.do("AUTH", "secret")
	long := strings.Repeat("v", 130)
	c.do("SET", "k", long)
	many := []string{"DEL"}
	for i := 0; i < 40; i++ {
		many = append(many, fmt.Sprintf("k%d", i))
	}
	c.do(many...)
	got := c.do("SLOWLOG", "GET")
	wantArgv := append(append([]string{}, many[:31]...), "... (10 more arguments)")
	want := `^\*5\r\n` +
		slowlogEntryRE(4, addr, "slow", wantArgv...) +
		slowlogEntryRE(3, addr, "slow", "SET", "k", strings.Repeat("v", 128)+"... (2 more bytes)") +
		slowlogEntryRE(2, addr, "slow", "AUTH", "(redacted)") +
		slowlogEntryRE(1, addr, "slow", "CLIENT", "SETNAME", "slow") +
		slowlogEntryRE(0, addr, "", "SLOWLOG", "RESET") + `$`
	if !regexp.MustCompile(want).MatchString(got) {
		t.Errorf("SLOWLOG GET:\ngot  %q\nwant %s", got, want)
	}
	// the GET above was logged too; slowlog-max-len 5 keeps the newest five
	if got := c.do("SLOWLOG", "LEN"); got != ":5\r\n" {
		t.Errorf("SLOWLOG LEN: got %q, want :5", got)
	}
	if got := c.do("SLOWLOG", "GET", "1"); !regexp.MustCompile(`^\*1\r\n` + slowlogEntryRE(6, addr, "slow", "SLOWLOG", "LEN") + `$`).MatchString(got) {
		t.Errorf("SLOWLOG GET 1: got %q", got)
	}
	if got := c.do("SLOWLOG", "GET", "-1"); !strings.HasPrefix(got, "*5\r\n") {
		t.Errorf("SLOWLOG GET -1: got %q, want all 5", got)
	}
	if got := c.do("SLOWLOG", "GET", "-2"); got != "-ERR count should be greater than or equal to -1\r\n" {
		t.Errorf("SLOWLOG GET -2: got %q", got)
	}
	c.do("CONFIG", "SET", "slowlog-log-slower-than", "-1")
	c.do("SLOWLOG", "RESET")
	c.do("PING")
	if got := c.do("SLOWLOG", "LEN"); got != ":0\r\n" {
		t.Errorf("SLOWLOG LEN with slowlog-log-slower-than -1: got %q, want :0", got)
	}
}

func TestCommandCommand(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	n := len(ts.cmds)
	if got, want := c.do("COMMAND", "COUNT"), fmt.Sprintf(":%d\r\n", n); got != want {
		t.Errorf("COMMAND COUNT: got %q, want %q", got, want)
	}
	if got := c.do("COMMAND"); !strings.HasPrefix(got, fmt.Sprintf("*%d\r\n", n)) {
		t.Errorf("COMMAND: got %.40q, want %d entries", got, n)
	}
	if got := c.do("COMMAND", "INFO"); !strings.HasPrefix(got, fmt.Sprintf("*%d\r\n", n)) {
		t.Errorf("COMMAND INFO: got %.40q, want %d entries", got, n)
	}
	c.do("HELLO", "3")
	if got := c.do("COMMAND", "DOCS"); !strings.HasPrefix(got, fmt.Sprintf("%%%d\r\n", n)) {
		t.Errorf("COMMAND DOCS in RESP3: got %.40q, want a map of %d", got, n)
	}
	if got, want := c.do("COMMAND", "INFO", "nosuch", "echo"), "*2\r\n_\r\n*10\r\n$4\r\necho\r\n:2\r\n~3\r\n+loading\r\n+stale\r\n+fast\r\n:0\r\n:0\r\n:0\r\n~2\r\n+@fast\r\n+@connection\r\n~0\r\n~0\r\n~0\r\n"; got != want {
		t.Errorf("COMMAND INFO nosuch echo in RESP3: got %q, want %q", got, want)
	}
	if got, want := c.do("COMMAND", "GETKEYSANDFLAGS", "SET", "a", "b", "GET"), "*1\r\n*2\r\n$1\r\na\r\n~3\r\n+RW\r\n+access\r\n+update\r\n"; got != want {
		t.Errorf("COMMAND GETKEYSANDFLAGS in RESP3: got %q, want %q", got, want)
	}
}
