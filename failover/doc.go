// Package failover is the pure decision core of Vigil's Sentinel: for every
// master a sentinel monitors, when to start a failover, whether we lead it,
// which replica to promote, how to reconfigure the others, when to switch
// the master's address, and when to turn a returning old master or a
// misconfigured replica back into a replica. The rules are Redis 7.0's
// (sentinel.c), §5.5–5.8 of shared/reference/redis-7.0-behaviour.md; the
// election rules live in package election.
//
// Shape (etcd-raft): a Machine is fed with Step(now, input) — Observation
// (one instance: link, PING, SDOWN/ODOWN flags, INFO fields), VoteRequest and
// VoteReply (IS-MASTER-DOWN-BY-ADDR, from RESP or the gossip mesh), Hello,
// Sentinels (membership), Monitor/Remove/Reset, ManualFailover (SENTINEL
// FAILOVER), Tilt — and Tick(now) about every 100 ms. Everything it decides
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
// Differences from Redis 7.0, both for safety:
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
// Must not import: anything of Vigil but election; no net, os, goroutines,
// time.Now or global math/rand. Time is the now argument, randomness the
// Config's *rand.Rand.
//
// Concurrency: none. One goroutine owns a Machine (one per sentinel, for all
// its masters) and calls Step, Tick, Ready and Advance; other goroutines talk
// to that goroutine over channels.
package failover
