package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/httpapi"
	"github.com/vigil-db/vigil/mesh"
	"github.com/vigil-db/vigil/sentinel"
	"github.com/vigil-db/vigil/server"
)

// Options are what a node needs besides its configuration.
type Options struct {
	// Log receives the whole node's log; each component adds its
	// component=<name> field. Default zerolog.Nop().
	Log zerolog.Logger
	// Process grants the server's process-wide wishes; nil = none.
	Process server.Process
	// Supervised is the supervision in force (INFO's process_supervised).
	Supervised string
	// Stopping, if set, is called when a shutdown begins (the server's
	// shutdown, a signal, or Shutdown): systemd's STOPPING=1.
	Stopping func()
	// ExecName is the process's argv[0], the server's process title's {title}.
	ExecName string
}

// Node is one node: its data server, its agent (a sentinel monitoring the
// group under the group's name), the gossip mesh they share and the HTTP
// endpoint.
type Node struct {
	cfg  *Config
	log  zerolog.Logger
	root zerolog.Logger
	opt  Options
	id   string

	mesh *mesh.Mesh
	srv  *server.Server
	sen  *sentinel.Sentinel
	web  *httpapi.Server

	stopOnce sync.Once
	closing  chan struct{} // closed when Shutdown begins
	done     chan struct{} // closed when it has finished
}

// New returns a node for cfg; Start runs it.
func New(cfg *Config, opt Options) *Node {
	if opt.Stopping == nil {
		opt.Stopping = func() {}
	}
	return &Node{cfg: cfg, root: opt.Log, log: opt.Log.With().Str("component", "node").Logger(),
		opt: opt, closing: make(chan struct{}), done: make(chan struct{})}
}

// ID returns the node's ID (its agent's myid), "" before Start.
func (n *Node) ID() string { return n.id }

// Server returns the node's data server (nil before Start).
func (n *Node) Server() *server.Server { return n.srv }

// Sentinel returns the node's agent (nil before Start).
func (n *Node) Sentinel() *sentinel.Sentinel { return n.sen }

// Done is closed when the node has stopped: after Shutdown, or when its
// server or its agent stopped on its own (SHUTDOWN on either endpoint).
func (n *Node) Done() <-chan struct{} { return n.done }

// Start brings the node up in this order: read the state file (node ID,
// what it learned), open the mesh and join the group, decide the role (ask
// the group's agents where its master is), start the server (a replica of
// that master unless it is this node), then the agent and the HTTP
// endpoint. It returns once everything listens; the server may still be
// loading its data. ctx bounds the start-up (the wait for the group).
func (n *Node) Start(ctx context.Context) error {
	cfg := n.cfg
	path := statePath(cfg)
	st, err := readState(path)
	if err != nil {
		return err
	}
	if st.master != nil && st.master.Name != cfg.Group { // the group was renamed: nothing learned applies
		n.log.Warn().Str("group", cfg.Group).Str("master", st.master.Name).Msg("state file is of another group: ignored")
		st = learned{id: st.id}
	}
	n.id = st.id
	if n.id == "" {
		n.id = newID()
	}
	n.log = n.log.With().Str("node_id", n.id).Logger()
	if err := n.openMesh(); err != nil {
		return err
	}
	master, err := n.decide(ctx, st)
	if err != nil {
		n.closeMesh()
		return err
	}
	self := n.selfAddr()
	if master != self {
		cfg.Server.ReplicaOf = master.Host + " " + strconv.Itoa(master.Port)
		n.log.Info().Str("master", master.String()).Msg("starting as a replica of the group's master")
	} else {
		cfg.Server.ReplicaOf = ""
		n.log.Info().Str("master", master.String()).Msg("starting as the group's master")
	}
	if cfg.Server.ReplicaAnnounceIP == "" {
		cfg.Server.ReplicaAnnounceIP = cfg.AnnounceHost
	}
	if cfg.Server.MasterAuth == "" {
		cfg.Server.MasterAuth = cfg.Server.RequirePass
	}
	scfg, err := agentConfig(cfg, path, learned{id: n.id, currentEpoch: st.currentEpoch, master: st.master}, master)
	if err != nil {
		n.closeMesh()
		return err
	}
	n.srv = server.New(cfg.Server, server.Options{Log: n.root, Process: n.opt.Process,
		Supervised: n.opt.Supervised, Stopping: n.opt.Stopping, ExecName: n.opt.ExecName})
	if err := n.srv.Start(ctx); err != nil {
		n.closeMesh()
		return fmt.Errorf("node: server: %w", err)
	}
	n.sen, err = sentinel.New(scfg, sentinel.Options{Log: n.root, Monitor: true, Mesh: n.mesh, Dial: n.dial, Local: n.local})
	if err == nil {
		err = n.startHTTP(ctx, scfg)
	}
	if err == nil {
		err = n.sen.Start(ctx)
	}
	if err != nil {
		n.stop()
		return fmt.Errorf("node: agent: %w", err)
	}
	go n.watch()
	n.log.Info().Str("group", cfg.Group).Int("port", cfg.Server.Port).Int("sentinel_port", cfg.SentinelPort).
		Int("gossip_port", cfg.GossipPort).Int("http_port", cfg.HTTPPort).Str("announce", cfg.AnnounceHost).
		Msg("node started")
	return nil
}

// dialTimeout bounds a TCP dial of the agent (sentinel/link's default timeout).
const dialTimeout = time.Second

// The node's server is its agent's link.Local.
var _ sentinel.Local = (*server.LocalClient)(nil)

// local gives the agent its own server as direct calls (no connection): the
// link's PING, INFO (role, offsets, link state, replicas), fence renewals and
// the SLAVEOF transaction of a promotion or a repointing run through the
// server's dispatcher under its execution lock, as the commands do.
func (n *Node) local(addr string) sentinel.Local {
	if addr != n.selfAddr().String() {
		return nil
	}
	return n.srv.NewLocalClient("sentinel-" + n.id[:min(8, len(n.id))] + "-local")
}

// dial opens the agent's connections: to its own server only the pub/sub
// connection of the hellos remains, in process (a socket pair, no TCP);
// every other instance and agent over TCP.
func (n *Node) dial(ctx context.Context, addr string) (net.Conn, error) {
	if addr == n.selfAddr().String() {
		return n.srv.ConnectInProcess()
	}
	d := net.Dialer{Timeout: dialTimeout}
	return d.DialContext(ctx, "tcp", addr)
}

// selfAddr is the address the group knows this node's server by.
func (n *Node) selfAddr() sentinel.Addr {
	return sentinel.Addr{Host: n.cfg.AnnounceHost, Port: n.cfg.Server.Port}
}

// gossipBind is the mesh's listen address: the `sentinel:` section's
// gossip-bind, else the server's first bind address that is not a wildcard,
// else every interface.
func (c *Config) gossipBind() string {
	for _, kv := range c.Sentinel {
		if kv[0] == "gossip-bind" {
			return kv[1]
		}
	}
	for _, b := range c.Server.Bind {
		b = trimDash(b)
		if ip := net.ParseIP(b); ip != nil && !ip.IsUnspecified() {
			return b
		}
	}
	return "0.0.0.0"
}

func trimDash(s string) string {
	if len(s) > 0 && s[0] == '-' {
		return s[1:]
	}
	return s
}

// openMesh creates the mesh the agent gossips on (the node owns it).
func (n *Node) openMesh() error {
	cfg := n.cfg
	mc := mesh.Config{Name: n.id, BindAddr: cfg.gossipBind(), BindPort: cfg.GossipPort,
		Meta: mesh.Meta{IP: cfg.AnnounceHost, Port: cfg.SentinelPort}, Logger: n.root,
		Secret: gossipKey(cfg)}
	if net.ParseIP(cfg.AnnounceHost) == nil { // a hostname: peers take our IP from the gossip address
		mc.AdvertiseAddr = ""
	} else {
		mc = mc.AnnounceConfig()
	}
	m, err := mesh.New(mc)
	if err != nil {
		return fmt.Errorf("node: gossip mesh: %w", err)
	}
	n.mesh = m
	return nil
}

// gossipKey is the agent's rule (sentinel.Config.GossipKey): gossip-secret,
// else a key derived from the password, else plain text.
func gossipKey(c *Config) []byte {
	sc := &sentinel.Config{Server: c.Server}
	for _, kv := range c.Sentinel {
		switch kv[0] {
		case "gossip-secret":
			sc.Gossip.Secret = kv[1]
		}
	}
	return sc.GossipKey()
}

func (n *Node) closeMesh() {
	if n.mesh != nil {
		_ = n.mesh.Close(time.Second)
	}
}

// decideEvery is the period of the start-up questions to the group.
const decideEvery = time.Second

// decide returns the group's master as the node starts: what the group's
// agents answer (the newest config epoch wins); without an answer, this
// node for the first node of a new group (no join, no state), the state
// file's master after a few tries for a node that knew a group (the whole
// group restarting), and otherwise it keeps asking: a node joining a group
// it cannot reach never makes itself a master.
func (n *Node) decide(ctx context.Context, st learned) (sentinel.Addr, error) {
	cfg := n.cfg
	self := n.selfAddr()
	if len(cfg.Join) == 0 && st.master == nil {
		return self, nil
	}
	joined := len(cfg.Join) == 0
	for try := 0; ; try++ {
		if !joined && (try < 3 || try%5 == 0) { // each failure is logged: fewer tries once it lasts
			_, err := n.mesh.Join(cfg.Join)
			joined = err == nil
		}
		if addrs := n.agentAddrs(st); len(addrs) > 0 {
			if a, ok := askAll(ctx, addrs, cfg.Group, n.sentinelPass()); ok {
				n.log.Info().Str("master", a.addr.String()).Uint64("epoch", a.configEpoch).Int("asked", len(addrs)).
					Msg("group master found")
				return a.addr, nil
			}
		}
		if st.master != nil && try >= 2 {
			a := sentinel.Addr{Host: st.master.Host, Port: st.master.Port}
			n.log.Warn().Str("master", a.String()).Msg("no agent of the group answered: using the master of the state file")
			return a, nil
		}
		if try%5 == 0 {
			n.log.Warn().Strs("join", cfg.Join).Str("group", cfg.Group).Msg("waiting for the group's agents to answer")
		}
		select {
		case <-ctx.Done():
			return sentinel.Addr{}, fmt.Errorf("node: waiting for group %q: %w", cfg.Group, ctx.Err())
		case <-time.After(decideEvery):
		}
	}
}

// sentinelPass is the password of the group's sentinel endpoints.
func (n *Node) sentinelPass() string {
	for _, kv := range n.cfg.Sentinel {
		if kv[0] == "requirepass" {
			return kv[1]
		}
	}
	return n.cfg.Server.RequirePass
}

// startHTTP starts the HTTP endpoint unless http-port is 0.
func (n *Node) startHTTP(ctx context.Context, scfg *sentinel.Config) error {
	if n.cfg.HTTPPort == 0 {
		return nil
	}
	n.web = httpapi.New(n.sen, httpapi.Config{Addr: net.JoinHostPort(n.cfg.HTTPBind, strconv.Itoa(n.cfg.HTTPPort)),
		Password: scfg.Server.RequirePass, Self: n.selfAddr(),
		ServerInfo: func() string { return n.srv.Info() }}, n.root)
	if err := n.web.Start(ctx); err != nil {
		n.web = nil
		return fmt.Errorf("http endpoint: %w", err)
	}
	return nil
}

// watch stops the node when its server or its agent stopped on its own.
func (n *Node) watch() {
	select {
	case <-n.srv.Done():
		n.log.Warn().Msg("server stopped: stopping the node")
	case <-n.sen.Done():
		n.log.Warn().Msg("agent stopped: stopping the node")
	case <-n.closing:
		return
	}
	n.stop()
}

// Shutdown stops the node: the agent first (no failover command leaves
// after), then the HTTP endpoint, the server (final save as on SIGTERM) and
// the mesh (a graceful leave). It waits up to ctx.
func (n *Node) Shutdown(ctx context.Context) error {
	var err error
	n.stopOnce.Do(func() {
		close(n.closing)
		n.opt.Stopping()
		err = n.shutdown(ctx)
		close(n.done)
	})
	return err
}

func (n *Node) stop() { _ = n.Shutdown(context.Background()) }

func (n *Node) shutdown(ctx context.Context) error {
	var errs []error
	if n.sen != nil {
		if err := n.sen.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("agent: %w", err))
		}
	}
	if n.web != nil {
		_ = n.web.Shutdown(ctx)
	}
	if n.srv != nil {
		select {
		case <-n.srv.Done():
		default:
			if err := n.srv.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("server: %w", err))
			}
		}
	}
	n.closeMesh()
	return errors.Join(errs...)
}

// ExitCode is the process's exit status after Done: the server's.
func (n *Node) ExitCode() int {
	if n.srv == nil {
		return 1
	}
	return n.srv.ExitCode()
}
