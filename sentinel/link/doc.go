// Package link is the sentinel's connections to the instances it watches: masters,
// replicas and other sentinels' RESP ports. It does I/O and timing and decides nothing:
// facts go to the owner as Observation values on a channel, and it runs the commands
// it is told to run.
//
// Per instance a Link keeps, like Redis Sentinel's instanceLink:
//   - a command connection (cc): AUTH [user] pass when configured,
//     CLIENT SETNAME sentinel-<first 8 of myid>-cmd, PING; then PING, INFO (masters and
//     replicas) and PUBLISH __sentinel__:hello on the periods the owner sets (Periods);
//   - for masters and replicas a pub/sub connection (pc): AUTH, CLIENT SETNAME
//     sentinel-<8>-pubsub, SUBSCRIBE __sentinel__:hello; hellos of other sentinels are
//     reported as EventHello.
//
// Every command name goes through the master's rename-command table, except the
// SUBSCRIBE that go-redis writes itself. A scheduler goroutine per link ticks every
// 100 ms and applies Redis's rules (plan in schedule.go): reconnect at most once per
// ping period, PING when now−last reply > min(ping-period, down-after) and now−last
// PING > half of it, INFO every info-period (1 s when the owner sets FastInfo),
// hello every publish-period, and close a cc whose PING is stuck for down-after/2 or a
// pc silent for 3 publish periods (both only when older than 15 s). Commands run on
// their own goroutines, so a dead or hung instance never blocks the scheduler; at
// most one periodic command of each kind is in flight. State carries the timestamps
// the owner needs for SDOWN (ActPing, LastAvail, ...).
//
// The pure parts are ParseInfo (the INFO lines Sentinel reads, by Redis's rules), ParseHello,
// FormatHello, FormatGossip and ParseGossip.
//
// Connections use go-redis/v9 with one connection per client, RESP2, no retries, no
// pipeline pool and a short timeout (Config.Timeout). A transport error ends the
// connection; the scheduler opens a new one.
//
// Imports: the standard library, go-redis, zerolog, and the pure failover package for
// the types the core and the links share (failover.Info is what ParseInfo returns;
// Kind, Role and Addr are failover's), so that each exists once; never sentinel,
// election or server.
//
// Vigil's additions: on sentinels, each hello is followed by a PUBLISH of the
// owner's gossip address on GossipChannel (Hello.GossipPort; FormatGossip). On a
// master in fenced mode, a goroutine per link renews the write lease (REPLCONF FENCE)
// every Fence.RenewPeriod while the owner sets a Fence; a renewal's reply counts as an
// available PING reply (EventFence; fence.go, docs/safety.md).
//
// Concurrency: all Link methods are safe for concurrent use. One mutex (Link.mu)
// guards the link's fields; it is never held during I/O or while sending on the
// observation channel. A fact and the State it produced are recorded together under
// the mutex and queued; one delivery goroutine per link sends the queue to the owner
// in order, so nothing in the link ever waits for the owner and the owner may call any
// method from the goroutine that drains the channel. Send, ReplicaOf and PromoteNoOne
// block for one round trip; the other methods return at once. Goroutines per link: the
// scheduler, the delivery, the pub/sub reader and one per command in flight (at most
// one PING, one INFO and one PUBLISH from the scheduler).
package link
