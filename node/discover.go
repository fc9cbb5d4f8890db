package node

import (
	"context"
	"net"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/sentinel"
)

// Start-up discovery: before its server opens, a node asks the agents of its
// group where the group's master is, so that a node joining a group, or
// restarted with data while another node became master, starts as a replica
// and never as a second master.

// queryTimeout bounds one question to one agent.
const queryTimeout = 500 * time.Millisecond

// answer is one agent's view of the group's master.
type answer struct {
	addr        sentinel.Addr
	configEpoch uint64
}

// askMaster asks the agent at addr (its sentinel endpoint) for the group's
// master with SENTINEL MASTER: address and config epoch.
func askMaster(ctx context.Context, addr, group, password string) (answer, bool) {
	c := redis.NewClient(&redis.Options{Addr: addr, Password: password, Protocol: 2, DialTimeout: queryTimeout,
		ReadTimeout: queryTimeout, WriteTimeout: queryTimeout, MaxRetries: -1, PoolSize: 1, DisableIdentity: true})
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*queryTimeout)
	defer cancel()
	flat, err := c.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", group).StringSlice()
	if err != nil || len(flat) != 2 {
		return answer{}, false
	}
	port, err := strconv.Atoi(flat[1])
	if err != nil {
		return answer{}, false
	}
	a := answer{addr: sentinel.Addr{Host: flat[0], Port: port}}
	fields, err := c.Do(ctx, "SENTINEL", "MASTER", group).StringSlice()
	if err == nil {
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i] == "config-epoch" {
				a.configEpoch, _ = strconv.ParseUint(fields[i+1], 10, 64)
			}
		}
	}
	return a, true
}

// askAll asks every agent in addrs and returns the answer with the highest
// config epoch (the newest configuration), and whether any agent answered.
func askAll(ctx context.Context, addrs []string, group, password string) (answer, bool) {
	type result struct {
		a  answer
		ok bool
	}
	results := make(chan result, len(addrs))
	for _, addr := range addrs {
		go func() {
			a, ok := askMaster(ctx, addr, group, password)
			results <- result{a, ok}
		}()
	}
	var best answer
	found := false
	for range addrs {
		r := <-results
		if r.ok && (!found || r.a.configEpoch > best.configEpoch) {
			best, found = r.a, true
		}
	}
	return best, found
}

// agentAddrs lists the sentinel endpoints to ask: the agents the state file
// knows and the members of the mesh (their meta carries the endpoint's port
// and announced address), without this node.
func (n *Node) agentAddrs(st learned) []string {
	seen := map[string]bool{}
	var out []string
	add := func(host string, port int) {
		a := net.JoinHostPort(host, strconv.Itoa(port))
		if port > 0 && host != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	if st.master != nil {
		for _, s := range st.master.KnownSentinels {
			if s.RunID != n.id {
				add(s.Host, s.Port)
			}
		}
	}
	for _, mb := range n.mesh.Members() {
		if mb.Name == n.id {
			continue
		}
		host := mb.Meta.IP
		if h, _, err := net.SplitHostPort(mb.Addr); host == "" && err == nil {
			host = h
		}
		add(host, mb.Meta.Port)
	}
	return out
}
