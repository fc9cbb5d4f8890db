// Package election holds the sentinel-wide epoch and the per-master votes of
// Vigil's Sentinel, with exactly the rules of Redis 7.0 (sentinel.c:
// sentinelVoteLeader, sentinelGetLeader, the IS-MASTER-DOWN-BY-ADDR reply and
// sentinelReceiveIsMasterDownReply).
//
// What it decides:
//   - current_epoch, global to the sentinel: incremented when a failover
//     starts (StartEpoch), adopted when a peer shows a larger one
//     (ObserveEpoch, HandleRequest), each change announced as +new-epoch;
//   - our vote per master (leader, leader_epoch): one vote per epoch, first
//     asker wins, announced as +vote-for-leader (HandleRequest);
//   - the content of the IS-MASTER-DOWN-BY-ADDR reply (MakeReply, a pure
//     function of the down flag and our vote);
//   - the peers' last replies (down flag and vote), forgotten after
//     5 × ask-period (RecordReply, ForgetStale);
//   - the leader of an epoch (Leader): voters = known sentinels + 1, the
//     winner needs ≥ voters/2+1 and ≥ quorum votes, our own vote going to the
//     most voted peer or to ourselves;
//   - the election timeout, min(election-timeout, failover-timeout) (Timeout).
//
// One deliberate difference from Redis 7.0 (see Leader): peers' votes are
// counted for the epoch of the failover being decided, not for whatever
// current_epoch has become meanwhile. Redis counts current_epoch, which lets
// a sentinel whose epoch was bumped by a rival's request win with votes cast
// in the rival's epoch and then promote under its own older epoch, so two
// sentinels can promote with the same config epoch.
//
// Events and the need to persist accumulate inside State and are taken with
// Drain; the failover package drains them after each call so the events keep
// Redis's order. Persisting (current epoch and votes) before any reply or
// command leaves is the caller's duty; failover.Ready states it on the type.
//
// Must not import: anything but the standard library. No sockets,
// goroutines, clocks (time comes in as a now argument) or global randomness.
//
// Concurrency: none. A State is owned by one goroutine (in Vigil, the one
// that owns the failover.Machine embedding it).
package election
