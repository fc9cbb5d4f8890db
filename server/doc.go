// Package server is Vigil's data core: the RESP listener, clients, the command table and
// the command families, the keyspace policy (expiry, eviction, notifications) and the
// single write path through which every change is propagated.
//
// Concurrency contract: each connection has a goroutine that reads and parses without
// locks; commands execute under Server.mu, one at a time, which gives Redis's total order.
// A batch of pipelined commands runs under one acquisition and its replies are flushed
// once. Output that other goroutines produce for a client (pub/sub messages, replies to
// blocked clients) is appended to Client.pending under Client.outMu, always while holding
// Server.mu, so replies stay in execution order. Lock order: Server.mu, then Client.outMu;
// Client.flushMu is taken without Server.mu. The AOF log (aof_log.go) has its own locks,
// taken after Server.mu in the order flushMu, syncMu, mu; replies wait for the AOF outside
// Server.mu (group commit). A panic while a command runs ends the process with a
// Redis-style bug report (crash.go) rather than leaving Server.mu held.
//
// Hostile input (see docs/security.md): before AUTH the parser applies Redis's
// unauthenticated limits, big arguments are allocated as their bytes arrive (conn.go),
// and a read-only command's reply is bounded by proto-max-reply-len (dispatch.go).
//
// Every write produces its propagation records through one hook (propagate.go): handlers
// call addDirty (propagate their own argv) or propagate (explicit, deterministic records);
// records of one execution unit are fed to every Propagator, wrapped in MULTI/EXEC when
// there is more than one.
//
// Command handlers live in one file per family (cmd_string.go, cmd_list.go, ...); every
// error text is a constant in errors.go. Package server imports store (the data
// structures), rdb and replica (format and protocol libraries), resp and config; it must
// not import sentinel, mesh or node (docs/design.md has the tree). It sets nothing
// process-wide: GOMAXPROCS and the GC target are wishes made through Process, and every
// path resolves against the configured dir. Start, Shutdown and Done are its lifecycle.
package server
