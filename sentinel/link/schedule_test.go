package link

import (
	"testing"
	"time"
)

func TestPlan(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	p := DefaultPeriods() // ping 1 s, info 10 s, publish 2 s, down-after 30 s, min reconnect 15 s
	now := at(100_000)
	up := State{CCUp: true, PCUp: true, CCConnTime: at(0), PCConnTime: at(0), PCLastActivity: at(99_000),
		LastPing: at(99_000), LastPong: at(99_000), LastAvail: at(99_000)}
	base := tick{now: now, kind: KindMaster, ccOpen: true, pcOpen: true,
		infoRefresh: at(95_000), lastPub: at(99_000), lastReconn: at(0), hello: true}

	tests := []struct {
		name string
		t    func(*tick)
		st   func(*State)
		p    func(*Periods)
		want actions
	}{
		{"nothing due", nil, nil, nil, actions{}},
		{"ping due", nil, func(s *State) { s.LastPong, s.LastPing = at(98_999), at(98_999) }, nil, actions{ping: true}},
		{"ping waits for the last ping + period/2", nil, func(s *State) { s.LastPong, s.LastPing = at(98_000), at(99_600) }, nil, actions{}},
		{"ping not twice in flight", func(t *tick) { t.pings = 1 }, func(s *State) { s.LastPong, s.LastPing = at(90_000), at(90_000) }, nil, actions{}},
		{"ping period is min(ping, down-after)", nil, func(s *State) { s.LastPong, s.LastPing = at(99_600), at(99_600) },
			func(p *Periods) { p.DownAfter = 300 * time.Millisecond }, actions{ping: true}},
		{"info due", func(t *tick) { t.infoRefresh = at(89_999) }, nil, nil, actions{info: true}},
		{"info never received", func(t *tick) { t.infoRefresh = time.Time{} }, nil, nil, actions{info: true}},
		{"fast info", func(t *tick) { t.infoRefresh = at(98_999) }, nil, func(p *Periods) { p.FastInfo = true }, actions{info: true}},
		{"info not twice in flight", func(t *tick) { t.infoRefresh, t.infos = time.Time{}, 1 }, nil, nil, actions{}},
		{"no info to sentinels", func(t *tick) { t.kind, t.infoRefresh = KindSentinel, time.Time{} }, nil, nil, actions{}},
		{"hello due", func(t *tick) { t.lastPub = at(97_999) }, nil, nil, actions{hello: true}},
		{"no hello set", func(t *tick) { t.lastPub, t.hello = at(0), false }, nil, nil, actions{}},
		{"hello to sentinels", func(t *tick) { t.kind, t.pcOpen, t.lastPub = KindSentinel, false, at(0) },
			func(s *State) { s.PCUp = false }, nil, actions{hello: true}},
		{"connect both", func(t *tick) { t.ccOpen, t.pcOpen = false, false }, func(s *State) { s.CCUp, s.PCUp = false, false }, nil,
			actions{connectCC: true, connectPC: true}},
		{"reconnect at most once per ping period", func(t *tick) { t.ccOpen, t.lastReconn = false, at(99_001) },
			func(s *State) { s.CCUp = false }, nil, actions{}},
		{"sentinels get no pc", func(t *tick) { t.kind, t.pcOpen = KindSentinel, false }, func(s *State) { s.PCUp = false }, nil, actions{}},
		{"pc down: ping only", func(t *tick) {
			t.pcOpen, t.lastReconn, t.infoRefresh, t.lastPub = false, at(99_500), time.Time{}, at(0)
		},
			func(s *State) { s.PCUp, s.LastPong, s.LastPing = false, at(0), at(0) }, nil, actions{ping: true}},
		{"connecting cc: nothing", func(t *tick) { t.infoRefresh = time.Time{} }, func(s *State) { s.CCUp = false }, nil, actions{}},
		{"recycle stuck cc", nil, func(s *State) { s.ActPing, s.LastPong = at(84_999), at(84_999) }, nil, actions{closeCC: true}},
		{"stuck cc answered errors", nil, func(s *State) { s.ActPing, s.LastPong = at(84_999), at(85_000) }, nil, actions{ping: true}},
		{"young cc not recycled", nil, func(s *State) { s.ActPing, s.LastPong, s.CCConnTime = at(70_000), at(70_000), at(85_000) }, nil, actions{ping: true}},
		{"recycle silent pc", nil, func(s *State) { s.PCLastActivity = at(93_999) }, nil, actions{closePC: true}},
		{"young pc not recycled", nil, func(s *State) { s.PCLastActivity, s.PCConnTime = at(90_000), at(85_000) }, nil, actions{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tk, st, pp := base, up, p
			if tc.t != nil {
				tc.t(&tk)
			}
			if tc.st != nil {
				tc.st(&st)
			}
			if tc.p != nil {
				tc.p(&pp)
			}
			if got := plan(tk, st, pp); got != tc.want {
				t.Errorf("plan(%+v, %+v):\n got %+v\nwant %+v", tk, st, got, tc.want)
			}
		})
	}
}

func TestPingAvailable(t *testing.T) {
	tests := []struct {
		reply string
		want  bool
	}{
		{"PONG", true},
		{"LOADING Redis is loading the dataset in memory", true},
		{"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", true},
		{"BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.", false},
		{"NOAUTH Authentication required.", false},
		{"ERR unknown command 'PING'", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := pingAvailable(tc.reply); got != tc.want {
			t.Errorf("pingAvailable(%q): got %v, want %v", tc.reply, got, tc.want)
		}
	}
}

func TestPeriodsDefaults(t *testing.T) {
	got := Periods{Ping: 500 * time.Millisecond, FastInfo: true}.withDefaults()
	want := DefaultPeriods()
	want.Ping, want.FastInfo = 500*time.Millisecond, true
	if got != want {
		t.Errorf("withDefaults: got %+v, want %+v", got, want)
	}
}
