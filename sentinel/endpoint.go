package sentinel

import (
	"bufio"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/resp"
)

// client is one connection to the sentinel port.
type client struct {
	id    int64
	conn  net.Conn
	s     *Sentinel
	born  time.Time
	name  string
	proto int
	authd bool

	mu       sync.Mutex // guards w and the socket writes (pub/sub delivers from the loop)
	w        resp.Writer
	channels map[string]bool
	patterns map[string]bool
	lastCmd  string
}

// clientList tracks open connections (CLIENT LIST, shutdown).
type clientList struct {
	mu     sync.Mutex
	nextID atomic.Int64
	m      map[int64]*client
}

func newClientList() *clientList { return &clientList{m: map[int64]*client{}} }

func (l *clientList) add(c *client) {
	c.id = l.nextID.Add(1)
	l.mu.Lock()
	l.m[c.id] = c
	l.mu.Unlock()
}

func (l *clientList) remove(c *client) {
	l.mu.Lock()
	delete(l.m, c.id)
	l.mu.Unlock()
}

func (l *clientList) snapshot() []*client {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*client, 0, len(l.m))
	for _, c := range l.m {
		out = append(out, c)
	}
	return out
}

func (l *clientList) closeAll() {
	for _, c := range l.snapshot() {
		c.conn.Close()
	}
}

// Listen binds the sentinel port (Server.Bind and Server.Port; "*" means all
// IPv4 addresses, "-" prefixes are optional addresses).
func (s *Sentinel) Listen() error {
	addr := "127.0.0.1"
	for _, b := range s.cfg.Server.Bind {
		b = strings.TrimPrefix(b, "-")
		if b == "*" {
			addr = "0.0.0.0"
			break
		}
		if b != "::*" {
			addr = b
			break
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(s.cfg.Server.Port)))
	if err != nil {
		return err
	}
	s.lnMu.Lock()
	s.ln = ln
	s.lnMu.Unlock()
	return nil
}

// Addr returns the listening address, or nil before Listen.
func (s *Sentinel) Addr() net.Addr {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Serve accepts client connections until the sentinel stops.
func (s *Sentinel) Serve() error {
	s.lnMu.Lock()
	ln := s.ln
	s.lnMu.Unlock()
	if ln == nil {
		return errors.New("sentinel: Serve before Listen")
	}
	for {
		conn, err := ln.Accept()
		if err != nil {
			select {
			case <-s.shutdown:
				return nil
			default:
			}
			return err
		}
		if s.cfg.Server.ProtectedDenies(conn.RemoteAddr()) {
			go deny(conn)
			continue
		}
		c := &client{conn: conn, s: s, born: s.now(), proto: 2, authd: s.cfg.Server.RequirePass == "",
			channels: map[string]bool{}, patterns: map[string]bool{}}
		s.clients.add(c)
		go c.serve()
	}
}

// deny writes Redis's -DENIED reply to a client protected mode refuses and
// closes the connection (the write is bounded: the client may not read).
func deny(conn net.Conn) {
	_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = conn.Write([]byte(config.DeniedReply))
	_ = conn.Close()
}

// serve reads commands, runs them and flushes the replies once per batch.
func (c *client) serve() {
	defer func() {
		c.s.clients.remove(c)
		c.unsubscribeAll()
		c.conn.Close()
	}()
	r := bufio.NewReaderSize(c.conn, 16<<10)
	var buf []byte
	var args [][]byte
	tmp := make([]byte, 16<<10)
	for {
		n, err := r.Read(tmp)
		if n > 0 {
			buf = append(buf, tmp[:n]...)
		}
		for len(buf) > 0 {
			var consumed int
			var perr error
			args, consumed, _, _, perr = resp.Parse(buf, args, resp.Limits{Unauthenticated: !c.authd})
			if errors.Is(perr, resp.ErrIncomplete) {
				break
			}
			if perr != nil {
				c.mu.Lock()
				c.w.Error("ERR " + perr.Error())
				c.flushLocked()
				c.mu.Unlock()
				return
			}
			argv := make([]string, len(args))
			for i, a := range args {
				argv[i] = string(a)
			}
			buf = buf[consumed:]
			if len(argv) > 0 && c.exec(argv) {
				return
			}
		}
		c.mu.Lock()
		werr := c.flushLocked()
		c.mu.Unlock()
		if err != nil || werr != nil {
			return
		}
	}
}

func (c *client) flushLocked() error {
	if len(c.w.B) == 0 {
		return nil
	}
	_, err := c.conn.Write(c.w.B)
	c.w.B = c.w.B[:0]
	return err
}

// reply runs f with the writer under the client lock.
func (c *client) reply(f func(w *resp.Writer)) {
	c.mu.Lock()
	c.w.Proto = c.proto
	f(&c.w)
	c.mu.Unlock()
}

// message is a pub/sub delivery (called by the hub, from any goroutine).
func (c *client) message(pattern, channel, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.w.Proto = c.proto
	if pattern != "" {
		c.w.Push(4)
		c.w.BulkString("pmessage")
		c.w.BulkString(pattern)
	} else {
		c.w.Push(3)
		c.w.BulkString("message")
	}
	c.w.BulkString(channel)
	c.w.BulkString(msg)
	_ = c.flushLocked()
}

func (c *client) unsubscribeAll() {
	for ch := range c.channels {
		c.s.hub.unsub(c.s.hub.channels, ch, c)
	}
	for p := range c.patterns {
		c.s.hub.unsub(c.s.hub.patterns, p, c)
	}
}

// exec dispatches one command; it returns true when the connection must close.
func (c *client) exec(argv []string) bool {
	name := strings.ToLower(argv[0])
	cmd, ok := c.s.commands[name]
	if !ok {
		c.reply(func(w *resp.Writer) { w.Error(unknownCommand(argv)) })
		return false
	}
	name = cmd.name // a renamed command answers under its own name, as in Redis
	if cmd.arity > 0 && len(argv) != cmd.arity || cmd.arity < 0 && len(argv) < -cmd.arity {
		c.reply(func(w *resp.Writer) { w.Error("ERR wrong number of arguments for '" + name + "' command") })
		return false
	}
	if !c.authd && name != "auth" && name != "hello" {
		c.reply(func(w *resp.Writer) { w.Error(msgNoAuth) })
		return false
	}
	if c.subscribed() && c.proto == 2 && !cmd.pubsubOK {
		c.reply(func(w *resp.Writer) {
			w.Error("ERR Can't execute '" + name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
		})
		return false
	}
	c.lastCmd = name
	return cmd.run(c, argv)
}

func (c *client) subscribed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.channels)+len(c.patterns) > 0
}

// unknownCommand is Redis's text for a command Sentinel does not have.
func unknownCommand(argv []string) string {
	var b strings.Builder
	b.WriteString("ERR unknown command '" + argv[0] + "', with args beginning with: ")
	for _, a := range argv[1:] {
		b.WriteString("'" + a + "' ")
	}
	return b.String()
}

// loop runs f on the loop goroutine and writes its reply; a stopped sentinel
// closes the connection.
func (c *client) loop(f func(w *resp.Writer)) bool {
	var out resp.Writer
	out.Proto = c.proto
	if err := c.s.do(func() { f(&out) }); err != nil {
		return true
	}
	c.reply(func(w *resp.Writer) { w.Raw(out.B) })
	return false
}
