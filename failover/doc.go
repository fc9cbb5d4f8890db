// Package failover is the pure decision core of Vigil's Sentinel: every
// decision about an instance is taken here. For every master a sentinel
// monitors: whether it, its replicas and its peers are subjectively down
// (SDOWN), whether enough sentinels agree that the master is down (ODOWN,
// from IS-MASTER-DOWN-BY-ADDR replies and fresh gossiped opinions), whether
// the clock jumped (TILT), when to start a failover, whether we lead it,
// which replica to promote, how to reconfigure the others, when to switch
// the master's address, and when to turn a returning old master or a
// misconfigured replica back into a replica. The rules are Redis 7.0's
// (sentinel.c), §5.5–5.8 of shared/reference/redis-7.0-behaviour.md; the
// election rules live in package election.
//
// Shape (etcd-raft): a Machine is fed with Step(now, input) — Observation
// (one instance: link state, pending PING, PONG, INFO fields), VoteRequest
// and VoteReply (IS-MASTER-DOWN-BY-ADDR), Opinion (a peer's SDOWN opinion
// gossiped on the mesh), Hello, Sentinels (membership and our links to the
// peers), Monitor/Remove/Reset, ManualFailover (SENTINEL FAILOVER),
// SetTimers — and Tick(now) about every 100 ms, which detects TILT and
// decides SDOWN and ODOWN before it runs the failovers (down.go). Everything it decides
// comes out of Ready() as plain data: the HardState to persist first, then
// Messages to other sentinels and Commands to instances (promote with SLAVEOF
// NO ONE, or SLAVEOF host port; the shell wraps them in Redis's MULTI …
// EXEC transaction), then Events (Redis's names and `%@` descriptions) and
// Switches (new master address, replicas to watch). Advance() acknowledges
// the batch.
//
// Ordering contract (the shell enforces it): persist HardState (current
// epoch, votes, config epochs, addresses) with fsync before sending any
// Message or Command of the same batch.
//
// Differences from Redis 7.0:
//   - SDOWN: when the link is disconnected, the larger of now − pending PING
//     and now − last available reply is used (Redis takes the first when a
//     PING is pending): a dead peer is noticed only when a PING is written,
//     which would restart the pending-PING clock;
//   - fresh SDOWN opinions from the gossip mesh (within 5 × ask-period, about
//     the master's current address, one per peer) count toward ODOWN with the
//     IS-MASTER-DOWN-BY-ADDR replies; votes stay on IS-MASTER-DOWN-BY-ADDR;
//   - a replica that never completed a sync with its master
//     (master_link_status never up since attached, i.e. link down with
//     master_link_down_since_seconds -1) is not promoted; offset 0 with the
//     link up is an in-sync empty replica and is; with no other candidate the failover aborts with
//     -failover-abort-no-good-slave (Check, ExcludedNeverSynced);
//   - votes are counted for the failover's own epoch (see package election).
//   - after SENTINEL REMOVE, a later monitor of the same name ignores every
//     configuration with an epoch up to the highest known at the removal
//     (Machine.removed): gossip and its retransmissions keep the removed
//     master's configuration longer than Redis's hellos do.
//
// The last two are for safety.
//
// Must not import: anything of Vigil but election; no net, os, goroutines,
// time.Now or global math/rand. Time is the now argument, randomness the
// Config's *rand.Rand.
//
// Concurrency: none. One goroutine owns a Machine (one per sentinel, for all
// its masters) and calls Step, Tick, Ready and Advance; other goroutines talk
// to that goroutine over channels.
package failover
