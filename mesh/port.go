package mesh

// PortOffset is the distance between a sentinel's (or a node's) RESP port
// and its default gossip port.
const PortOffset = 1000

// DefaultPort is the gossip port of a service listening on port when none is
// configured: port + PortOffset, or 0 (the kernel chooses) when that is not
// a valid port. It is the one place of that rule: the sentinel's default
// gossip-port and its guess for a peer that announced no gossip address both
// use it.
func DefaultPort(port int) int {
	if p := port + PortOffset; port > 0 && p <= 65535 {
		return p
	}
	return 0
}
