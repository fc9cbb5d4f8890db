// Package mesh is the gossip mesh between Vigil sentinels, built on
// hashicorp/memberlist the way hashicorp/serf is: an application protocol of typed,
// versioned messages on top of memberlist's membership and failure detection.
//
// It moves messages and knows nothing of the sentinel core:
//   - Member identity: the memberlist node name is the sentinel myid (40 hex); the node
//     meta carries the announce IP, the RESP port and the current epoch (Meta, Member).
//   - Opinion (an instance is subjectively down or not, with a time): gossiped to every
//     member with Broadcast. memberlist does not relay user broadcasts, so every receiver
//     re-gossips a message it has not seen; for each (origin, master, instance) only the
//     newest by the origin's Lamport clock is delivered and relayed, which also
//     deduplicates.
//   - MasterConfig (master address and config epoch): gossiped the same way; only a
//     config with a newer epoch than the known one is delivered. Configs and opinions are
//     also exchanged in memberlist's push/pull (on join and periodically), so a node
//     that was partitioned or restarted catches up.
//   - VoteRequest and VoteReply: sent directly to one member with Send (memberlist
//     SendReliable, one TCP connection per message).
//   - MemberEvent: join, update, graceful leave, failure. memberlist cannot tell a
//     graceful leave from a crash, so Leave first sends a leave intent to every member
//     (directly and by gossip), serf-style.
//
// Wire format (codec.go): a one-byte kind, a version byte, the origin's myid and its
// Lamport time, then the body. Decoding never panics; unknown versions and malformed
// messages are dropped and counted. Encryption: Config.Secret (AES-GCM; see its
// comment for how a gossip-secret string becomes a key); a node with another key cannot
// join and the refusal is logged on both sides.
//
// Owning a mesh (owner.go, port.go): whoever owns one (a sentinel today, a node that
// shares it between its components later) builds its Config with AnnounceConfig (an
// unspecified bind advertises the announce IP), takes the default gossip port from
// DefaultPort (RESP port + PortOffset, the one place of that rule), joins seeds with
// JoinInBackground, tests membership with IsMember, announces AdvertisedAddr, and
// stops with Close (Leave, then Shutdown). A component handed a mesh it does not own
// never closes it.
//
// Duplicate names: memberlist accepts a join from a node whose name is taken and
// neither side sees the other. The merge delegate refuses such a join on both sides,
// so Join returns ErrDuplicateName.
//
// What it must not import: anything of Vigil's (sentinel, election, failover, server,
// config). It depends on memberlist and zerolog only.
//
// Concurrency contract: every Mesh method is safe for concurrent use. memberlist calls
// the delegates (delegate.go, events.go, merge.go, conflict.go) from its own
// goroutines; they copy the bytes they keep, update the mesh's table under its mutex
// and hand messages to the Incoming channel without blocking: when the channel is full
// the message is dropped and counted (Mesh.Dropped), so the consumer must drain it
// promptly. Incoming is never closed; stop reading after Shutdown.
//
// Members, Send and the direct sends use the mesh's own copy of the member list, made in
// the event callbacks (memberlist's Members returns pointers into state it rewrites, a
// data race under -race). Lock order: memberlist's node lock (held around the event
// callbacks), then events.mu, then table.mu; Mesh.metaMu and Mesh.lifeMu are taken alone.
// No mesh lock is held while calling memberlist, except lifeMu in Leave and Shutdown.
//
// Shutdown order: Leave(timeout) then Shutdown(). Shutdown alone looks like a crash to
// the others. Join is not retried: after a partition heals memberlist usually merges
// on its own (gossip to dead nodes, periodic push/pull), and a caller that wants
// certainty calls Join again with its seeds.
package mesh
