package mesh

import "github.com/hashicorp/memberlist"

// conflict is the mesh's memberlist.ConflictDelegate: it reports a node that gossips a
// name already used by a live member at another address (memberlist ignores it).
type conflict struct {
	m *Mesh
}

var _ memberlist.ConflictDelegate = (*conflict)(nil)

// NotifyConflict logs the conflict; an operator must give one of the sentinels a new myid.
func (c *conflict) NotifyConflict(existing, other *memberlist.Node) {
	c.m.log.Error().Str("peer", existing.Name).Str("addr", existing.Address()).
		Str("other_addr", other.Address()).Msg("duplicate member name")
}
