package node

import (
	"fmt"
	"strconv"
	"strings"
)

// Status returns the node's one-line state for an operator (systemd's
// STATUS=): "loading 41%", "master of shop, 2/2 replicas in sync", "replica
// of 10.0.0.2:6379, link up, lag 0 s". It reads the server's INFO in process.
func (n *Node) Status() string {
	if n.srv == nil {
		return "starting"
	}
	return statusLine(n.cfg.Group, n.srv.Info("persistence", "replication"))
}

// statusLine builds Status from INFO text.
func statusLine(group, info string) string {
	f := map[string]string{}
	var replicas []string
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
		if !ok {
			continue
		}
		f[k] = v
		if strings.HasPrefix(k, "slave") && strings.Contains(v, "state=") {
			replicas = append(replicas, v)
		}
	}
	if f["loading"] == "1" {
		if p := f["loading_loaded_perc"]; p != "" {
			if pf, err := strconv.ParseFloat(p, 64); err == nil {
				return fmt.Sprintf("loading %.0f%%", pf)
			}
		}
		return "loading"
	}
	if f["role"] == "slave" {
		s := fmt.Sprintf("replica of %s:%s", f["master_host"], f["master_port"])
		switch {
		case f["master_sync_in_progress"] == "1":
			return s + ", syncing"
		case f["master_link_status"] != "up":
			return s + ", link down"
		}
		return s + ", link up, lag " + f["master_last_io_seconds_ago"] + " s"
	}
	inSync := 0
	for _, r := range replicas {
		if strings.Contains(r, "state=online") {
			inSync++
		}
	}
	return fmt.Sprintf("master of %s, %d/%d replicas in sync", group, inSync, len(replicas))
}
