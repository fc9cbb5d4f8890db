package link

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// Config describes one link. Addr, Kind and MyID are required.
type Config struct {
	// Addr is the instance address, "host:port".
	Addr string
	// Kind is what the instance is: masters and replicas get a pub/sub connection and
	// INFO, sentinels only a command connection.
	Kind Kind
	// MyID is this sentinel's 40-character id; its first 8 characters name the
	// connections (CLIENT SETNAME sentinel-<8>-cmd / -pubsub), and hellos containing it
	// are our own and are not reported.
	MyID string
	// AuthUser and AuthPass are sent as AUTH [user] pass on every new connection when
	// AuthPass is set: the master's auth-user/auth-pass for masters and replicas,
	// sentinel-user/sentinel-pass (or requirepass) for sentinels.
	AuthUser, AuthPass string
	// Renames is the master's rename-command table (name → new name, case-insensitive
	// keys); every command name the link sends goes through it.
	Renames map[string]string
	// Periods are the initial timers (zero fields: DefaultPeriods). See SetPeriods.
	Periods Periods
	// Timeout bounds each dial, read and write on the connections (default 1 s).
	Timeout time.Duration
	// Dial opens the connections to the instance; nil dials TCP to Addr. A
	// node gives one that reaches its own server in process.
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// Local, when set, is the instance itself in this process (a node's own
	// server): the command connection is replaced by direct calls (PING,
	// INFO, hellos, fence renewals, Send and the SLAVEOF transaction go
	// through Local.Do, not a socket). The pub/sub connection still uses Dial.
	Local Local
	// Tick is the scheduler's tick (default 100 ms, like Redis's server cron).
	Tick time.Duration
	// Now is the clock used for State and Observation.At (default time.Now).
	Now func() time.Time
	// Logger receives the link's logs (the zero Logger logs nothing).
	Logger zerolog.Logger
}

// Link is Sentinel's connection to one instance: a command connection and, for masters
// and replicas, a pub/sub connection subscribed to HelloChannel. Its scheduler sends
// PING, INFO and hellos on the periods the owner sets, reconnects at most once per ping
// period and recycles stale connections; every fact goes to the owner as an
// Observation. It decides nothing about the instance. All methods are safe for
// concurrent use.
type Link struct {
	cfg     Config
	renames map[string]string
	out     chan<- Observation
	log     zerolog.Logger
	now     func() time.Time
	done    chan struct{}
	wake    chan struct{}
	wg      sync.WaitGroup

	mu          sync.Mutex
	closed      bool
	st          State
	periods     Periods
	hello       *Hello
	cc          *ccSession
	pc          *pcSession
	infoRefresh time.Time
	lastPub     time.Time
	lastReconn  time.Time
	pings       int
	infos       int
	pubs        int
	queue       []Observation
	fence       *Fence        // renew a fenced-mode master's write lease (fenceLoop)
	fenceToken  string        // the master's token from our last renewal ("0": none)
	fenceWake   chan struct{} // SetFence: renew now
}

// New creates the link and starts its scheduler, which connects at once. Observations
// are queued and sent to out in order by the link's own goroutine, so no method and no
// command ever blocks on out; the owner should keep receiving until Close returns
// (observations still queued then are dropped).
func New(cfg Config, out chan<- Observation) *Link {
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Second
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 100 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	l := &Link{
		cfg:       cfg,
		renames:   make(map[string]string, len(cfg.Renames)),
		out:       out,
		log:       cfg.Logger.With().Str("component", "link").Str("addr", cfg.Addr).Stringer("kind", cfg.Kind).Logger(),
		now:       cfg.Now,
		done:      make(chan struct{}),
		wake:      make(chan struct{}, 1),
		fenceWake: make(chan struct{}, 1),
		periods:   cfg.Periods.withDefaults(),
	}
	for k, v := range cfg.Renames {
		l.renames[strings.ToLower(k)] = v
	}
	now := l.now()
	l.st.ActPing, l.st.LastAvail = now, now
	l.wg.Add(3)
	go l.run()
	go l.deliver()
	go l.fenceLoop()
	return l
}

// Addr returns the instance address the link was created for.
func (l *Link) Addr() string { return l.cfg.Addr }

// Close stops the scheduler, closes both connections and waits for commands in flight
// to finish. It returns ErrClosed when called twice.
func (l *Link) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.closed = true
	cc, pc := l.cc, l.pc
	l.cc, l.pc = nil, nil
	l.st.CCUp, l.st.PCUp = false, false
	l.mu.Unlock()
	close(l.done)
	if cc != nil {
		cc.close()
	}
	if pc != nil {
		pc.close()
	}
	l.wg.Wait()
	return nil
}

// State returns the link's current bookkeeping.
func (l *Link) State() State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st
}

// SetPeriods replaces the timers (zero fields: DefaultPeriods); the next tick uses them.
func (l *Link) SetPeriods(p Periods) {
	l.mu.Lock()
	l.periods = p.withDefaults()
	l.mu.Unlock()
}

// SetHello sets the hello the scheduler publishes every publish period; a Hello with
// no MasterName stops publishing. An empty IP is replaced, at each publication, by the
// local address of the command connection (what Redis does without announce-ip).
func (l *Link) SetHello(h Hello) {
	l.mu.Lock()
	if h.MasterName == "" {
		l.hello = nil
	} else {
		l.hello = &h
	}
	l.mu.Unlock()
}

// command maps a command name through the rename-command table.
func (l *Link) command(name string) string {
	if r, ok := l.renames[strings.ToLower(name)]; ok {
		return r
	}
	return name
}

// report applies update under the lock and, unless it returns false, queues o stamped
// with the time, the instance and the new state. It never blocks: one goroutine per
// link delivers the queue in order (deliver).
func (l *Link) report(o Observation, update func(now time.Time) bool) {
	l.mu.Lock()
	now := l.now()
	send := update == nil || update(now)
	if send && !l.closed {
		o.Addr, o.Kind, o.At, o.State = l.cfg.Addr, l.cfg.Kind, now, l.st
		l.queue = append(l.queue, o)
	}
	l.mu.Unlock()
	if send {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// update applies fn to the link's fields under the lock.
func (l *Link) update(fn func(now time.Time)) {
	l.mu.Lock()
	fn(l.now())
	l.mu.Unlock()
}

// deliver sends queued observations to the owner until the link is closed.
func (l *Link) deliver() {
	defer l.wg.Done()
	for {
		select {
		case <-l.done:
			return
		case <-l.wake:
		}
		for {
			l.mu.Lock()
			q := l.queue
			l.queue = nil
			l.mu.Unlock()
			if len(q) == 0 {
				break
			}
			for _, o := range q {
				select {
				case l.out <- o:
				case <-l.done:
					return
				}
			}
		}
	}
}

// spawn runs fn on a goroutine Close waits for; false when the link is closed.
func (l *Link) spawn(fn func()) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		fn()
	}()
	return true
}

func (l *Link) run() {
	defer l.wg.Done()
	t := time.NewTicker(l.cfg.Tick)
	defer t.Stop()
	for {
		l.step()
		select {
		case <-l.done:
			return
		case <-t.C:
		}
	}
}

// step is one scheduler tick: plan under the lock, act outside it.
func (l *Link) step() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	t := tick{
		now: l.now(), kind: l.cfg.Kind, ccOpen: l.cc != nil, pcOpen: l.pc != nil,
		infoRefresh: l.infoRefresh, lastPub: l.lastPub, lastReconn: l.lastReconn,
		pings: l.pings, infos: l.infos, pubs: l.pubs, hello: l.hello != nil,
	}
	a := plan(t, l.st, l.periods)
	if a.connectCC || a.connectPC {
		l.lastReconn = t.now
	}
	cc, pc := l.cc, l.pc
	l.mu.Unlock()

	if a.closeCC {
		l.log.Debug().Msg("recycling command connection")
		l.dropCC(cc, errRecycled)
	}
	if a.closePC {
		l.log.Debug().Msg("recycling pub/sub connection")
		l.dropPC(pc, errRecycled)
	}
	if a.connectCC {
		l.connectCC()
	}
	if a.connectPC {
		l.connectPC()
	}
	if a.ping {
		l.sendPing(cc)
	}
	if a.info {
		l.sendInfo(cc)
	}
	if a.hello {
		l.sendHello(cc)
	}
}

// current returns the command connection, or an error when there is none.
func (l *Link) current() (*ccSession, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	if l.cc == nil {
		return nil, ErrDisconnected
	}
	return l.cc, nil
}

// Ping sends a PING now (besides the scheduled ones); the outcome arrives as
// EventPingSent and EventPingReply. It fails only when there is no command connection.
func (l *Link) Ping() error {
	s, err := l.current()
	if err == nil {
		l.sendPing(s)
	}
	return err
}

// Info sends an INFO now; the reply arrives as EventInfo.
func (l *Link) Info() error {
	s, err := l.current()
	if err == nil {
		l.sendInfo(s)
	}
	return err
}

// PublishHello publishes the hello set by SetHello now (Redis's "force hello" after a
// promotion or a configuration change); the outcome arrives as EventPublish.
func (l *Link) PublishHello() error {
	s, err := l.current()
	if err == nil {
		l.sendHello(s)
	}
	return err
}

// isRedisErr reports whether err is an error reply from the instance (as opposed to a
// transport failure).
func isRedisErr(err error) (string, bool) {
	var re redis.Error
	if err != nil && errors.As(err, &re) {
		return re.Error(), true
	}
	return "", false
}

// ctx returns the context of one periodic command.
func (l *Link) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), l.cfg.Timeout)
}
