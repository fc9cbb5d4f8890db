package node

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/vigil-db/vigil/config"
)

// Print writes the effective configuration as YAML that Load reads back:
// the node's own keys, the server directives whose value is not
// redis-server's default (CONFIG GET's values; passwords hidden) and the
// `sentinel:` section.
func (c *Config) Print(w io.Writer) error {
	var b strings.Builder
	q := strconv.Quote
	fmt.Fprintf(&b, "# effective configuration of vigil node (file: %s)\n", q(c.File))
	fmt.Fprintf(&b, "group: %s\nsize: %d\nquorum: %d\n", q(c.Group), c.Size, c.EffectiveQuorum(0))
	fmt.Fprintf(&b, "join: [")
	for i, j := range c.Join {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(q(j))
	}
	fmt.Fprintf(&b, "]\nannounce-host: %s\nsentinel-port: %d\ngossip-port: %d\nhttp-port: %d\nhttp-bind: %s\n",
		q(c.AnnounceHost), c.SentinelPort, c.GossipPort, c.HTTPPort, q(c.HTTPBind))
	b.WriteString("server: # the directives that differ from redis-server's defaults, and port, bind, dir\n")
	def := config.Default()
	for _, d := range config.Directives() {
		v, dv := config.Get(c.Server, []string{d.Name}), config.Get(def, []string{d.Name})
		if len(v) != 1 || len(dv) != 1 || v[0].Value == dv[0].Value && d.Name != "port" && d.Name != "bind" && d.Name != "dir" {
			continue
		}
		val := q(v[0].Value)
		if d.Sensitive && v[0].Value != "" {
			val = q("(hidden)")
		}
		fmt.Fprintf(&b, "  %s: %s\n", d.Name, val)
	}
	b.WriteString("sentinel:")
	if len(c.Sentinel) == 0 {
		b.WriteString(" {}")
	}
	b.WriteString("\n")
	for _, kv := range c.Sentinel {
		val := q(kv[1])
		if strings.Contains(kv[0], "pass") || kv[0] == "gossip-secret" {
			val = q("(hidden)")
		}
		fmt.Fprintf(&b, "  %s: %s\n", kv[0], val)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
