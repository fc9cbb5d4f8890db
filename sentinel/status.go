package sentinel

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// statusEvery is how many loop ticks (50-100 ms each) pass between two computations of
// the status line.
const statusEvery = 10

// supervision is what the sentinel offers the process owner's supervisor (systemd):
// whether its loop progresses and a one-line status, both readable without the loop.
type supervision struct {
	ticks  atomic.Uint64          // loop ticks done (Progress)
	status atomic.Pointer[string] // the last status line computed by the loop
}

// Progress returns a function reporting whether the sentinel's loop has ticked since
// the function's previous call (the first call compares with Progress's own call). The
// loop ticks every 50-100 ms between requests, observations and events, so a request that
// wedges it stops the count. It is what systemd's watchdog pings are conditioned on.
// Each caller gets its own baseline.
func (s *Sentinel) Progress() func() bool {
	last := s.sup.ticks.Load()
	return func() bool {
		v := s.sup.ticks.Load()
		moved := v != last
		last = v
		return moved
	}
}

// StatusLine returns the sentinel's state in one line, as the loop last computed it
// (every second): "mymaster: master 10.0.0.2:6379 ok, 2 replicas, 2 other sentinels,
// quorum 2" for one master (ok becomes s_down, o_down or failover <state>), "3 masters
// monitored: 2 ok, 1 o_down" for several. It does not wait for the loop.
func (s *Sentinel) StatusLine() string {
	if p := s.sup.status.Load(); p != nil {
		return *p
	}
	return "starting"
}

// ticked counts a loop tick and refreshes the status line every statusEvery ticks
// (loop goroutine only).
func (s *Sentinel) ticked() {
	if s.sup.ticks.Add(1)%statusEvery == 1 {
		line := s.statusLine()
		s.sup.status.Store(&line)
	}
}

// statusLine computes StatusLine's text (loop goroutine only).
func (s *Sentinel) statusLine() string {
	switch len(s.masters) {
	case 0:
		return "no masters monitored"
	case 1:
		ms := s.snapshot(s.masters[0])
		return fmt.Sprintf("%s: master %s %s, %d %s, %d other %s, quorum %d", ms.Name, ms.Addr, masterHealth(ms),
			len(ms.Replicas), plural(len(ms.Replicas), "replica", "replicas"),
			len(ms.Sentinels), plural(len(ms.Sentinels), "sentinel", "sentinels"), ms.Quorum)
	}
	counts := map[string]int{}
	var order []string
	for _, m := range s.masters {
		h := masterHealth(s.snapshot(m))
		if strings.HasPrefix(h, "failover") {
			h = "failing over"
		}
		if counts[h] == 0 {
			order = append(order, h)
		}
		counts[h]++
	}
	parts := make([]string, 0, len(order))
	for _, h := range order {
		parts = append(parts, fmt.Sprintf("%d %s", counts[h], h))
	}
	return fmt.Sprintf("%d masters monitored: %s", len(s.masters), strings.Join(parts, ", "))
}

// masterHealth is one word (or two) for a master's state.
func masterHealth(ms MasterSnapshot) string {
	switch {
	case ms.FailoverState != "":
		return "failover " + ms.FailoverState
	case ms.Flags&FlagODown != 0:
		return "o_down"
	case ms.Flags&FlagSDown != 0:
		return "s_down"
	}
	return "ok"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
