package server

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/vigil-db/vigil/rdb"
	"github.com/vigil-db/vigil/resp"
)

// Connection cache of MIGRATE, as Redis's migrate_cached_sockets.
const (
	migrateCacheItems = 64               // MIGRATE_SOCKET_CACHE_ITEMS
	migrateCacheTTL   = 10 * time.Second // MIGRATE_SOCKET_CACHE_TTL
	migrateLineMax    = 1024             // the longest reply line MIGRATE reads
)

// Reply texts of MIGRATE (Redis's).
const (
	errMigrateKeysArg  = "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"
	errMigrateIOFormat = "IOERR error or timeout %s to target instance"
	errMigrateTarget   = "ERR Target instance replied with error: %s"
)

// migrateConn is one cached connection to a MIGRATE target.
type migrateConn struct {
	conn    net.Conn
	r       *bufio.Reader
	lastDB  int64 // the database last SELECTed on the target, -1 when unknown
	lastUse time.Time
}

// migrateState is the connection cache, keyed by "host:port" as given (under mu).
type migrateState struct {
	conns map[string]*migrateConn
}

// migrateCommands returns MIGRATE.
func migrateCommands() []*Command {
	return []*Command{{Name: "migrate", Arity: -6, Flags: FlagWrite, FirstKey: 3, LastKey: 3, Step: 1,
		Handler: cmdMigrate, Group: "generic"}}
}

// migrateArgs are MIGRATE's parsed arguments.
type migrateArgs struct {
	copy, replace     bool
	hasUser, hasPass  bool
	user, pass        []byte
	firstKey, numKeys int      // where the keys to migrate are in the arguments
	keys              [][]byte // those of them that exist
	db                int64
	timeout           time.Duration
	hostPort          string
}

// parseMigrate parses MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pass]
// [AUTH2 user pass] [KEYS key...] in Redis's order of checks; false after an error reply.
func parseMigrate(c *Client) (migrateArgs, bool) {
	a := migrateArgs{firstKey: 3, numKeys: 1}
	for j := 6; j < len(c.args); j++ {
		more := len(c.args) - 1 - j
		switch arg := c.args[j]; {
		case argEqualFold(arg, "copy"):
			a.copy = true
		case argEqualFold(arg, "replace"):
			a.replace = true
		case argEqualFold(arg, "auth"):
			if more < 1 {
				c.err(ErrSyntax)
				return a, false
			}
			j++
			a.pass, a.hasPass = c.args[j], true
		case argEqualFold(arg, "auth2"):
			if more < 2 {
				c.err(ErrSyntax)
				return a, false
			}
			a.user, a.pass, a.hasUser, a.hasPass = c.args[j+1], c.args[j+2], true, true
			j += 2
		case argEqualFold(arg, "keys"):
			if len(c.args[3]) != 0 {
				c.err(errMigrateKeysArg)
				return a, false
			}
			a.firstKey, a.numKeys = j+1, len(c.args)-j-1
			j = len(c.args)
		default:
			c.err(ErrSyntax)
			return a, false
		}
	}
	timeout, ok1 := resp.ParseInt(c.args[5])
	db, ok2 := resp.ParseInt(c.args[4])
	if !ok1 || !ok2 {
		c.err(ErrNotInt)
		return a, false
	}
	if timeout <= 0 {
		timeout = 1000
	}
	a.timeout, a.db = time.Duration(timeout)*time.Millisecond, db
	a.hostPort = string(c.args[1]) + ":" + string(c.args[2])
	return a, true
}

// cmdMigrate is MIGRATE: the keys are sent to the target as RESTORE commands (after AUTH
// and SELECT when needed) over a cached connection, then, without COPY, deleted here and
// propagated as one DEL of the keys the target acknowledged. It blocks the server until
// the target answers or the timeout passes, as in Redis.
func cmdMigrate(c *Client) {
	a, ok := parseMigrate(c)
	if !ok {
		return
	}
	for _, key := range c.args[a.firstKey : a.firstKey+a.numKeys] {
		if c.lookupRead(key) != nil {
			a.keys = append(a.keys, key)
		}
	}
	if len(a.keys) == 0 {
		c.w.Simple("NOKEY")
		return
	}
	for retry := true; ; retry = false {
		done, writing, err := c.migrateOnce(&a)
		if done {
			return
		}
		c.srv.migrateClose(a.hostPort)
		var ne net.Error
		if retry && !(errors.As(err, &ne) && ne.Timeout()) {
			continue
		}
		what := "reading"
		if writing {
			what = "writing"
		}
		c.err(fmt.Sprintf(errMigrateIOFormat, what))
		return
	}
}

// migrateOnce makes one attempt. done: the reply is written; otherwise a socket error
// (while writing when writing is true) leaves the retry decision to the caller.
func (c *Client) migrateOnce(a *migrateArgs) (done, writing bool, err error) {
	s := c.srv
	mc, err := s.migrateGet(a.hostPort, a.timeout)
	if err != nil { // Redis's connect completes later: the failure shows when writing
		return false, true, err
	}
	buf, keys := c.migratePayload(a, mc)
	mc.conn.SetDeadline(time.Now().Add(a.timeout))
	if _, err := mc.conn.Write(buf); err != nil {
		return false, true, err
	}
	var authReply, selectReply string
	if a.hasPass {
		if authReply, err = mc.readLine(a.timeout); err != nil {
			return false, false, err
		}
	}
	sel := mc.lastDB != a.db
	if sel {
		if selectReply, err = mc.readLine(a.timeout); err != nil {
			return false, false, err
		}
	}
	return c.migrateReplies(a, mc, keys, authReply, selectReply)
}

// migratePayload builds AUTH, SELECT and one RESTORE per key still alive, and returns it
// with those keys.
func (c *Client) migratePayload(a *migrateArgs, mc *migrateConn) ([]byte, [][]byte) {
	var buf []byte
	if a.hasPass {
		argv := [][]byte{[]byte("AUTH"), a.pass}
		if a.hasUser {
			argv = [][]byte{[]byte("AUTH"), a.user, a.pass}
		}
		buf = appendMultibulk(buf, argv)
	}
	if mc.lastDB != a.db {
		buf = appendMultibulk(buf, [][]byte{argSelect, strconv.AppendInt(nil, a.db, 10)})
	}
	var keys [][]byte
	for _, key := range a.keys {
		o := c.db().Keys.Ref(k(key))
		if o == nil {
			continue
		}
		ttl := int64(0)
		if at := c.getExpire(key); at != -1 {
			if ttl = at - c.now(); ttl < 0 {
				continue
			}
			ttl = max(ttl, 1)
		}
		e, err := c.srv.objectToEntry(string(key), o, -1)
		if err != nil {
			continue
		}
		argv := [][]byte{[]byte("RESTORE"), key, strconv.AppendInt(nil, ttl, 10), rdb.DumpPayload(e, c.srv.rdbOptions())}
		if a.replace {
			argv = append(argv, []byte("REPLACE"))
		}
		buf = appendMultibulk(buf, argv)
		keys = append(keys, key)
	}
	return buf, keys
}

// migrateReplies reads the RESTORE replies: each acknowledged key is deleted (without
// COPY); the first error of the target is the command's reply.
func (c *Client) migrateReplies(a *migrateArgs, mc *migrateConn, keys [][]byte, authReply, selectReply string) (bool, bool, error) {
	var targetErr string
	var sockErr error
	deleted := [][]byte{argDel}
	j := 0
	for ; j < len(keys); j++ {
		line, err := mc.readLine(a.timeout)
		if err != nil {
			sockErr = err
			break
		}
		switch {
		case authReply != "" && authReply[0] == '-':
			line = authReply
		case selectReply != "" && selectReply[0] == '-':
			line = selectReply
		}
		if line != "" && line[0] == '-' {
			if targetErr == "" {
				targetErr = line[1:]
				mc.lastDB = -1
			}
			continue
		}
		if !a.copy {
			c.dbDelete(keys[j])
			c.touch(keys[j])
			c.notify(NotifyGeneric, "del", keys[j])
			c.srv.dirty++
			deleted = append(deleted, keys[j])
		}
	}
	if targetErr == "" && sockErr != nil && j == 0 {
		return false, false, sockErr // nothing processed: may retry
	}
	if len(deleted) > 1 {
		c.propagate(deleted...)
	}
	switch {
	case targetErr != "":
		c.err(fmt.Sprintf(errMigrateTarget, targetErr))
	case sockErr != nil:
		c.srv.migrateClose(a.hostPort)
		c.err(fmt.Sprintf(errMigrateIOFormat, "reading"))
	default:
		mc.lastDB = a.db
		c.ok()
	}
	return true, false, nil
}

// readLine reads one reply line (without CRLF) within timeout.
func (mc *migrateConn) readLine(timeout time.Duration) (string, error) {
	mc.conn.SetReadDeadline(time.Now().Add(timeout))
	line, err := mc.r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return "", fmt.Errorf("migrate: reply line longer than %d bytes: %w", migrateLineMax, err)
		}
		return "", err
	}
	n := len(line) - 1
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	return string(line[:n]), nil
}

// migrateGet returns the cached connection to hostPort or opens one.
func (s *Server) migrateGet(hostPort string, timeout time.Duration) (*migrateConn, error) {
	if mc := s.migrate.conns[hostPort]; mc != nil {
		mc.lastUse = time.Now()
		return mc, nil
	}
	if len(s.migrate.conns) >= migrateCacheItems {
		for name := range s.migrate.conns { // map order: a random one, as Redis
			s.migrateClose(name)
			break
		}
	}
	conn, err := net.DialTimeout("tcp", hostPort, timeout)
	if err != nil {
		return nil, fmt.Errorf("migrate: connect to %s: %w", hostPort, err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	mc := &migrateConn{conn: conn, r: bufio.NewReaderSize(conn, migrateLineMax), lastDB: -1, lastUse: time.Now()}
	if s.migrate.conns == nil {
		s.migrate.conns = make(map[string]*migrateConn)
	}
	s.migrate.conns[hostPort] = mc
	return mc, nil
}

// migrateClose closes and forgets the cached connection to hostPort, if any.
func (s *Server) migrateClose(hostPort string) {
	if mc := s.migrate.conns[hostPort]; mc != nil {
		mc.conn.Close()
		delete(s.migrate.conns, hostPort)
	}
}

// migrateCron is migrateCloseTimedoutSockets: connections unused for 10 seconds close.
func (s *Server) migrateCron() {
	now := time.Now()
	for name, mc := range s.migrate.conns {
		if now.Sub(mc.lastUse) > migrateCacheTTL {
			s.migrateClose(name)
		}
	}
}
