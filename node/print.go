package node

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/vigil-db/vigil/config"
)

// Print writes the effective configuration as YAML that Load reads back:
// the node's own keys, then every server directive (CONFIG GET's values)
// and the `sentinel:` section.
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
	b.WriteString("server:\n")
	for _, kv := range config.Get(c.Server, []string{"*"}) {
		fmt.Fprintf(&b, "  %s: %s\n", kv.Key, q(kv.Value))
	}
	b.WriteString("sentinel:")
	if len(c.Sentinel) == 0 {
		b.WriteString(" {}")
	}
	b.WriteString("\n")
	for _, kv := range c.Sentinel {
		fmt.Fprintf(&b, "  %s: %s\n", kv[0], q(kv[1]))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
