package link

import "time"

// Periods are the timers of one link, set by its owner (Redis's per-master settings and
// SENTINEL DEBUG values). Zero fields take the defaults of DefaultPeriods.
type Periods struct {
	// Ping is ping-period (1000 ms). The effective PING period is min(Ping, DownAfter);
	// Ping alone also limits reconnection attempts to one per period.
	Ping time.Duration
	// Info is info-period (10000 ms), the INFO period of masters and replicas.
	Info time.Duration
	// Publish is publish-period (2000 ms), the hello period.
	Publish time.Duration
	// DownAfter is the master's down-after-milliseconds (30000 ms).
	DownAfter time.Duration
	// MinReconnect is min-link-reconnect-period (15000 ms): a connection younger than
	// this is never recycled.
	MinReconnect time.Duration
	// FastInfo asks for INFO every second instead of every Info: the owner sets it for a
	// replica whose master is ODOWN or failing over, or whose own master link is down.
	FastInfo bool
}

// FastInfoPeriod is the INFO period when Periods.FastInfo is set.
const FastInfoPeriod = time.Second

// DefaultPeriods returns Redis Sentinel's default timers.
func DefaultPeriods() Periods {
	return Periods{
		Ping:         time.Second,
		Info:         10 * time.Second,
		Publish:      2 * time.Second,
		DownAfter:    30 * time.Second,
		MinReconnect: 15 * time.Second,
	}
}

func (p Periods) withDefaults() Periods {
	d := DefaultPeriods()
	if p.Ping <= 0 {
		p.Ping = d.Ping
	}
	if p.Info <= 0 {
		p.Info = d.Info
	}
	if p.Publish <= 0 {
		p.Publish = d.Publish
	}
	if p.DownAfter <= 0 {
		p.DownAfter = d.DownAfter
	}
	if p.MinReconnect <= 0 {
		p.MinReconnect = d.MinReconnect
	}
	return p
}

// pingPeriod is min(ping-period, down-after).
func (p Periods) pingPeriod() time.Duration { return min(p.Ping, p.DownAfter) }

func (p Periods) infoPeriod() time.Duration {
	if p.FastInfo {
		return FastInfoPeriod
	}
	return p.Info
}

// tick is what the scheduler knows at one tick, besides State.
type tick struct {
	now  time.Time
	kind Kind
	// ccOpen and pcOpen: a connection exists (connecting or up).
	ccOpen, pcOpen bool
	// infoRefresh is the last INFO reply, lastPub the last hello PUBLISH that did not
	// get an error, lastReconn the last reconnection attempt.
	infoRefresh, lastPub, lastReconn time.Time
	// commands in flight of each periodic kind
	pings, infos, pubs int
	// hello: there is a hello to publish
	hello bool
}

// actions is what the scheduler does at one tick.
type actions struct {
	connectCC, connectPC bool
	closeCC, closePC     bool
	ping, info, hello    bool
}

// plan is the scheduler's pure rule, after sentinelReconnectInstance,
// sentinelSendPeriodicCommands and the link recycling of sentinelCheckSubjectivelyDown.
func plan(t tick, st State, p Periods) actions {
	var a actions
	needPC := t.kind != KindSentinel
	if (!t.ccOpen || (needPC && !t.pcOpen)) && t.now.Sub(t.lastReconn) >= p.Ping {
		a.connectCC = !t.ccOpen
		a.connectPC = needPC && !t.pcOpen
	}
	half := p.DownAfter / 2
	if t.ccOpen && st.CCUp && t.now.Sub(st.CCConnTime) > p.MinReconnect &&
		!st.ActPing.IsZero() && t.now.Sub(st.ActPing) > half && t.now.Sub(st.LastPong) > half {
		a.closeCC = true
	}
	if needPC && t.pcOpen && st.PCUp && t.now.Sub(st.PCConnTime) > p.MinReconnect &&
		t.now.Sub(st.PCLastActivity) > 3*p.Publish {
		a.closePC = true
	}
	if !st.CCUp || a.closeCC {
		return a
	}
	// PING needs only the command connection (Redis also waits for the pub/sub one):
	// go-redis notices a dead instance on an idle connection only when it uses it, so
	// PINGs keep going while the pub/sub connection is being re-established.
	pp := p.pingPeriod()
	a.ping = t.pings == 0 && t.now.Sub(st.LastPong) > pp && t.now.Sub(st.LastPing) > pp/2
	if st.disconnected(t.kind) || a.closePC {
		return a
	}
	a.info = t.kind != KindSentinel && t.infos == 0 &&
		(t.infoRefresh.IsZero() || t.now.Sub(t.infoRefresh) > p.infoPeriod())
	a.hello = t.hello && t.pubs == 0 && t.now.Sub(t.lastPub) > p.Publish
	return a
}

// disconnected is Redis's link->disconnected: no command connection, or (masters and
// replicas) no pub/sub connection.
func (s State) disconnected(k Kind) bool {
	return !s.CCUp || (k != KindSentinel && !s.PCUp)
}

// Disconnected reports Redis's "disconnected" flag for an instance of kind k.
func (s State) Disconnected(k Kind) bool { return s.disconnected(k) }
