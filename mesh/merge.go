package mesh

import (
	"fmt"

	"github.com/hashicorp/memberlist"
)

// merge is the mesh's memberlist.MergeDelegate. memberlist lets a node with a taken
// name "join" without error while neither side sees the other; merge refuses such a
// join instead, on both sides, so Join returns ErrDuplicateName.
type merge struct {
	m *Mesh
}

var _ memberlist.MergeDelegate = (*merge)(nil)

// NotifyMerge refuses the join when a live node of the other side has the name of one
// of our live members (ourselves included) at a different address.
func (g *merge) NotifyMerge(peers []*memberlist.Node) error {
	if g.m.ml.Load() == nil { // still in New; m.addr is set before ml is stored
		return nil
	}
	known := map[string]string{g.m.name: g.m.addr}
	for _, n := range g.m.ev.peers() {
		known[n.Name] = n.Address()
	}
	for _, p := range peers {
		if p.State == memberlist.StateDead || p.State == memberlist.StateLeft {
			continue
		}
		addr, ok := known[p.Name]
		if ok && addr != p.Address() {
			g.m.log.Error().Str("peer", p.Name).Str("addr", addr).Str("other_addr", p.Address()).
				Msg("duplicate member name, join refused")
			return fmt.Errorf("%w: %s at %s and %s", ErrDuplicateName, p.Name, addr, p.Address())
		}
	}
	return nil
}
