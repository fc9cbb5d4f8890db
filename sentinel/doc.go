// Package sentinel is Vigil's drop-in for redis-sentinel 7.0: its
// configuration file (Config, Load, RewriteContent, Flush), the client
// endpoint on the sentinel port (SENTINEL, INFO, ROLE, HELLO, pub/sub of
// events), the instance model and the shell loop that gathers observations
// from links and the mesh, feeds the pure decision core and acts.
//
// The shell decides nothing about an instance: SDOWN, ODOWN, TILT, +reboot
// and the failover are package failover's, stepped with what the links and
// the mesh saw. The instance map keeps what the SENTINEL commands show; the
// machine's flags (s_down, o_down, failover states) are copied into it after
// each tick (syncStatus). INFO and hellos are parsed once, by sentinel/link.
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
//   - The gossip mesh always starts (gossip-port, default port + 1000; if it cannot
//     bind, the sentinel logs it and works through hellos alone). Without
//     gossip-join seeds, a sentinel discovered through hellos (as Redis's are) is
//     joined at its port + 1000, so the sentinels still form one mesh.
//     Fresh SDOWN opinions from the mesh count toward ODOWN (see package
//     failover, which also lists the SDOWN difference).
//   - Vigil's gossip directives: gossip-bind (default: the first specific
//     `bind` address, else 0.0.0.0), gossip-port (default: port + 1000),
//     gossip-join host:port ... (default: none; sentinels find each other
//     through __sentinel__:hello), gossip-secret (default: none; the AES-256
//     key is SHA-256 of the passphrase).
package sentinel
