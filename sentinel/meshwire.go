package sentinel

import (
	"net"
	"strconv"
	"time"

	"github.com/vigil-db/vigil/failover"
	"github.com/vigil-db/vigil/mesh"
	"github.com/vigil-db/vigil/sentinel/link"
)

// This file plugs the gossip mesh into the loop: SDOWN opinions and master
// configurations are gossiped; fresh opinions of peers count toward ODOWN
// and newer config epochs are adopted like hellos. Votes stay on
// IS-MASTER-DOWN-BY-ADDR, which real redis-sentinel peers answer too. What
// any owner of a mesh needs (announce rule, port rule, background joins,
// membership, close) is in package mesh; this file only adds the
// sentinel's wiring.

// meshAddr is the gossip address announced to the sentinels we link to
// (link.GossipChannel): the mesh's advertised address, port 0 without a mesh.
func (s *Sentinel) meshAddr() (string, int) {
	if s.mesh == nil {
		return "", 0
	}
	return s.mesh.AdvertisedAddr()
}

// gossipRetry is how long a join of an announced gossip address that did not
// make the peer a member waits before it is tried again.
const gossipRetry = 30 * time.Second

// gossipAnnounced handles a peer's gossip announcement (PUBLISH on
// link.GossipChannel): a sentinel that is not yet a member of our mesh is
// joined at the address it announced, so that sentinels that find each
// other through hellos form one mesh whatever their gossip-port.
func (s *Sentinel) gossipAnnounced(payload string) {
	runID, addr, err := link.ParseGossip(payload)
	if err != nil || s.mesh == nil {
		return
	}
	if s.mesh.IsMember(runID) {
		delete(s.gossipJoins, runID) // joined: run ids change at each restart, keep none
		return
	}
	now := s.now()
	if at, ok := s.gossipJoins[runID]; ok && now.Sub(at) < gossipRetry {
		return
	}
	s.gossipJoins[runID] = now
	s.mesh.JoinInBackground([]string{addr})
}

// startMesh creates the mesh (gossip-bind, gossip-port, default
// mesh.DefaultPort of the sentinel port, announce-ip advertised when bound to
// every interface) unless the sentinel was given one (Options.Mesh), joins
// the gossip-join seeds in the background and feeds incoming messages to the
// loop. Errors are logged: the sentinel keeps working through hellos
// without the mesh.
func (s *Sentinel) startMesh() {
	s.meshConfigEpoch = map[string]uint64{}
	s.gossipJoins = map[string]time.Time{}
	if s.mesh == nil {
		g := s.cfg.Gossip
		if g.Bind == "" { // a Config not loaded from a file
			g.Bind = s.cfg.defaultGossipBind()
		}
		port := g.Port
		if !g.portSet {
			port = mesh.DefaultPort(s.cfg.Server.Port)
		}
		annPort := s.cfg.AnnouncePort
		if annPort == 0 {
			annPort = s.cfg.Server.Port
		}
		mh, err := mesh.New(mesh.Config{Name: s.cfg.MyID, BindAddr: g.Bind, BindPort: port, Secret: s.cfg.GossipKey(),
			Meta:   mesh.Meta{IP: s.cfg.AnnounceIP, Port: annPort, Epoch: s.fo.CurrentEpoch()},
			Logger: s.log}.AnnounceConfig())
		if err != nil {
			s.log.Warn().Err(err).Msg("gossip mesh not started")
			return
		}
		s.mesh, s.ownMesh = mh, true
	}
	s.mesh.JoinInBackground(s.cfg.Gossip.Join)
	mh := s.mesh
	go func() {
		for {
			select {
			case msg := <-mh.Incoming():
				s.post(func() { s.meshMessage(msg) })
			case <-s.shutdown:
				return
			}
		}
	}()
}

// stopMesh leaves and closes the mesh the sentinel created; one given in
// Options.Mesh is its owner's to close.
func (s *Sentinel) stopMesh() {
	if s.mesh != nil && s.ownMesh {
		_ = s.mesh.Close(time.Second)
	}
}

// meshMessage handles one message from the mesh on the loop.
func (s *Sentinel) meshMessage(msg mesh.Message) {
	switch p := msg.Payload.(type) {
	case mesh.Opinion:
		if a, ok := splitAddr(p.Addr); ok && s.master(p.Master) != nil {
			_ = s.step(failover.Opinion{Master: p.Master, From: msg.From, Addr: a, Down: p.Down})
		}
	case mesh.MasterConfig:
		m := s.master(p.Master)
		a, ok := splitAddr(p.Addr)
		if m == nil || !ok {
			return
		}
		_ = s.step(failover.Hello{From: msg.From, FromAddr: s.meshPeerAddr(m, msg.From), Master: p.Master,
			MasterAddr: a, ConfigEpoch: p.Epoch})
	}
}

// splitAddr parses a gossiped "host:port".
func splitAddr(s string) (Addr, bool) {
	host, portText, err := net.SplitHostPort(s)
	if err != nil {
		return Addr{}, false
	}
	port, err := strconv.Atoi(portText)
	return Addr{Host: host, Port: port}, err == nil
}

// meshPeerAddr is the announced address of the sentinel runID for
// +config-update-from: the one its hellos gave, else its mesh meta, whose IP
// is empty without announce-ip, then taken from its gossip address.
func (s *Sentinel) meshPeerAddr(m *instance, runID string) failover.Addr {
	for _, si := range m.sentinels {
		if si.runID == runID {
			return si.addr
		}
	}
	for _, mb := range s.mesh.Members() {
		if mb.Name == runID {
			from := failover.Addr{Host: mb.Meta.IP, Port: mb.Meta.Port}
			if h, _, err := net.SplitHostPort(mb.Addr); from.Host == "" && err == nil {
				from.Host = h
			}
			return from
		}
	}
	return failover.Addr{}
}

// gossip broadcasts our SDOWN opinion of m (on change, and every ask-period
// while down so that it stays fresh) and its configuration when the config
// epoch moved.
func (s *Sentinel) gossip(m *instance, st failover.Status, now time.Time) {
	if s.mesh == nil {
		return
	}
	down := st.SDown
	if down != m.gossipDown || (down && now.Sub(m.gossipAt) >= s.timers.AskPeriod) {
		m.gossipDown, m.gossipAt = down, now
		_ = s.mesh.Broadcast(mesh.Opinion{Master: m.name, Addr: m.addr.String(), Down: down, Time: now.UnixMilli()})
	}
	if st.ConfigEpoch > s.meshConfigEpoch[m.name] {
		s.meshConfigEpoch[m.name] = st.ConfigEpoch
		ca, _ := s.fo.ClientAddr(m.name)
		_ = s.mesh.Broadcast(mesh.MasterConfig{Master: m.name, Addr: ca.String(), Epoch: st.ConfigEpoch})
	}
}
