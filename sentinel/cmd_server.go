package sentinel

import (
	"crypto/subtle"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/resp"
	"github.com/vigil-db/vigil/sentinel/link"
)

// Version is the Redis version the sentinel reports.
const Version = "7.0.15"

// command is one entry of the sentinel's command table.
type command struct {
	name     string // its own name, kept when rename-command gives it another
	arity    int
	pubsubOK bool // allowed in RESP2 subscribed context
	run      func(c *client, argv []string) bool
}

// buildCommandTable returns the 15 commands of Redis 7.0 in sentinel mode.
func buildCommandTable() map[string]command {
	t := map[string]command{}
	add := func(name string, arity int, pubsubOK bool, run func(*client, []string) bool) {
		if _, dup := t[name]; dup {
			panic("sentinel: command registered twice: " + name)
		}
		t[name] = command{name, arity, pubsubOK, run}
	}
	add("ping", -1, true, cmdPing)
	add("auth", -2, false, cmdAuth)
	add("hello", -1, false, cmdHello)
	add("info", -1, false, cmdInfo)
	add("role", 1, false, cmdRole)
	add("sentinel", -2, false, cmdSentinel)
	add("shutdown", -1, false, cmdShutdown)
	add("subscribe", -2, true, cmdSubscribe)
	add("psubscribe", -2, true, cmdSubscribe)
	add("unsubscribe", -1, true, cmdUnsubscribe)
	add("punsubscribe", -1, true, cmdUnsubscribe)
	add("publish", 3, false, cmdPublish)
	add("client", -2, false, cmdClient)
	add("command", -1, false, cmdCommand)
	add("acl", -2, false, cmdACL)
	return t
}

// commandNames returns the names of the command table, which the rename-command
// lines of sentinel.conf apply to (as in Redis, to the sentinel's own commands).
func commandNames() []string { return slices.Collect(maps.Keys(buildCommandTable())) }

// renamedCommands applies the rename-command lines to the command table; the
// loader has checked them.
func renamedCommands(renames [][2]string) map[string]command {
	t := buildCommandTable()
	for _, r := range renames {
		_ = config.RenameCommand(t, r[0], r[1]) // checked by the loader (commandNames)
	}
	return t
}

func cmdPing(c *client, argv []string) bool {
	if len(argv) > 2 {
		c.reply(func(w *resp.Writer) { w.Error("ERR wrong number of arguments for 'ping' command") })
		return false
	}
	sub := c.subscribed()
	c.reply(func(w *resp.Writer) {
		switch {
		case c.proto == 2 && sub:
			w.Array(2)
			w.BulkString("pong")
			if len(argv) == 2 {
				w.BulkString(argv[1])
			} else {
				w.BulkString("")
			}
		case len(argv) == 2:
			w.BulkString(argv[1])
		default:
			w.Simple("PONG")
		}
	})
	return false
}

func (c *client) checkPass(user, pass string) string {
	want := c.s.cfg.Server.RequirePass
	if want == "" {
		return msgAuthNoPass
	}
	if user != "default" || subtle.ConstantTimeCompare([]byte(pass), []byte(want)) != 1 {
		return msgWrongPass
	}
	c.authd = true
	return ""
}

func cmdAuth(c *client, argv []string) bool {
	if len(argv) > 3 {
		c.reply(func(w *resp.Writer) { w.Error("ERR syntax error") })
		return false
	}
	user, pass := "default", argv[len(argv)-1]
	if len(argv) == 3 {
		user = argv[1]
	}
	errText := c.checkPass(user, pass)
	if len(argv) == 3 && c.s.cfg.Server.RequirePass == "" {
		errText = msgWrongPass
	}
	c.reply(func(w *resp.Writer) {
		if errText != "" {
			w.Error(errText)
		} else {
			w.OK()
		}
	})
	return false
}

// cmdHello is HELLO [protover [AUTH user pass] [SETNAME name]] (mode sentinel, no role).
func cmdHello(c *client, argv []string) bool {
	proto := c.proto
	if len(argv) >= 2 {
		v, err := strconv.Atoi(argv[1])
		if err != nil {
			c.reply(func(w *resp.Writer) { w.Error("ERR Protocol version is not an integer or out of range") })
			return false
		}
		if v < 2 || v > 3 {
			c.reply(func(w *resp.Writer) { w.Error("NOPROTO unsupported protocol version") })
			return false
		}
		proto = v
	}
	for i := 2; i < len(argv); i++ {
		switch opt := strings.ToLower(argv[i]); {
		case opt == "auth" && i+2 < len(argv):
			if e := c.checkPass(argv[i+1], argv[i+2]); e != "" {
				c.reply(func(w *resp.Writer) { w.Error(e) })
				return false
			}
			i += 2
		case opt == "setname" && i+1 < len(argv):
			c.name = argv[i+1]
			i++
		default:
			c.reply(func(w *resp.Writer) { w.Error("ERR Syntax error in HELLO option '" + argv[i] + "'") })
			return false
		}
	}
	if !c.authd {
		c.reply(func(w *resp.Writer) { w.Error(msgNoAuthHello) })
		return false
	}
	c.mu.Lock()
	c.proto = proto
	c.mu.Unlock()
	c.reply(func(w *resp.Writer) {
		w.Map(6)
		w.BulkString("server")
		w.BulkString("redis")
		w.BulkString("version")
		w.BulkString(Version)
		w.BulkString("proto")
		w.Int(int64(proto))
		w.BulkString("id")
		w.Int(c.id)
		w.BulkString("mode")
		w.BulkString("sentinel")
		w.BulkString("modules")
		w.Array(0)
	})
	return false
}

func cmdRole(c *client, argv []string) bool {
	return c.loop(func(w *resp.Writer) {
		w.Array(2)
		w.BulkString("sentinel")
		w.Array(len(c.s.masters))
		for _, m := range c.s.masters {
			w.BulkString(m.name)
		}
	})
}

func cmdShutdown(c *client, argv []string) bool {
	c.s.log.Warn().Msg("User requested shutdown...")
	c.s.stop()
	c.s.exit(0)
	return true
}

func cmdPublish(c *client, argv []string) bool {
	if argv[1] == link.GossipChannel {
		return c.loop(func(w *resp.Writer) {
			c.s.gossipAnnounced(argv[2])
			w.Int(1)
		})
	}
	if argv[1] != helloChannel {
		c.reply(func(w *resp.Writer) { w.Error(msgOnlyHello) })
		return false
	}
	return c.loop(func(w *resp.Writer) {
		c.s.processHello(argv[2])
		w.Int(1)
	})
}

// helloChannel is where sentinels announce themselves.
const helloChannel = "__sentinel__:hello"

func cmdSubscribe(c *client, argv []string) bool {
	pattern := strings.ToLower(argv[0]) == "psubscribe"
	kind, set, mine := "subscribe", c.s.hub.channels, c.channels
	if pattern {
		kind, set, mine = "psubscribe", c.s.hub.patterns, c.patterns
	}
	for _, ch := range argv[1:] {
		c.s.hub.sub(set, ch, c)
		c.mu.Lock()
		mine[ch] = true
		n := len(c.channels) + len(c.patterns)
		c.w.Proto = c.proto
		c.w.Push(3)
		c.w.BulkString(kind)
		c.w.BulkString(ch)
		c.w.Int(int64(n))
		c.mu.Unlock()
	}
	return false
}

func cmdUnsubscribe(c *client, argv []string) bool {
	pattern := strings.ToLower(argv[0]) == "punsubscribe"
	kind, set, mine := "unsubscribe", c.s.hub.channels, c.channels
	if pattern {
		kind, set, mine = "punsubscribe", c.s.hub.patterns, c.patterns
	}
	c.mu.Lock()
	names := argv[1:]
	if len(names) == 0 {
		for ch := range mine {
			names = append(names, ch)
		}
		sort.Strings(names)
	}
	c.mu.Unlock()
	if len(names) == 0 {
		c.reply(func(w *resp.Writer) {
			w.Push(3)
			w.BulkString(kind)
			w.Null()
			w.Int(int64(len(c.channels) + len(c.patterns)))
		})
		return false
	}
	for _, ch := range names {
		c.s.hub.unsub(set, ch, c)
		c.mu.Lock()
		delete(mine, ch)
		n := len(c.channels) + len(c.patterns)
		c.w.Proto = c.proto
		c.w.Push(3)
		c.w.BulkString(kind)
		c.w.BulkString(ch)
		c.w.Int(int64(n))
		c.mu.Unlock()
	}
	return false
}

// cmdClient supports the subcommands clients send: SETNAME, GETNAME, ID,
// LIST, INFO, SETINFO, KILL (by ID/ADDR); others answer like Redis's unknown subcommand.
func cmdClient(c *client, argv []string) bool {
	sub := strings.ToLower(argv[1])
	c.reply(func(w *resp.Writer) {
		switch {
		case sub == "setname" && len(argv) == 3:
			c.name = argv[2]
			w.OK()
		case sub == "getname" && len(argv) == 2:
			if c.name == "" {
				w.Null()
			} else {
				w.BulkString(c.name)
			}
		case sub == "id" && len(argv) == 2:
			w.Int(c.id)
		case sub == "setinfo" && len(argv) == 4:
			w.OK()
		case (sub == "list" || sub == "info") && len(argv) >= 2:
			var b strings.Builder
			for _, o := range c.s.clients.snapshot() {
				if sub == "info" && o != c {
					continue
				}
				b.WriteString(o.infoLine(c.s.now()))
			}
			w.Verbatim(b.String(), "txt")
		default:
			w.Error(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try CLIENT HELP.", argv[1]))
		}
	})
	return false
}

func (c *client) infoLine(now time.Time) string {
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=0 name=%s age=%d idle=0 flags=N db=0 sub=%d psub=%d ssub=0 multi=-1 cmd=%s user=default resp=%d\n",
		c.id, c.conn.RemoteAddr(), c.conn.LocalAddr(), c.name, int(now.Sub(c.born).Seconds()),
		len(c.channels), len(c.patterns), c.lastCmd, c.proto)
}

func cmdACL(c *client, argv []string) bool {
	c.reply(func(w *resp.Writer) {
		switch strings.ToLower(argv[1]) {
		case "whoami":
			w.BulkString("default")
		default:
			w.Error(fmt.Sprintf("ERR unknown subcommand '%s'. Try ACL HELP.", argv[1]))
		}
	})
	return false
}

// cmdInfo is INFO [section ...] with the sections of spec §6.3.
func cmdInfo(c *client, argv []string) bool {
	all := []string{"server", "clients", "cpu", "stats", "sentinel"}
	want := map[string]bool{}
	if len(argv) == 1 {
		for _, s := range all {
			want[s] = true
		}
	}
	for _, a := range argv[1:] {
		switch a = strings.ToLower(a); a {
		case "all", "default", "everything":
			for _, s := range all {
				want[s] = true
			}
		default:
			want[a] = true
		}
	}
	return c.loop(func(w *resp.Writer) {
		var parts []string
		for _, sec := range all {
			if want[sec] {
				parts = append(parts, c.s.infoSection(sec))
			}
		}
		w.Verbatim(strings.Join(parts, "\r\n"), "txt")
	})
}

func (s *Sentinel) infoSection(sec string) string {
	now := s.now()
	var b strings.Builder
	switch sec {
	case "server":
		exe, _ := os.Executable()
		fmt.Fprintf(&b, "# Server\r\nredis_version:%s\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_mode:sentinel\r\n"+
			"os:%s %s\r\narch_bits:64\r\nprocess_id:%d\r\nrun_id:%s\r\ntcp_port:%d\r\nserver_time_usec:%d\r\n"+
			"uptime_in_seconds:%d\r\nuptime_in_days:%d\r\nhz:10\r\nconfigured_hz:10\r\nexecutable:%s\r\nconfig_file:%s\r\n",
			Version, runtime.GOOS, runtime.GOARCH, os.Getpid(), s.runID, s.cfg.Server.Port, now.UnixMicro(),
			int(now.Sub(s.start).Seconds()), int(now.Sub(s.start).Hours()/24), exe, s.cfg.File)
	case "clients":
		fmt.Fprintf(&b, "# Clients\r\nconnected_clients:%d\r\ncluster_connections:0\r\nmaxclients:%d\r\n",
			len(s.clients.snapshot()), s.cfg.Server.MaxClients)
	case "cpu":
		b.WriteString("# CPU\r\nused_cpu_sys:0.000000\r\nused_cpu_user:0.000000\r\n")
	case "stats":
		b.WriteString("# Stats\r\ntotal_connections_received:0\r\ntotal_commands_processed:0\r\n")
	case "sentinel":
		s.writeSentinelInfo(&b, now)
	}
	return b.String()
}

func (s *Sentinel) writeSentinelInfo(b *strings.Builder, now time.Time) {
	tilt, since := s.fo.Tilt()
	tiltSince := int64(-1)
	if tilt {
		tiltSince = int64(now.Sub(since).Seconds())
	}
	fmt.Fprintf(b, "# Sentinel\r\nsentinel_masters:%d\r\nsentinel_tilt:%d\r\nsentinel_tilt_since_seconds:%d\r\n"+
		"sentinel_running_scripts:%d\r\nsentinel_scripts_queue_length:%d\r\nsentinel_simulate_failure_flags:%d\r\n",
		len(s.masters), b2i(tilt), tiltSince, s.scripts.running(), len(s.scripts.queue), s.simulateFlags)
	for n, m := range s.masters {
		status := "ok"
		if st, _ := s.fo.Status(m.name); st.ODown {
			status = "odown"
		} else if st.SDown {
			status = "sdown"
		}
		a := must(s.fo.ClientAddr(m.name))
		fmt.Fprintf(b, "master%d:name=%s,status=%s,address=%s,slaves=%d,sentinels=%d\r\n",
			n, m.name, status, a.String(), len(m.replicas), len(m.sentinels)+1)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func itoa(n int) string { return strconv.Itoa(n) }
