package mesh

import "github.com/hashicorp/memberlist"

// broadcast is one queued gossip message. It is named so that a newer message for the
// same slot (origin and instance, master, leaver) replaces an older one still queued.
type broadcast struct {
	name string
	msg  []byte
}

var _ memberlist.NamedBroadcast = (*broadcast)(nil)

// broadcastName is the queue slot of a gossiped payload.
func broadcastName(origin string, p Payload) string {
	switch p := p.(type) {
	case Opinion:
		return "o\x00" + origin + "\x00" + p.Master + "\x00" + p.Addr
	case MasterConfig:
		return "c\x00" + p.Master
	}
	return "l\x00" + origin
}

// Name implements memberlist.NamedBroadcast.
func (b *broadcast) Name() string { return b.name }

// Invalidates is unused for named broadcasts (the queue compares names).
func (b *broadcast) Invalidates(memberlist.Broadcast) bool { return false }

// Message implements memberlist.Broadcast.
func (b *broadcast) Message() []byte { return b.msg }

// Finished implements memberlist.Broadcast.
func (b *broadcast) Finished() {}
