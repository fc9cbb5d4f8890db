// Package sentinel is Vigil's drop-in for redis-sentinel 7.0: its
// configuration file (Config, Load, RewriteContent, Flush), the client
// endpoint on the sentinel port (SENTINEL, INFO, ROLE, HELLO, pub/sub of
// events), the instance model and the shell loop that gathers observations
// from links and the mesh, feeds the pure decision core and acts.
//
// The shell decides nothing about an instance: SDOWN, ODOWN, TILT, +reboot
// and the failover are package failover's, stepped with what the links and
// the mesh saw. The instance map keeps only what the shell gathers; what the
// machine decides (s_down, o_down, master_down, failover and reconfiguration
// flags, epochs, votes) is read from it when shown (view.go), never copied.
// INFO and hellos are parsed once, by sentinel/link.
//
// # Shape (gather → decide → act)
//
// One goroutine (Sentinel.run) owns all state: the Config, the instance map
// and the decision machines. Links (sentinel/link), the mesh (mesh),
// client connections and timers talk to it over channels; it never blocks on
// I/O. The endpoint's command handlers run on that goroutine too (each request
// is sent to it as a closure and answered over a channel), so they see a
// consistent instance map without locks.
//
// # Go API
//
// Beside the RESP endpoint, api.go gives programs in the same process (the
// node, an HTTP endpoint, operator commands) what the SENTINEL commands give:
// Masters and Master return typed snapshots (address, run id, config epoch,
// flags, failover state, replicas with offset, link, lag and priority, peer
// sentinels with id, address and last hello), Subscribe delivers the events
// with Redis's names and texts, Failover asks for a failover like SENTINEL
// FAILOVER. They run on the loop goroutine like the endpoint's commands.
//
// # In a node
//
// `vigil node` configures a sentinel programmatically (its state file is
// the sentinel.conf), hands it the node's mesh (Options.Mesh), Options.Local
// that gives the node's own server as a link.Local (PING, INFO, the SLAVEOF
// transaction and fence renewals run as direct calls, no connection), and a
// dialer (Options.Dial) for the rest: the own server's pub/sub connection in
// process, every other instance over TCP.
//
// # What it must not import
//
// server (only resp, the codec), node, replica, store. It may import
// config (server directives), election, failover, sentinel/link and mesh.
//
// # Concurrency
//
// Config and the instance model are not safe for concurrent use; only the
// loop goroutine touches them. Sentinel's exported methods are safe.
//
// # Known differences from redis-sentinel 7.0.15
//
//   - Masters are written to the file in the order they were added (Redis uses
//     its hash table order).
//   - auth-pass, auth-user and script paths are quoted when they need it
//     (Redis writes them bare, so a password with a space does not load back).
//   - The `user default ...` line Redis adds on rewrite is not written.
//   - `include` files may not contain sentinel directives.
//   - The gossip mesh always starts (gossip-port, default port + 1000, the
//     rule of mesh.DefaultPort; if it cannot bind, the sentinel logs it and
//     works through hellos alone). Without gossip-join seeds, sentinels that
//     find each other through hellos (as Redis's do) still form one mesh:
//     after each hello to a peer sentinel, a Vigil sentinel PUBLISHes its
//     gossip address on that peer's endpoint (channel __vigil__:gossip,
//     "<runid>,<ip>,<port>"), and the peer joins it there if it is not a
//     member yet. A real redis-sentinel answers that PUBLISH with its usual
//     error, which is ignored; Vigil's endpoint accepts PUBLISH on that
//     channel besides __sentinel__:hello.
//     Fresh SDOWN opinions from the mesh count toward ODOWN (see package
//     failover, which also lists the SDOWN difference).
//   - Vigil's gossip directives: gossip-bind (default: the sentinel's own
//     bind address, the first that is not "*" or "::*", else 0.0.0.0, as the
//     endpoint listens), gossip-port (default: port + 1000), gossip-join
//     host:port ... (default: none), gossip-secret (the AES-256 key is SHA-256
//     of the passphrase). Without gossip-secret, a sentinel with requirepass
//     derives the key from the password (SHA-256 of "vigil-gossip:" and the
//     password, Config.GossipKey): it never gossips in plain text nor admits
//     a member that does not know the password, and sentinels that share
//     requirepass share the mesh. Without either, the mesh is plain text.
//   - protected-mode (default no in a sentinel, as in Redis) applies to the
//     endpoint as in redis-server: with protected-mode yes and no
//     requirepass, a client that is not on loopback gets Redis's -DENIED
//     reply and is disconnected (config.Server.ProtectedDenies, shared with
//     the data server).
package sentinel
