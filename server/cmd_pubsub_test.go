package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/internal/testutil"
)

// bulk and friends build expected raw RESP.
func rawBulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

func rawPush(proto int, elems ...string) string {
	h := "*"
	if proto == 3 {
		h = ">"
	}
	return h + strconv.Itoa(len(elems)) + "\r\n" + strings.Join(elems, "")
}

func rawInt(n int) string { return ":" + strconv.Itoa(n) + "\r\n" }

// TestPubsubGlob checks the matcher PSUBSCRIBE and PUBSUB CHANNELS use (config.Glob)
// against results taken from Redis 7.0.15.
func TestPubsubGlob(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"h?llo", "hello", true},
		{"h?llo", "hllo", false},
		{"h*llo", "heeeello", true},
		{"h*llo", "hllo", true},
		{"h[ae]llo", "hallo", true},
		{"h[ae]llo", "hillo", false},
		{"h[^e]llo", "hallo", true},
		{"h[^e]llo", "hello", false},
		{"h[a-b]llo", "hbllo", true},
		{"h[b-a]llo", "hbllo", true},
		{"h[a-b]llo", "hcllo", false},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{"*", "anything", true},
		{"**", "x", true},
		{"a*b*c", "abxxc", true},
		{"a*b*c", "abxx", false},
		{"[abc", "ab", false},
		{"[abc", "a", true},
		{"[a-]x", "-x", false},
		{"[a-]x", "ax", false},
		{`\\a`, `\a`, true},
		{`abc\`, "abc", false},
		{`abc\`, `abc\`, true},
		{`a[\]]b`, "a]b", true},
		{"*a", "ba", true},
		{"a*", "a", true},
		{"a**", "a", true},
		{"[]", "a", false},
		{"[]]", "]", false},
		{"x[", "x[", false},
		{"x[", "x", false},
		{"[^]", "a", true},
		{"?*", "a", true},
		{"?", "", false},
		{"", "", true},
		{strings.Repeat("*a", 30) + "b", strings.Repeat("a", 60), false},
	}
	for _, tc := range cases {
		if got := config.Glob(tc.pattern, tc.s, false); got != tc.want {
			t.Errorf("Glob(%q, %q): got %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestNotifyFlagsParse(t *testing.T) {
	cases := []struct {
		in      string
		want    NotifyClass
		canon   string
		wantErr bool
	}{
		{"", 0, "", false},
		{"KEA", NotifyKeyspace | NotifyKeyevent | NotifyAll, "AKE", false},
		{"KEAn", NotifyKeyspace | NotifyKeyevent | NotifyAll | NotifyNew, "AKE", false},
		{"Ag$lshzxetmdnKE", NotifyAll | NotifyNew | NotifyKeyMiss | NotifyKeyspace | NotifyKeyevent, "AKEm", false},
		{"gK", NotifyGeneric | NotifyKeyspace, "gK", false},
		{"E$", NotifyString | NotifyKeyevent, "$E", false},
		{"nzx", NotifyNew | NotifyZSet | NotifyExpired, "zxn", false},
		{"g$lshzxetd", NotifyAll, "A", false},
		{"Em", NotifyKeyevent | NotifyKeyMiss, "Em", false},
		{"q", 0, "", true},
		{"KEa", 0, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseNotifyFlags(tc.in)
			if tc.wantErr {
				if err == nil || err.Error() != ErrNotifyClass {
					t.Errorf("ParseNotifyFlags(%q): got error %v, want %q", tc.in, err, ErrNotifyClass)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseNotifyFlags(%q): got %b, %v, want %b", tc.in, got, err, tc.want)
			}
			if s := got.String(); s != tc.canon {
				t.Errorf("String() of %q: got %q, want %q", tc.in, s, tc.canon)
			}
		})
	}
}

func TestSubscribeReplies(t *testing.T) {
	for _, proto := range []int{2, 3} {
		t.Run("resp"+strconv.Itoa(proto), func(t *testing.T) {
			ts := newTestServer(t, nil)
			c := ts.dial(t)
			ts.setProto(t, c, proto)
			null := map[int]string{2: "$-1\r\n", 3: "_\r\n"}[proto]
			p := func(e ...string) string { return rawPush(proto, e...) }
			steps := []txStep{
				{txArgs("UNSUBSCRIBE"), p(rawBulk("unsubscribe"), null, rawInt(0))},
				{txArgs("PUNSUBSCRIBE"), p(rawBulk("punsubscribe"), null, rawInt(0))},
				{txArgs("SUNSUBSCRIBE"), p(rawBulk("sunsubscribe"), null, rawInt(0))},
				{txArgs("SUBSCRIBE", "a", "b", "a"), p(rawBulk("subscribe"), rawBulk("a"), rawInt(1)) +
					p(rawBulk("subscribe"), rawBulk("b"), rawInt(2)) + p(rawBulk("subscribe"), rawBulk("a"), rawInt(2))},
				{txArgs("PSUBSCRIBE", "a*", "a*"), p(rawBulk("psubscribe"), rawBulk("a*"), rawInt(3)) +
					p(rawBulk("psubscribe"), rawBulk("a*"), rawInt(3))},
				{txArgs("SSUBSCRIBE", "s1"), p(rawBulk("ssubscribe"), rawBulk("s1"), rawInt(1))},
				{txArgs("UNSUBSCRIBE", "c", "b"), p(rawBulk("unsubscribe"), rawBulk("c"), rawInt(3)) +
					p(rawBulk("unsubscribe"), rawBulk("b"), rawInt(2))},
				{txArgs("UNSUBSCRIBE"), p(rawBulk("unsubscribe"), rawBulk("a"), rawInt(1))},
				{txArgs("PUNSUBSCRIBE"), p(rawBulk("punsubscribe"), rawBulk("a*"), rawInt(0))},
				{txArgs("SUNSUBSCRIBE"), p(rawBulk("sunsubscribe"), rawBulk("s1"), rawInt(0))},
				{txArgs("SUBSCRIBE", "y", "x"), p(rawBulk("subscribe"), rawBulk("y"), rawInt(1)) +
					p(rawBulk("subscribe"), rawBulk("x"), rawInt(2))},
				// unsubscribe-all goes in name order
				{txArgs("UNSUBSCRIBE"), p(rawBulk("unsubscribe"), rawBulk("x"), rawInt(1)) +
					p(rawBulk("unsubscribe"), rawBulk("y"), rawInt(0))},
				{txArgs("GET", "k"), null},
			}
			runTxSteps(t, c, steps)
		})
	}
}

func TestPubsubContextRESP2(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	ctx := func(name string) string {
		return "-ERR Can't execute '" + name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
	}
	runTxSteps(t, c, []txStep{
		{txArgs("SSUBSCRIBE", "s"), rawPush(2, rawBulk("ssubscribe"), rawBulk("s"), rawInt(1))},
		// UNSUBSCRIBE leaves the shard subscription: still in the pub/sub context
		{txArgs("UNSUBSCRIBE"), rawPush(2, rawBulk("unsubscribe"), "$-1\r\n", rawInt(0))},
		{txArgs("GET", "k"), ctx("get")},
		{txArgs("PUBSUB", "NUMPAT"), ctx("pubsub|numpat")},
		{txArgs("PING"), "*2\r\n$4\r\npong\r\n$0\r\n\r\n"},
		{txArgs("PING", "x"), "*2\r\n$4\r\npong\r\n$1\r\nx\r\n"},
		{txArgs("SUNSUBSCRIBE", "s"), rawPush(2, rawBulk("sunsubscribe"), rawBulk("s"), rawInt(0))},
		{txArgs("GET", "k"), "$-1\r\n"},
	})
}

func TestPublishDelivery(t *testing.T) {
	ts := newTestServer(t, nil)
	sub1, sub2, pub := ts.dial(t), ts.dial(t), ts.dial(t)
	sub1.do("SUBSCRIBE", "ch1")
	sub1.send("PSUBSCRIBE", "a*", "b*")
	sub1.read()
	sub1.read()
	sub2.send("SUBSCRIBE", "ch1", "ch2")
	sub2.read()
	sub2.read()
	sub2.do("PSUBSCRIBE", "a*")
	sub2.do("SSUBSCRIBE", "ch1")

	cases := []struct {
		args []string
		want int
	}{
		{txArgs("PUBLISH", "ch1", "m1"), 2},
		{txArgs("PUBLISH", "abc", "m2"), 2},
		{txArgs("PUBLISH", "bcd", "m3"), 1},
		{txArgs("PUBLISH", "nobody", "m4"), 0},
		{txArgs("SPUBLISH", "ch1", "m5"), 1},
		{txArgs("SPUBLISH", "ch2", "m6"), 0},
	}
	for _, tc := range cases {
		if got := pub.do(tc.args...); got != rawInt(tc.want) {
			t.Errorf("%q: got %q, want %q", tc.args, got, rawInt(tc.want))
		}
	}
	msg := func(ch, m string) string { return rawPush(2, rawBulk("message"), rawBulk(ch), rawBulk(m)) }
	pmsg := func(p, ch, m string) string {
		return rawPush(2, rawBulk("pmessage"), rawBulk(p), rawBulk(ch), rawBulk(m))
	}
	want1 := []string{msg("ch1", "m1"), pmsg("a*", "abc", "m2"), pmsg("b*", "bcd", "m3")}
	want2 := []string{msg("ch1", "m1"), pmsg("a*", "abc", "m2"), rawPush(2, rawBulk("smessage"), rawBulk("ch1"), rawBulk("m5"))}
	for i, w := range want1 {
		if got := sub1.read(); got != w {
			t.Errorf("sub1 message %d: got %q, want %q", i, got, w)
		}
	}
	for i, w := range want2 {
		if got := sub2.read(); got != w {
			t.Errorf("sub2 message %d: got %q, want %q", i, got, w)
		}
	}
	// nothing else was delivered: the next reply is PING's
	for name, c := range map[string]*rawClient{"sub1": sub1, "sub2": sub2} {
		if got := c.do("PING"); got != "*2\r\n$4\r\npong\r\n$0\r\n\r\n" {
			t.Errorf("%s after the messages: got %q, want the PING reply", name, got)
		}
	}
	if got, want := ts.prop.take(), []string{"PUBLISH ch1 m1", "PUBLISH abc m2", "PUBLISH bcd m3",
		"PUBLISH nobody m4", "SPUBLISH ch1 m5", "SPUBLISH ch2 m6"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("records: got %q, want %q", got, want)
	}
}

// TestMessageOrderRESP3 checks that a RESP3 client's own messages and replies keep
// execution order, in a pipeline and across clients.
func TestMessageOrderRESP3(t *testing.T) {
	ts := newTestServer(t, nil)
	c, other := ts.dial(t), ts.dial(t)
	ts.setProto(t, c, 3)
	c.do("SUBSCRIBE", "x")
	c.send("SET", "k", "v")
	c.send("PUBLISH", "x", "one")
	c.send("GET", "k")
	c.send("PUBLISH", "x", "two")
	want := []string{"+OK\r\n", rawPush(3, rawBulk("message"), rawBulk("x"), rawBulk("one")), rawInt(1), rawBulk("v"),
		rawPush(3, rawBulk("message"), rawBulk("x"), rawBulk("two")), rawInt(1)}
	for i, w := range want {
		if got := c.read(); got != w {
			t.Errorf("frame %d: got %q, want %q", i, got, w)
		}
	}
	other.do("PUBLISH", "x", "three")
	if got, w := c.do("GET", "k"), rawPush(3, rawBulk("message"), rawBulk("x"), rawBulk("three")); got != w {
		t.Errorf("message from another client: got %q, want %q", got, w)
	}
	if got := c.read(); got != rawBulk("v") {
		t.Errorf("GET after the message: got %q, want %q", got, rawBulk("v"))
	}
}

func TestPubsubIntrospection(t *testing.T) {
	ts := newTestServer(t, nil)
	a, b, q := ts.dial(t), ts.dial(t), ts.dial(t)
	a.send("PSUBSCRIBE", "a*", "b*")
	a.read()
	a.read()
	b.do("PSUBSCRIBE", "a*")
	a.do("SUBSCRIBE", "ch1")
	b.send("SUBSCRIBE", "ch1", "ch2")
	b.read()
	b.read()
	b.do("SSUBSCRIBE", "sh")
	help := q.do("PUBSUB", "HELP")
	if !strings.HasPrefix(help, "*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n") {
		t.Errorf("PUBSUB HELP: got %q", help)
	}
	runTxSteps(t, q, []txStep{
		{txArgs("PUBSUB", "NUMPAT"), rawInt(2)},
		{txArgs("PUBSUB", "NUMSUB"), "*0\r\n"},
		{txArgs("PUBSUB", "numsub", "ch1", "ch2", "ch3"), "*6\r\n" + rawBulk("ch1") + rawInt(2) + rawBulk("ch2") + rawInt(1) + rawBulk("ch3") + rawInt(0)},
		{txArgs("PUBSUB", "CHANNELS"), "*2\r\n" + rawBulk("ch1") + rawBulk("ch2")},
		{txArgs("PUBSUB", "CHANNELS", "*2"), "*1\r\n" + rawBulk("ch2")},
		{txArgs("PUBSUB", "CHANNELS", "x", "y"), "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n"},
		{txArgs("PUBSUB", "SHARDCHANNELS"), "*1\r\n" + rawBulk("sh")},
		{txArgs("PUBSUB", "SHARDNUMSUB", "sh", "ch1"), "*4\r\n" + rawBulk("sh") + rawInt(1) + rawBulk("ch1") + rawInt(0)},
		{txArgs("PUBSUB", "NUMPAT", "x"), "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n"},
		{txArgs("PUBSUB", "FOO"), "-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\r\n"},
		{txArgs("PUBSUB"), "-ERR wrong number of arguments for 'pubsub' command\r\n"},
		{txArgs("PUBLISH", "a"), "-ERR wrong number of arguments for 'publish' command\r\n"},
	})
	// a disconnect drops everything the client had
	b.conn.Close()
	q.do("PING")
	testutil.CheckFor(t, 5*time.Second, time.Millisecond, "the disconnect to drop b's subscriptions", func() bool {
		return q.do("PUBSUB", "NUMSUB", "ch2") == "*2\r\n"+rawBulk("ch2")+rawInt(0)
	})
	runTxSteps(t, q, []txStep{
		{txArgs("PUBSUB", "NUMSUB", "ch1", "ch2"), "*4\r\n" + rawBulk("ch1") + rawInt(1) + rawBulk("ch2") + rawInt(0)},
		{txArgs("PUBSUB", "NUMPAT"), rawInt(2)},
		{txArgs("PUBSUB", "SHARDCHANNELS"), "*0\r\n"},
	})
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ch, pat, sh := ts.pubsubCounts(); ch != 1 || pat != 2 || sh != 0 {
		t.Errorf("pubsubCounts: got %d %d %d, want 1 2 0", ch, pat, sh)
	}
}

func TestKeyspaceNotifications(t *testing.T) {
	ts := newTestServer(t, nil)
	sub, c := ts.dial(t), ts.dial(t)
	sub.do("PSUBSCRIBE", "__key*__:*")
	set := func(flags string) {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		if err := ts.setNotifyFlags(flags); err != nil {
			t.Fatal(err)
		}
	}
	ev := func(ch, msg string) string {
		return rawPush(2, rawBulk("pmessage"), rawBulk("__key*__:*"), rawBulk(ch), rawBulk(msg))
	}
	// disabled by default: nothing is published
	c.do("SET", "foo", "bar")
	set("KEA")
	c.do("SET", "foo", "bar")
	c.do("DEL", "foo")
	c.do("SET", "gone", "1")
	ts.expireNow("gone")
	c.do("GET", "gone")
	c.do("GET", "nokey") // keymiss is not in A
	set("Em")
	c.do("GET", "nokey")
	set("En") // "new" once, when SET creates the key (dbAdd), not when it overwrites
	c.do("SET", "n1", "a")
	c.do("SET", "n1", "b")
	c.do("LPUSH", "n2", "a")
	set("K$")
	c.do("SELECT", "3")
	c.do("SET", "x", "y")
	c.do("DEL", "x") // g is off
	set("")
	c.do("SET", "x", "z")
	want := []string{
		ev("__keyspace@0__:foo", "set"), ev("__keyevent@0__:set", "foo"),
		ev("__keyspace@0__:foo", "del"), ev("__keyevent@0__:del", "foo"),
		ev("__keyspace@0__:gone", "set"), ev("__keyevent@0__:set", "gone"),
		ev("__keyspace@0__:gone", "expired"), ev("__keyevent@0__:expired", "gone"),
		ev("__keyevent@0__:keymiss", "nokey"),
		ev("__keyevent@0__:new", "n1"), ev("__keyevent@0__:new", "n2"),
		ev("__keyspace@3__:x", "set"),
	}
	for i, w := range want {
		if got := sub.read(); got != w {
			t.Errorf("event %d: got %q, want %q", i, got, w)
		}
	}
	if got := sub.do("PING"); got != "*2\r\n$4\r\npong\r\n$0\r\n\r\n" {
		t.Errorf("after the events: got %q, want the PING reply", got)
	}
	if got := ts.prop.take(); len(got) != 0 && strings.Contains(strings.Join(got, "|"), "PUBLISH") {
		t.Errorf("keyspace events must not be propagated: got %q", got)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if err := ts.setNotifyFlags("KEq"); err == nil || err.Error() != ErrNotifyClass {
		t.Errorf("setNotifyFlags(KEq): got %v, want %q", err, ErrNotifyClass)
	}
	if err := ts.setNotifyFlags("KEAn"); err != nil || ts.cfg.NotifyKeyspaceEvents != "AKE" {
		t.Errorf("setNotifyFlags(KEAn): got %v and config %q, want nil and %q", err, ts.cfg.NotifyKeyspaceEvents, "AKE")
	}
}

// TestPubsubReplyOff: under CLIENT REPLY OFF the (un)subscribe confirmations and the
// messages still reach the client (they are pushes), as Redis 7.0's "PubSub messages with
// CLIENT REPLY OFF"; ordinary replies stay dropped.
func TestPubsubReplyOff(t *testing.T) {
	ts := newTestServer(t, nil)
	c, other := ts.dial(t), ts.dial(t)
	ts.setProto(t, c, 3)
	c.send("CLIENT", "REPLY", "OFF")
	c.send("PING")
	steps := []struct {
		cmd  []string
		want string
	}{
		{[]string{"SUBSCRIBE", "channel"}, rawPush(3, rawBulk("subscribe"), rawBulk("channel"), rawInt(1))},
		{[]string{"PSUBSCRIBE", "ch*"}, rawPush(3, rawBulk("psubscribe"), rawBulk("ch*"), rawInt(2))},
		{[]string{"UNSUBSCRIBE", "channel"}, rawPush(3, rawBulk("unsubscribe"), rawBulk("channel"), rawInt(1))},
		{[]string{"PUNSUBSCRIBE"}, rawPush(3, rawBulk("punsubscribe"), rawBulk("ch*"), rawInt(0))},
	}
	for i, st := range steps {
		if i == 2 {
			if got := other.do("PUBLISH", "channel", "hello"); got != rawInt(2) {
				t.Fatalf("PUBLISH: got %q", got)
			}
			for _, w := range []string{rawPush(3, rawBulk("message"), rawBulk("channel"), rawBulk("hello")),
				rawPush(3, rawBulk("pmessage"), rawBulk("ch*"), rawBulk("channel"), rawBulk("hello"))} {
				if got := c.read(); got != w {
					t.Errorf("message: got %q, want %q", got, w)
				}
			}
		}
		if got := c.do(st.cmd...); got != st.want {
			t.Errorf("%v: got %q, want %q", st.cmd, got, st.want)
		}
	}
	c.send("CLIENT", "REPLY", "ON")
	if got := c.read(); got != "+OK\r\n" {
		t.Errorf("after REPLY ON: got %q, want +OK (the PING reply must have been dropped)", got)
	}
}
