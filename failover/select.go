package failover

import (
	"sort"
	"strings"
	"time"
)

// Candidate is one replica as seen by the sentinel, the input of Select.
type Candidate struct {
	Addr         Addr
	RunID        string // "" when INFO never gave one
	Priority     int    // slave_priority
	Offset       int64  // slave_repl_offset
	SDown, ODown bool
	Disconnected bool
	LastOKPing   time.Time // last valid PING reply
	InfoTime     time.Time // last INFO reply; zero if never
	// MasterLinkDownTime is master_link_down_since_seconds × 1000.
	MasterLinkDownTime time.Duration
	// Synced is Vigil's addition: the replica's last INFO as a replica showed
	// its link up, or down after having been up since its REPLICAOF
	// (master_link_down_since_seconds ≠ -1).
	Synced bool
}

// SelectParams is the context of a selection.
type SelectParams struct {
	Now              time.Time
	MasterSDown      bool
	MasterSDownSince time.Time
	DownAfter        time.Duration // the master's down-after-milliseconds
	PingPeriod       time.Duration
	InfoPeriod       time.Duration
}

// Exclusion is why Select refuses a candidate.
type Exclusion int

// Reasons, in the order Select checks them (Redis's sentinelSelectSlave, then
// Vigil's sync rule).
const (
	Eligible Exclusion = iota
	ExcludedDown
	ExcludedDisconnected
	ExcludedStalePing
	ExcludedPriorityZero
	ExcludedStaleInfo
	ExcludedLinkDownTooLong
	ExcludedNeverSynced
)

// String names the reason.
func (e Exclusion) String() string {
	return [...]string{"eligible", "sdown-or-odown", "disconnected", "stale-ping",
		"priority-zero", "stale-info", "link-down-too-long", "never-synced"}[e]
}

// Check returns why c cannot be promoted, or Eligible:
//   - SDOWN or ODOWN; link disconnected;
//   - last valid PING reply older than 5 × ping-period;
//   - slave_priority 0;
//   - INFO older than 5 × ping-period if the master is SDOWN, else
//     3 × info-period;
//   - master link down longer than (now − master SDOWN since, if SDOWN) +
//     10 × down-after;
//   - (Vigil, not Redis) its link to its master never came up since it was
//     attached (Synced false): promoting it would discard acknowledged
//     writes. Offset 0 with the link up is an in-sync empty replica (a
//     fresh group before the master's first replication PING): eligible.
func Check(p SelectParams, c Candidate) Exclusion {
	switch {
	case c.SDown || c.ODown:
		return ExcludedDown
	case c.Disconnected:
		return ExcludedDisconnected
	case p.Now.Sub(c.LastOKPing) > 5*p.PingPeriod:
		return ExcludedStalePing
	case c.Priority == 0:
		return ExcludedPriorityZero
	case p.Now.Sub(c.InfoTime) > infoValidity(p):
		return ExcludedStaleInfo
	case c.MasterLinkDownTime > maxMasterDownTime(p):
		return ExcludedLinkDownTooLong
	case !c.Synced:
		return ExcludedNeverSynced
	}
	return Eligible
}

func infoValidity(p SelectParams) time.Duration {
	if p.MasterSDown {
		return 5 * p.PingPeriod
	}
	return 3 * p.InfoPeriod
}

func maxMasterDownTime(p SelectParams) time.Duration {
	var d time.Duration
	if p.MasterSDown {
		d = p.Now.Sub(p.MasterSDownSince)
	}
	return d + 10*p.DownAfter
}

// Less orders candidates for promotion as Redis's compareSlavesForPromotion:
// priority ascending, then offset descending, then run id ascending
// (case-insensitive), a missing run id after any other. Full ties, which
// Redis leaves to qsort, are broken by address for determinism.
func Less(a, b Candidate) bool {
	if a.Priority != b.Priority {
		return a.Priority < b.Priority
	}
	if a.Offset != b.Offset {
		return a.Offset > b.Offset
	}
	if (a.RunID == "") != (b.RunID == "") {
		return b.RunID == ""
	}
	if c := strings.Compare(strings.ToLower(a.RunID), strings.ToLower(b.RunID)); c != 0 {
		return c < 0
	}
	return a.Addr.String() < b.Addr.String()
}

// Fencing is a master's fenced mode: On, and how many replicas must
// acknowledge a write before it is answered (docs/safety.md).
type Fencing struct {
	On       bool
	Replicas int
}

// Fenced is SelectFenced's verdict.
type Fenced int

// Verdicts of SelectFenced.
const (
	FencedPromote Fenced = iota // promote the candidate returned
	FencedWait                  // too few fresh offsets yet: ask again later
	FencedNone                  // no candidate can hold every acknowledged write
)

// String names the verdict.
func (v Fenced) String() string { return [...]string{"promote", "wait", "none"}[v] }

// SelectFenced chooses the replica to promote from a master in fenced mode,
// so that promotion never goes backwards: every acknowledged write was
// acknowledged by f.Replicas of the known replicas, so once the offsets of
// known − f.Replicas + 1 reachable replicas are fresh (INFO after since, when
// the master can no longer be writing: select_slave starts after the
// election, which a majority only grants once the master's lease is over),
// the highest of them covers every acknowledged write (the sets intersect).
// The candidate must have that highest offset and pass Check; ties go by
// Less. With fewer fresh offsets the verdict is FencedWait; when the highest
// offset belongs to no eligible candidate (priority 0, never synced...) it is
// FencedNone: promoting a lower offset would lose acknowledged writes.
func SelectFenced(p SelectParams, f Fencing, known int, since time.Time, cands []Candidate) (Candidate, Fenced) {
	need := known - max(f.Replicas, 1) + 1
	fresh := 0
	var maxOff int64 = -1
	for _, c := range cands {
		if c.SDown || c.ODown || c.Disconnected || !c.InfoTime.After(since) {
			continue
		}
		fresh++
		maxOff = max(maxOff, c.Offset)
	}
	if fresh == 0 || fresh < need {
		return Candidate{}, FencedWait
	}
	var best Candidate
	found := false
	for _, c := range cands {
		if c.Offset != maxOff || !c.InfoTime.After(since) || Check(p, c) != Eligible {
			continue
		}
		if !found || Less(c, best) {
			best, found = c, true
		}
	}
	if !found {
		return Candidate{}, FencedNone
	}
	return best, FencedPromote
}

// Select returns the replica to promote: the first by Less among the
// candidates Check accepts. ok is false when none qualifies.
func Select(p SelectParams, cands []Candidate) (best Candidate, ok bool) {
	good := make([]Candidate, 0, len(cands))
	for _, c := range cands {
		if Check(p, c) == Eligible {
			good = append(good, c)
		}
	}
	if len(good) == 0 {
		return Candidate{}, false
	}
	sort.Slice(good, func(i, j int) bool { return Less(good[i], good[j]) })
	return good[0], true
}
