package node

import (
	"strings"
)

// Status returns the node's one-line state for an operator (systemd's
// STATUS=): the server's status line with the group named, "loading 41%",
// "master of shop, 2 replicas in sync", "replica of 10.0.0.2:6379, lag 0 s".
func (n *Node) Status() string {
	if n.srv == nil {
		return "starting"
	}
	return groupStatus(n.cfg.Group, n.srv.StatusLine())
}

// groupStatus names the group in a server status line: "master, ..." becomes
// "master of <group>, ...".
func groupStatus(group, line string) string {
	if rest, ok := strings.CutPrefix(line, "master"); ok {
		return "master of " + group + rest
	}
	return line
}

// Progress returns the functions a watchdog asks whether the node's loops
// move: the server's command loop and the agent's loop (see
// server.Server.Progress and sentinel.Sentinel.Progress). Call it after Start.
func (n *Node) Progress() []func() bool {
	return []func() bool{n.srv.Progress(), n.sen.Progress()}
}
