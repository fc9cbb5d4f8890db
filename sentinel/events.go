package sentinel

import (
	"fmt"
	"sync"

	"github.com/vigil-db/vigil/config"
)

// level is the Redis log level of an event (spec §5.11).
type level int

const (
	levelDebug level = iota
	levelVerbose
	levelNotice
	levelWarning
)

// event is sentinelEvent: it logs the event in Redis's words, publishes it on
// the channel named after it (not debug events) and, for warning events of
// an instance whose master has a notification-script, queues the script.
func (s *Sentinel) event(lvl level, name string, i *instance, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	e := s.log.Info()
	switch lvl {
	case levelWarning:
		e = s.log.Warn()
	case levelDebug, levelVerbose:
		e = s.log.Debug()
	}
	e = e.Str("event", name)
	if i != nil {
		m := i
		if i.master != nil {
			m = i.master
		}
		e = e.Str("master", m.name)
	}
	e.Msg(name + " " + msg)
	if lvl == levelDebug {
		return
	}
	s.hub.publish(name, msg)
	if lvl == levelWarning && i != nil {
		m := i
		if i.master != nil {
			m = i.master
		}
		if m.conf != nil && m.conf.NotificationScript != "" {
			s.scripts.schedule([]string{m.conf.NotificationScript, name, msg}, s.now())
		}
	}
}

// subscriber receives published messages (an endpoint client).
type subscriber interface {
	// message delivers a message; pattern is "" for channel subscriptions.
	message(pattern, channel, msg string)
}

// hub is the pub/sub registry of the endpoint. It has its own lock because
// client goroutines (SUBSCRIBE) and the loop (events) both use it.
type hub struct {
	mu       sync.Mutex
	channels map[string]map[subscriber]bool
	patterns map[string]map[subscriber]bool
}

func newHub() *hub {
	return &hub{channels: map[string]map[subscriber]bool{}, patterns: map[string]map[subscriber]bool{}}
}

func (h *hub) sub(set map[string]map[subscriber]bool, key string, c subscriber) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if set[key] == nil {
		set[key] = map[subscriber]bool{}
	}
	if set[key][c] {
		return false
	}
	set[key][c] = true
	return true
}

func (h *hub) unsub(set map[string]map[subscriber]bool, key string, c subscriber) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !set[key][c] {
		return false
	}
	delete(set[key], c)
	if len(set[key]) == 0 {
		delete(set, key)
	}
	return true
}

// publish delivers msg to the subscribers of channel and of matching patterns;
// it returns how many received it.
func (h *hub) publish(channel, msg string) int {
	h.mu.Lock()
	type delivery struct {
		c       subscriber
		pattern string
	}
	var out []delivery
	for c := range h.channels[channel] {
		out = append(out, delivery{c, ""})
	}
	for p, set := range h.patterns {
		if config.Glob(p, channel, false) {
			for c := range set {
				out = append(out, delivery{c, p})
			}
		}
	}
	h.mu.Unlock()
	for _, d := range out {
		d.c.message(d.pattern, channel, msg)
	}
	return len(out)
}
