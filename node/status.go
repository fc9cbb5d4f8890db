package node

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
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

// loadedPoll is how often WaitLoaded looks at the server's loading flag.
const loadedPoll = 50 * time.Millisecond

// WaitLoaded returns once the node's server has loaded its dataset (INFO's
// loading:0), or ctx's error; each poll calls progress with the status line
// (a supervisor extends its start timeout with it).
func (n *Node) WaitLoaded(ctx context.Context, progress func(status string)) error {
	t := time.NewTicker(loadedPoll)
	defer t.Stop()
	for {
		st := n.Status()
		if !strings.HasPrefix(st, "loading") && st != "starting" {
			return nil
		}
		if progress != nil {
			progress(st)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-n.done:
			return ErrStopped
		case <-t.C:
		}
	}
}

// ErrStopped is returned by WaitLoaded when the node stopped first.
var ErrStopped = errors.New("node: stopped")
