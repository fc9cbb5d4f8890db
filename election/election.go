package election

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// NoRunID is the run id sent and replied in place of a sentinel id: in a
// request it means "no vote asked", in a reply "no vote given".
const NoRunID = "*"

// Defaults of Redis 7.0's SENTINEL DEBUG timers used by this package.
const (
	// DefaultElectionTimeout is SENTINEL_ELECTION_TIMEOUT (election-timeout).
	DefaultElectionTimeout = 10 * time.Second
	// DefaultAskPeriod is SENTINEL_ASK_PERIOD (ask-period): a peer's reply
	// older than 5 × ask-period is forgotten.
	DefaultAskPeriod = time.Second
)

// Event names published by this package.
const (
	EventNewEpoch      = "+new-epoch"
	EventVoteForLeader = "+vote-for-leader"
)

// Vote is a sentinel's vote for one master: the run id of the sentinel it
// voted for and the epoch of the vote (Redis: leader, leader_epoch).
// Leader is "" when no vote is known (Redis does not persist the leader, only
// the epoch).
type Vote struct {
	Leader string
	Epoch  uint64
}

// Request is the question of SENTINEL IS-MASTER-DOWN-BY-ADDR: the asker's
// current epoch and its run id when it asks for a vote, or NoRunID.
type Request struct {
	Epoch uint64
	RunID string
}

// AsksVote reports whether the request asks for a vote (run id ≠ "*").
func (r Request) AsksVote() bool { return r.RunID != NoRunID }

// Reply is the answer of SENTINEL IS-MASTER-DOWN-BY-ADDR, a three-element
// array on the wire: :down, $leader, :leader-epoch.
type Reply struct {
	Down        bool
	Leader      string // run id voted for, or NoRunID
	LeaderEpoch uint64
}

// Event is one event to publish. Message is the text after the event name
// (e.g. "7" for +new-epoch, "<runid> 7" for +vote-for-leader); Master names
// the master it concerns.
type Event struct {
	Name    string
	Master  string
	Message string
}

// MakeReply returns the reply of IS-MASTER-DOWN-BY-ADDR given the down flag
// (the master is a monitored master in SDOWN and we are not in TILT),
// whether the request asked for a vote and our vote for that master after
// the request was handled. Redis replies "*" and 0 when no vote was asked,
// and our current vote, possibly from an older epoch, otherwise.
func MakeReply(down, asked bool, v Vote) Reply {
	r := Reply{Down: down, Leader: NoRunID}
	if !asked {
		return r
	}
	if v.Leader != "" {
		r.Leader = v.Leader
	}
	r.LeaderEpoch = v.Epoch
	return r
}

// Timeout is the effective election timeout: min(electionTimeout,
// failoverTimeout). A candidate not elected after it aborts with
// -failover-abort-not-elected.
func Timeout(electionTimeout, failoverTimeout time.Duration) time.Duration {
	return min(electionTimeout, failoverTimeout)
}

// Majority is the number of votes a leader needs among voters: voters/2+1.
func Majority(voters int) int { return voters/2 + 1 }

// peerState is what we know of one other sentinel for one master: the last
// IS-MASTER-DOWN-BY-ADDR reply (Redis: SRI_MASTER_DOWN, leader, leader_epoch,
// last_master_down_reply_time).
type peerState struct {
	down      bool
	vote      Vote
	replyTime time.Time // zero: never replied
}

// master is the election state of one master.
type master struct {
	vote  Vote
	peers map[string]*peerState
}

// State is the sentinel-wide election state: current epoch, our vote per
// master, and the peers' replies per master.
type State struct {
	myID    string
	epoch   uint64
	masters map[string]*master
	events  []Event
	dirty   bool
}

// New returns the election state of the sentinel myID, resuming from a
// persisted current epoch.
func New(myID string, currentEpoch uint64) *State {
	return &State{myID: myID, epoch: currentEpoch, masters: map[string]*master{}}
}

// MyID returns our sentinel run id.
func (s *State) MyID() string { return s.myID }

// CurrentEpoch returns current_epoch.
func (s *State) CurrentEpoch() uint64 { return s.epoch }

// AddMaster starts tracking a master with our persisted vote (leader-epoch).
// Adding a known master keeps its state.
func (s *State) AddMaster(name string, v Vote) {
	if _, ok := s.masters[name]; ok {
		return
	}
	s.masters[name] = &master{vote: v, peers: map[string]*peerState{}}
}

// RemoveMaster forgets a master.
func (s *State) RemoveMaster(name string) { delete(s.masters, name) }

// ResetMaster forgets our vote and the peers' replies for a master, as
// Redis's sentinelResetMaster does (leader cleared; leader_epoch kept, so a
// second vote in an epoch we already voted in stays impossible).
func (s *State) ResetMaster(name string) {
	m := s.masters[name]
	if m == nil {
		return
	}
	m.vote.Leader = ""
	for _, p := range m.peers {
		*p = peerState{}
	}
}

// Vote returns our vote for a master.
func (s *State) Vote(name string) Vote {
	if m := s.masters[name]; m != nil {
		return m.vote
	}
	return Vote{}
}

// Drain returns the events produced since the last Drain, and whether the
// current epoch or a vote changed and must be persisted (fsync) before any
// reply or command that depends on it is sent.
func (s *State) Drain() (events []Event, persist bool) {
	events, persist = s.events, s.dirty
	s.events, s.dirty = nil, false
	return events, persist
}

func (s *State) emit(name, masterName, msg string) {
	s.events = append(s.events, Event{Name: name, Master: masterName, Message: msg})
}

// ObserveEpoch adopts a larger current epoch seen from a peer (hello message
// or vote request): current_epoch = epoch, persist, +new-epoch. It reports
// whether the epoch changed.
func (s *State) ObserveEpoch(masterName string, epoch uint64) bool {
	if epoch <= s.epoch {
		return false
	}
	s.epoch = epoch
	s.dirty = true
	s.emit(EventNewEpoch, masterName, strconv.FormatUint(epoch, 10))
	return true
}

// StartEpoch increments current_epoch for a failover that starts on a master
// and returns it (the failover epoch). It emits +new-epoch.
func (s *State) StartEpoch(masterName string) uint64 {
	s.epoch++
	s.dirty = true
	s.emit(EventNewEpoch, masterName, strconv.FormatUint(s.epoch, 10))
	return s.epoch
}

// HandleRequest applies the vote rule of Redis 7.0 (sentinelVoteLeader) to a
// vote for runID in reqEpoch on a master: adopt a larger epoch; then vote iff
// our last vote for this master is from an older epoch and current_epoch ≤
// reqEpoch. It reports whether a vote was given now, and returns our vote
// after the request (the reply carries it even when it is older).
// Unknown masters get no vote.
func (s *State) HandleRequest(masterName string, reqEpoch uint64, runID string) (Vote, bool) {
	m := s.masters[masterName]
	if m == nil {
		return Vote{}, false
	}
	s.ObserveEpoch(masterName, reqEpoch)
	if m.vote.Epoch < reqEpoch && s.epoch <= reqEpoch {
		m.vote = Vote{Leader: runID, Epoch: s.epoch}
		s.dirty = true
		s.emit(EventVoteForLeader, masterName, runID+" "+strconv.FormatUint(s.epoch, 10))
		return m.vote, true
	}
	return m.vote, false
}

// SetPeers sets the other sentinels known for a master (the voters are these
// plus us). Replies of sentinels no longer listed are forgotten.
func (s *State) SetPeers(masterName string, ids []string) {
	m := s.masters[masterName]
	if m == nil {
		return
	}
	keep := make(map[string]*peerState, len(ids))
	for _, id := range ids {
		if id == s.myID {
			continue
		}
		if p := m.peers[id]; p != nil {
			keep[id] = p
		} else {
			keep[id] = &peerState{}
		}
	}
	m.peers = keep
}

// Peers returns the other sentinels known for a master, sorted.
func (s *State) Peers(masterName string) []string {
	m := s.masters[masterName]
	if m == nil {
		return nil
	}
	ids := make([]string, 0, len(m.peers))
	for id := range m.peers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// RecordReply records a peer's IS-MASTER-DOWN-BY-ADDR reply received at now
// (sentinelReceiveIsMasterDownReply): the down flag always, the vote only
// when the leader is not "*". Replies from unknown peers are ignored.
func (s *State) RecordReply(now time.Time, masterName, peer string, r Reply) {
	m := s.masters[masterName]
	if m == nil {
		return
	}
	p := m.peers[peer]
	if p == nil {
		return
	}
	p.replyTime = now
	p.down = r.Down
	if r.Leader != NoRunID {
		p.vote = Vote{Leader: r.Leader, Epoch: r.LeaderEpoch}
	}
}

// LastReply returns when a peer last replied about a master (zero: never).
func (s *State) LastReply(masterName, peer string) time.Time {
	if m := s.masters[masterName]; m != nil {
		if p := m.peers[peer]; p != nil {
			return p.replyTime
		}
	}
	return time.Time{}
}

// ForgetStale clears the down flag and vote of every peer whose last reply is
// older than maxAge (5 × ask-period in Redis).
func (s *State) ForgetStale(now time.Time, masterName string, maxAge time.Duration) {
	m := s.masters[masterName]
	if m == nil {
		return
	}
	for _, p := range m.peers {
		if now.Sub(p.replyTime) > maxAge {
			p.down = false
			p.vote.Leader = ""
		}
	}
}

// PeersDown returns how many peers last said the master is down; ODOWN is
// SDOWN and 1 + PeersDown ≥ quorum.
func (s *State) PeersDown(masterName string) int {
	m := s.masters[masterName]
	if m == nil {
		return 0
	}
	n := 0
	for _, p := range m.peers {
		if p.down {
			n++
		}
	}
	return n
}

// PeerDown reports the down flag of a peer's last reply about a master.
func (s *State) PeerDown(masterName, peer string) bool {
	if m := s.masters[masterName]; m != nil {
		if p := m.peers[peer]; p != nil {
			return p.down
		}
	}
	return false
}

// PeerVote returns the last vote a peer replied for a master.
func (s *State) PeerVote(masterName, peer string) Vote {
	if m := s.masters[masterName]; m != nil {
		if p := m.peers[peer]; p != nil {
			return p.vote
		}
	}
	return Vote{}
}

// Leader returns the leader of epoch for a master, or "" (Redis:
// sentinelGetLeader). Peers' votes for epoch are counted; the most voted run
// id is the winner (ties: smallest run id); we then vote, with the rule of
// HandleRequest, for that winner or, with no votes at all, for ourselves;
// our vote counts if it is a vote of epoch. The winner needs at least
// Majority(peers+1) and at least quorum votes.
//
// Difference from Redis 7.0: Redis counts peers' votes of current_epoch,
// which may have moved past epoch; see the package comment.
func (s *State) Leader(masterName string, epoch uint64, quorum int) string {
	m := s.masters[masterName]
	if m == nil {
		return ""
	}
	counts := map[string]int{}
	for _, p := range m.peers {
		if p.vote.Leader != "" && p.vote.Epoch == epoch {
			counts[p.vote.Leader]++
		}
	}
	winner, best := mostVoted(counts)
	candidate := winner
	if candidate == "" {
		candidate = s.myID
	}
	v, _ := s.HandleRequest(masterName, epoch, candidate)
	if v.Leader != "" && v.Epoch == epoch {
		counts[v.Leader]++
		if counts[v.Leader] > best {
			winner, best = v.Leader, counts[v.Leader]
		}
	}
	if winner == "" || best < Majority(len(m.peers)+1) || best < quorum {
		return ""
	}
	return winner
}

// mostVoted returns the run id with most votes, the smallest on ties.
func mostVoted(counts map[string]int) (string, int) {
	ids := make([]string, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	winner, best := "", 0
	for _, id := range ids {
		if counts[id] > best {
			winner, best = id, counts[id]
		}
	}
	return winner, best
}

// IsMe reports whether runID is our id (case-insensitive, as Redis's
// strcasecmp).
func (s *State) IsMe(runID string) bool { return strings.EqualFold(runID, s.myID) }
