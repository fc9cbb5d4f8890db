package mesh

import "github.com/hashicorp/memberlist"

// delegate is the mesh's memberlist.Delegate: node meta, user messages, broadcasts and
// the push/pull state. Its methods copy what they keep and never block.
type delegate struct {
	m *Mesh
}

var _ memberlist.Delegate = (*delegate)(nil)

// NodeMeta returns the encoded Meta (checked against the limit when it was set).
func (d *delegate) NodeMeta(limit int) []byte {
	d.m.metaMu.Lock()
	defer d.m.metaMu.Unlock()
	if len(d.m.meta) > limit {
		return nil
	}
	return append([]byte(nil), d.m.meta...)
}

// NotifyMsg handles a user message (gossip or direct). memberlist reuses buf after the
// call, so it is copied first.
func (d *delegate) NotifyMsg(buf []byte) {
	d.m.handle(append([]byte(nil), buf...))
}

// GetBroadcasts returns queued gossip (our own and relayed messages).
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte {
	return d.m.queue.GetBroadcasts(overhead, limit)
}

// LocalState returns our clock, the newest config of every master and the newest
// opinion of every (origin, instance), for push/pull.
func (d *delegate) LocalState(join bool) []byte {
	st := pushState{Items: d.m.table.snapshot()}
	raw, err := encode(envelope{Origin: d.m.name, Lamport: d.m.clock.Time(), Payload: st})
	if err != nil {
		d.m.log.Error().Err(err).Msg("encode local state")
		return nil
	}
	return raw
}

// MergeRemoteState takes a peer's push/pull state: newer configs and opinions are
// delivered and relayed, the clock moves past the peer's.
func (d *delegate) MergeRemoteState(buf []byte, join bool) {
	if len(buf) == 0 {
		return
	}
	d.m.handle(append([]byte(nil), buf...))
}
