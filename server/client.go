package server

import (
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vigil-db/vigil/resp"
	"github.com/vigil-db/vigil/store"
)

// ClientFlag records a client's state.
type ClientFlag uint32

// Client flags.
const (
	ClientMulti           ClientFlag = 1 << iota // inside MULTI
	ClientDirtyCAS                               // a WATCHed key was touched
	ClientDirtyExec                              // a command failed to queue: EXEC aborts
	ClientPubSub                                 // subscribed to something (RESP2 context restriction)
	ClientMonitor                                // MONITOR
	ClientReplica                                // a replica connected to us
	ClientMaster                                 // our master's connection
	ClientCloseAfterReply                        // close once the pending output is written
	ClientReplyOff                               // CLIENT REPLY OFF
	ClientReplySkipNext                          // CLIENT REPLY SKIP (takes effect on the next command)
	ClientReplySkip                              // the current command's reply is dropped
	ClientNoEvict                                // CLIENT NO-EVICT on
	ClientUnixSocket                             // connected over the Unix socket
	ClientKilled                                 // CLIENT KILL or a limit closed it
	ClientDenyBlocking                           // executing EXEC: blocking commands do not block
	ClientPushing                                // the current command wrote push replies only (kept under CLIENT REPLY OFF)
)

// Client is one connection. Its fields are owned by the execution lock (Server.mu) except
// where noted: the connection goroutine parses without the lock, and output is moved to
// pending under outMu so that other goroutines (pub/sub, unblocking) can append to it.
type Client struct {
	srv   *Server
	id    int64
	conn  net.Conn
	addr  string // remote "ip:port" (or "/path:0" for unix sockets)
	laddr string // local address

	// under Server.mu
	name    string
	dbIndex int
	flags   ClientFlag
	authed  bool
	user    string
	w       resp.Writer // replies of the commands executed in the current batch
	args    [][]byte    // current command arguments
	cmd     *Command    // current command
	lastCmd string
	ctime   time.Time
	lastAt  time.Time // last interaction

	multi       []queuedCommand // commands queued by MULTI
	watched     []watchedKey    // keys watched by WATCH
	subs        map[string]struct{}
	psubs       map[string]struct{}
	ssubs       map[string]struct{} // shard channels (SSUBSCRIBE)
	block       *blockState
	rbuf        replyBufState // the reply buffer's sizing (replybuf.go)
	held        bool          // CLIENT PAUSE holds its next command (counted in blocked_clients, as Redis's BLOCKED_PAUSE)
	qbufLen     atomic.Int64  // bytes in the query buffer (for CLIENT LIST; written without the lock)
	qbufCap     atomic.Int64  // the query buffer's size (tot-mem, maxmemory-clients)
	qbufSkip    atomic.Int64  // bytes before a big pending bulk in the query buffer (not in qbuf)
	qbufRelease atomic.Bool   // clientsCron asks the idle connection to release its query buffer
	settled     bool          // the command held for settling runs now: no second time (settle.go)
	settleFor   []*Client     // the clients whose unread input the held command waits for (settle.go)
	multiMem    int           // bytes queued in MULTI
	listMem     int64         // what its watched keys and subscriptions cost (evict_clients.go)
	memLast     clientMemShare
	detach      func()       // set by SYNC/PSYNC: run by the connection goroutine after the batch
	repl        replState    // what REPLCONF announced, and the replica's state on this master
	wait        *waitState   // blocked in WAIT
	woff        int64        // master_repl_offset after this client's last command (WAIT)
	streamTo    []streamMark // online replicas whose sockets get this batch's stream before its replies (stream.go)
	fenceHeld   []byte       // fenced mode: the buffer that holds a batch's replies until its ACKs (fence.go)
	fenceData   bool         // fenced mode: the batch ran a command that reads or writes data (fence.go)
	failed      bool         // the current command replied an error (commandstats failed_calls)
	admin       clientAdmin  // output-limit state (cmd_client.go)

	// propagation of the current command (see propagate.go)
	propagateSelf bool // the command changed the dataset: propagate its argv
	overridden    bool // the handler issued its own records instead

	// output shared with other goroutines
	outMu      sync.Mutex
	pending    []byte
	stream     chunkList    // a replica: its output, outside the Go heap (streambuf.go); pending stays empty
	streamShut bool         // a replica that was removed: its stream takes no more chunks (under outMu)
	streamSeq  int64        // a replica: bytes ever appended to stream (under outMu; stream.go)
	streamDone atomic.Int64 // a replica: bytes of stream ever handed to the kernel
	streamAt   atomic.Int64 // a replica: when its socket last took stream bytes (Server.monoNanos; stream.go)
	progMu     sync.Mutex
	progress   chan struct{}   // a replica: closed when its socket takes stream bytes, if a client waits (under progMu)
	outFlight  atomic.Int64    // bytes the writer took from pending and is sending (tot-mem)
	outHeld    atomic.Int64    // a replica: the size of the chunks its writer is sending (mem_clients_slaves)
	raw        syscall.RawConn // the socket's descriptor, for writes that never block (nil: none)
	arrival    *arrivalReader  // reads with the kernel's receive time (nil: plain reads; arrival_linux.go)
	turn       turn            // its batch's place in arrivalOrder (arrival.go)
	orderName  orderName       // the last command name inArrivalOrder looked up (arrival.go)
	rawWriteF  func(fd uintptr) bool
	rawData    []byte // writeNoWait's arguments and results (under flushMu)
	rawN       int
	rawErr     error
	flushMu    sync.Mutex
	stalled    bool        // a replica: its socket was full and its writer carries the stream (under flushMu; stream.go)
	hold       atomic.Bool // a replica's stream is held until its RDB is sent (or its first ACK)
	coalesce   atomic.Bool // a replica's stream: the writer yields once before each write
	kick       chan struct{}
	closed     chan struct{}
	closeMu    sync.Once
}

type queuedCommand struct {
	cmd  *Command
	args [][]byte
}

type watchedKey struct {
	db      int
	key     string
	expired bool // the key was already logically expired when WATCHed
}

// ID returns the client's id.
func (c *Client) ID() int64 { return c.id }

func (c *Client) db() *store.DB { return c.srv.dbs[c.dbIndex] }

func (c *Client) has(f ClientFlag) bool { return c.flags&f != 0 }

// err replies an error and counts it in errorstats. msg is the text without '-'.
func (c *Client) err(msg string) {
	c.srv.countError(msg)
	if c.cmd != nil {
		c.failed = true
	}
	c.w.Error(msg)
}

// ok replies +OK.
func (c *Client) ok() { c.w.OK() }

// queueOutput moves the batch's replies to pending. Called under Server.mu.
func (c *Client) queueOutput() {
	if len(c.w.B) == 0 {
		return
	}
	c.rbuf.notePeak(len(c.w.B))
	big := cap(c.w.B) > replyBufShrink && !c.srv.debug.replyNoResizing
	c.outMu.Lock()
	switch {
	case c.coalesce.Load(): // a replica (+CONTINUE and the backlog): its stream's chunks
		c.writeStreamLocked(c.w.B)
	case big && len(c.pending) == 0:
		// a big reply is handed over, not copied: the reply buffer starts afresh anyway
		c.pending = c.w.B
	default:
		c.pending = append(c.pending, c.w.B...)
	}
	c.outMu.Unlock()
	if big {
		c.w.B = make([]byte, 0, replyBufInitial) // a big reply went out: give its memory back
		return
	}
	c.w.B = c.w.B[:0]
}

// replyBufInitial is a client's reply buffer size; one grown past replyBufShrink by a
// big reply is replaced once the reply is queued (unless DEBUG REPLYBUFFER RESIZING 0).
const (
	replyBufInitial = 4096
	replyBufShrink  = 64 << 10
)

// deliver appends an asynchronous message (pub/sub, MONITOR) built by fn in the client's
// protocol and wakes its writer. Called under Server.mu by any goroutine.
func (c *Client) deliver(fn func(w *resp.Writer)) {
	c.outMu.Lock()
	if c.coalesce.Load() { // a replica: its output is its stream's chunks
		w := resp.Writer{Proto: c.w.Proto}
		fn(&w)
		c.writeStreamLocked(w.B)
	} else {
		w := resp.Writer{B: c.pending, Proto: c.w.Proto}
		fn(&w)
		c.pending = w.B
	}
	n := c.outputLenLocked() + int(c.outFlight.Load())
	c.outMu.Unlock()
	c.srv.checkOutputLimit(c, n)
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// flush writes pending output to the socket. Safe from any goroutine; writes stay in order.
func (c *Client) flush() error {
	if c.coalesce.Load() {
		return c.streamNoWait() // a replica's stream never blocks the caller (stream.go)
	}
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	if c.hold.Load() {
		return nil
	}
	c.outMu.Lock()
	data := c.pending
	c.pending = nil
	c.outMu.Unlock()
	if len(data) == 0 {
		return nil
	}
	c.outFlight.Store(int64(len(data)))
	_, err := c.conn.Write(data)
	c.outFlight.Store(0)
	c.srv.releasedOutput(cap(data))
	c.srv.stats.netOutput.Add(int64(len(data)))
	return err
}

// flushNoWait is the connection goroutine's flush after a batch: it writes what the
// socket takes without blocking and leaves the rest to the writer goroutine, so that the
// connection keeps reading while its client does not read its replies: the output
// accumulates in memory, as in Redis's reply list, where it counts for tot-mem,
// maxmemory-clients and client-output-buffer-limit. It reports whether output is left.
func (c *Client) flushNoWait() (bool, error) {
	if c.coalesce.Load() {
		return false, c.streamNoWait() // a replica: its writer carries what the socket does not take
	}
	if !c.flushMu.TryLock() { // the writer is sending earlier output: it takes this too
		c.wake()
		return true, nil
	}
	defer c.flushMu.Unlock()
	if c.hold.Load() {
		return false, nil
	}
	c.outMu.Lock()
	data := c.pending
	c.pending = nil
	c.outMu.Unlock()
	if len(data) == 0 {
		return false, nil
	}
	n, err := c.writeNoWait(data)
	c.srv.stats.netOutput.Add(int64(n))
	if err != nil {
		return false, err
	}
	if n == len(data) {
		c.srv.releasedOutput(cap(data))
		return false, nil
	}
	c.putBack(data, n)
	c.wake()
	return true, nil
}

// outputLenLocked is the output not yet taken by a writer: pending, or a replica's
// stream (under outMu).
func (c *Client) outputLenLocked() int { return len(c.pending) + c.stream.n }

// putBack returns the unwritten part of data, taken from pending, to the front of
// pending.
func (c *Client) putBack(data []byte, n int) {
	c.outMu.Lock()
	if len(c.pending) == 0 {
		c.pending = data[n:] // no copy: later output appends behind the rest
	} else {
		c.pending = append(data[n:len(data):len(data)], c.pending...)
	}
	c.outMu.Unlock()
}

// writeNoWait writes what the socket accepts now; a connection without a raw descriptor
// (a test's pipe) is written in full.
func (c *Client) writeNoWait(data []byte) (int, error) {
	if c.raw == nil {
		return c.conn.Write(data)
	}
	c.rawData, c.rawN, c.rawErr = data, 0, nil
	err := c.raw.Write(c.rawWriteF)
	n, werr := c.rawN, c.rawErr
	c.rawData = nil
	if werr == nil {
		werr = err
	}
	return n, werr
}

// rawWrite is writeNoWait's function on the descriptor (a method value made once per
// client, so that a write allocates nothing): it never waits for the socket.
func (c *Client) rawWrite(fd uintptr) bool {
	for c.rawN < len(c.rawData) {
		m, e := syscall.Write(int(fd), c.rawData[c.rawN:])
		if m > 0 {
			c.rawN += m
		}
		if e == syscall.EINTR {
			continue
		}
		if e != nil && e != syscall.EAGAIN {
			c.rawErr = e
		}
		if e != nil || m <= 0 {
			break
		}
	}
	return true
}

// wake asks the writer goroutine to flush.
func (c *Client) wake() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// writer flushes output appended by other goroutines until the client closes.
func (c *Client) writer() {
	for {
		select {
		case <-c.kick:
			if c.coalesce.Load() {
				// a replica stream: let the connections that are ready run their
				// batches first, so that one write carries all of them (Redis writes
				// to replicas once per event-loop iteration)
				runtime.Gosched()
			}
			var err error
			if c.coalesce.Load() {
				err = c.flushStream() // stream.go
			} else {
				err = c.flush()
			}
			if err != nil {
				c.close()
				return
			}
		case <-c.closed:
			return
		}
	}
}

// close closes the connection once; the serving goroutine then cleans up.
func (c *Client) close() {
	c.closeMu.Do(func() {
		close(c.closed)
		c.conn.Close()
	})
}
