package election

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

func TestHandleRequest(t *testing.T) {
	tests := []struct {
		name       string
		epoch      uint64 // our current epoch before
		vote       Vote   // our vote before
		reqEpoch   uint64
		runID      string
		wantVote   Vote
		wantVoted  bool
		wantEpoch  uint64
		wantEvents []Event
	}{
		{"first asker in a new epoch wins", 3, Vote{}, 4, "aaa", Vote{"aaa", 4}, true, 4,
			[]Event{{EventNewEpoch, "m", "4"}, {EventVoteForLeader, "m", "aaa 4"}}},
		{"second asker in the same epoch gets the first vote", 4, Vote{"aaa", 4}, 4, "bbb", Vote{"aaa", 4}, false, 4, nil},
		{"request of our own epoch, not voted yet", 4, Vote{"x", 3}, 4, "bbb", Vote{"bbb", 4}, true, 4,
			[]Event{{EventVoteForLeader, "m", "bbb 4"}}},
		{"older epoch: no vote, reply carries our vote", 5, Vote{"aaa", 5}, 4, "bbb", Vote{"aaa", 5}, false, 5, nil},
		{"older epoch than current, not voted: no vote", 6, Vote{"aaa", 2}, 5, "bbb", Vote{"aaa", 2}, false, 6, nil},
		{"larger epoch adopted even when a vote already exists", 2, Vote{"aaa", 9}, 7, "bbb", Vote{"aaa", 9}, false, 7,
			[]Event{{EventNewEpoch, "m", "7"}}},
		{"vote for ourselves", 0, Vote{}, 1, "me", Vote{"me", 1}, true, 1,
			[]Event{{EventNewEpoch, "m", "1"}, {EventVoteForLeader, "m", "me 1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New("me", tt.epoch)
			s.AddMaster("m", tt.vote)
			v, voted := s.HandleRequest("m", tt.reqEpoch, tt.runID)
			evs, persist := s.Drain()
			if v != tt.wantVote || voted != tt.wantVoted || s.CurrentEpoch() != tt.wantEpoch {
				t.Fatalf("HandleRequest(%d, %q) = %+v, %v, epoch %d; want %+v, %v, epoch %d",
					tt.reqEpoch, tt.runID, v, voted, s.CurrentEpoch(), tt.wantVote, tt.wantVoted, tt.wantEpoch)
			}
			if !reflect.DeepEqual(evs, tt.wantEvents) {
				t.Errorf("events = %v, want %v", evs, tt.wantEvents)
			}
			if persist != (len(tt.wantEvents) > 0) {
				t.Errorf("persist = %v, want %v", persist, len(tt.wantEvents) > 0)
			}
		})
	}
}

func TestHandleRequestUnknownMaster(t *testing.T) {
	s := New("me", 1)
	if v, voted := s.HandleRequest("nope", 5, "x"); voted || v != (Vote{}) || s.CurrentEpoch() != 1 {
		t.Fatalf("got %+v %v epoch %d, want no vote and epoch 1", v, voted, s.CurrentEpoch())
	}
}

func TestMakeReply(t *testing.T) {
	tests := []struct {
		name  string
		down  bool
		asked bool
		vote  Vote
		want  Reply
	}{
		{"not asked: * and 0 even with a vote", true, false, Vote{"a", 3}, Reply{true, "*", 0}},
		{"asked, voted", false, true, Vote{"a", 3}, Reply{false, "a", 3}},
		{"asked, never voted", true, true, Vote{}, Reply{true, "*", 0}},
		{"asked, leader unknown after restart", true, true, Vote{"", 7}, Reply{true, "*", 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MakeReply(tt.down, tt.asked, tt.vote); got != tt.want {
				t.Errorf("MakeReply(%v, %v, %+v) = %+v, want %+v", tt.down, tt.asked, tt.vote, got, tt.want)
			}
		})
	}
}

func TestTimeoutAndMajority(t *testing.T) {
	if got := Timeout(10*time.Second, 3*time.Second); got != 3*time.Second {
		t.Errorf("Timeout(10s, 3s) = %v, want 3s", got)
	}
	if got := Timeout(10*time.Second, 180*time.Second); got != 10*time.Second {
		t.Errorf("Timeout(10s, 180s) = %v, want 10s", got)
	}
	for voters, want := range map[int]int{1: 1, 2: 2, 3: 2, 4: 3, 5: 3} {
		if got := Majority(voters); got != want {
			t.Errorf("Majority(%d) = %d, want %d", voters, got, want)
		}
	}
}

func TestLeader(t *testing.T) {
	type peer struct {
		id   string
		vote Vote
	}
	tests := []struct {
		name   string
		peers  []peer
		myVote Vote
		epoch  uint64
		quorum int
		want   string
		wantMy Vote
	}{
		{"alone with quorum 1: ourselves", nil, Vote{}, 1, 1, "me", Vote{"me", 1}},
		{"3 sentinels, one peer votes us", []peer{{"p1", Vote{"me", 1}}, {"p2", Vote{}}}, Vote{}, 1, 2, "me", Vote{"me", 1}},
		{"3 sentinels, nobody voted: our vote is not a majority", []peer{{"p1", Vote{}}, {"p2", Vote{}}}, Vote{}, 1, 1, "", Vote{"me", 1}},
		{"we follow the most voted peer", []peer{{"p1", Vote{"p1", 1}}, {"p2", Vote{"p1", 1}}}, Vote{}, 1, 2, "p1", Vote{"p1", 1}},
		{"majority but below quorum", []peer{{"p1", Vote{"me", 1}}, {"p2", Vote{}}}, Vote{}, 1, 3, "", Vote{"me", 1}},
		{"votes of another epoch do not count", []peer{{"p1", Vote{"me", 2}}, {"p2", Vote{"me", 2}}}, Vote{}, 1, 1, "", Vote{"me", 1}},
		{"our vote already given to a rival in this epoch", []peer{{"p1", Vote{"me", 1}}, {"p2", Vote{}}}, Vote{"p2", 1}, 1, 2, "", Vote{"p2", 1}},
		{"5, tie 2-2 between peers: smallest run id gets our vote", []peer{{"p1", Vote{"p1", 1}}, {"p2", Vote{"p3", 1}}, {"p3", Vote{"p3", 1}}, {"p4", Vote{"p1", 1}}}, Vote{}, 1, 1, "p1", Vote{"p1", 1}},
		{"5, our earlier vote splits 2-2-1: none", []peer{{"p1", Vote{"p1", 1}}, {"p2", Vote{"p3", 1}}, {"p3", Vote{"p3", 1}}, {"p4", Vote{"p1", 1}}}, Vote{"me", 1}, 1, 1, "", Vote{"me", 1}},
		{"5: 2 peers + us = 3", []peer{{"p1", Vote{"me", 1}}, {"p2", Vote{"me", 1}}, {"p3", Vote{"p3", 1}}, {"p4", Vote{}}}, Vote{}, 1, 3, "me", Vote{"me", 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New("me", tt.epoch)
			s.AddMaster("m", tt.myVote)
			var ids []string
			for _, p := range tt.peers {
				ids = append(ids, p.id)
			}
			s.SetPeers("m", ids)
			now := time.Unix(100, 0)
			for _, p := range tt.peers {
				if p.vote.Leader != "" {
					s.RecordReply(now, "m", p.id, Reply{Down: true, Leader: p.vote.Leader, LeaderEpoch: p.vote.Epoch})
				}
			}
			if got := s.Leader("m", tt.epoch, tt.quorum); got != tt.want {
				t.Errorf("Leader(epoch %d, quorum %d) = %q, want %q", tt.epoch, tt.quorum, got, tt.want)
			}
			if got := s.Vote("m"); got != tt.wantMy {
				t.Errorf("our vote = %+v, want %+v", got, tt.wantMy)
			}
		})
	}
}

// TestLeaderCountsTheFailoverEpoch is the deliberate difference from Redis:
// our epoch was bumped to 6 by a rival's request while we wait for votes of
// epoch 5; peers then voted for us in epoch 6 (Redis would count them and let
// us promote under epoch 5, which another sentinel may have won).
func TestLeaderCountsTheFailoverEpoch(t *testing.T) {
	s := New("me", 5)
	s.AddMaster("m", Vote{"me", 5})
	s.SetPeers("m", []string{"p1", "p2"})
	s.HandleRequest("m", 6, "rival")
	now := time.Unix(1, 0)
	s.RecordReply(now, "m", "p1", Reply{true, "me", 6})
	s.RecordReply(now, "m", "p2", Reply{true, "me", 6})
	if got := s.Leader("m", 5, 2); got != "" {
		t.Fatalf("Leader(epoch 5) with votes of epoch 6 = %q, want none", got)
	}
}

func TestRecordReplyAndForgetStale(t *testing.T) {
	s := New("me", 1)
	s.AddMaster("m", Vote{})
	s.SetPeers("m", []string{"p1", "p2", "me"})
	t0 := time.Unix(1000, 0)
	s.RecordReply(t0, "m", "p1", Reply{true, "x", 1})
	s.RecordReply(t0, "m", "p2", Reply{true, "*", 0})
	s.RecordReply(t0, "m", "stranger", Reply{true, "x", 1})
	if got := s.PeersDown("m"); got != 2 {
		t.Fatalf("PeersDown = %d, want 2", got)
	}
	if got := s.PeerVote("m", "p2"); got != (Vote{}) {
		t.Errorf("a * reply recorded a vote: %+v", got)
	}
	s.RecordReply(t0.Add(time.Second), "m", "p2", Reply{false, "*", 0})
	if got, want := s.PeerVote("m", "p1"), (Vote{"x", 1}); got != want {
		t.Errorf("PeerVote(p1) = %+v, want %+v", got, want)
	}
	s.ForgetStale(t0.Add(5*time.Second), "m", 5*time.Second)
	if s.PeerVote("m", "p1").Leader == "" { // Redis forgets when elapsed > 5 × ask-period
		t.Errorf("reply exactly 5 s old forgotten")
	}
	s.ForgetStale(t0.Add(5*time.Second+time.Millisecond), "m", 5*time.Second)
	if got := s.PeerVote("m", "p1"); got.Leader != "" || s.PeersDown("m") != 0 {
		t.Errorf("stale reply kept: vote %+v, down %d", got, s.PeersDown("m"))
	}
	if got := s.Peers("m"); !reflect.DeepEqual(got, []string{"p1", "p2"}) {
		t.Errorf("Peers = %v, want [p1 p2] (ourselves excluded)", got)
	}
}

func TestObserveAndStartEpoch(t *testing.T) {
	s := New("me", 3)
	if s.ObserveEpoch("m", 3) || s.ObserveEpoch("m", 2) {
		t.Fatal("ObserveEpoch adopted an epoch not larger than ours")
	}
	if !s.ObserveEpoch("m", 8) || s.CurrentEpoch() != 8 {
		t.Fatalf("ObserveEpoch(8): epoch %d, want 8", s.CurrentEpoch())
	}
	if e := s.StartEpoch("m"); e != 9 {
		t.Fatalf("StartEpoch = %d, want 9", e)
	}
	evs, persist := s.Drain()
	want := []Event{{EventNewEpoch, "m", "8"}, {EventNewEpoch, "m", "9"}}
	if !persist || !reflect.DeepEqual(evs, want) {
		t.Errorf("Drain = %v, %v; want %v, true", evs, persist, want)
	}
}

// TestVoteProperty steps random requests into one State and checks it
// against a naive reference: the epoch never decreases, at most one vote is
// given per epoch, a vote is always for the epoch asked, and a reply never
// carries a vote newer than the state.
func TestVoteProperty(t *testing.T) {
	for seed := uint64(0); seed < 200; seed++ {
		r := rand.New(rand.NewPCG(seed, 0))
		s := New("me", 0)
		s.AddMaster("m", Vote{})
		votes := map[uint64]string{}
		var last uint64
		for i := 0; i < 200; i++ {
			req := uint64(r.IntN(20))
			id := []string{"a", "b", "c", "me"}[r.IntN(4)]
			v, voted := s.HandleRequest("m", req, id)
			if s.CurrentEpoch() < last {
				t.Fatalf("seed %d: epoch went back %d -> %d", seed, last, s.CurrentEpoch())
			}
			last = s.CurrentEpoch()
			if voted {
				if prev, ok := votes[v.Epoch]; ok {
					t.Fatalf("seed %d: second vote in epoch %d: %s then %s", seed, v.Epoch, prev, v.Leader)
				}
				if v.Epoch != req || v.Leader != id {
					t.Fatalf("seed %d: vote %+v for request (%d, %s)", seed, v, req, id)
				}
				votes[v.Epoch] = v.Leader
			}
			if v != s.Vote("m") {
				t.Fatalf("seed %d: returned vote %+v differs from state %+v", seed, v, s.Vote("m"))
			}
		}
	}
}
