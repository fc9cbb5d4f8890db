// Package node is `vigil node`: one process per host holding a data server
// (package server), its sentinel agent (package sentinel, a sentinel that
// monitors the node's group under the group's name), the gossip mesh they
// share (package mesh) and the HTTP endpoint (package httpapi), with one
// configuration, one log and one dir.
//
// # Main types
//
//   - Config (config.go): the node's own settings, the data server's
//     directives (`server:` section, loaded by package config) and the
//     agent's (`sentinel:`). Load applies embedded defaults, the file (YAML,
//     TOML or JSON through viper), VIGIL_* environment variables and flags,
//     in that order. Print writes the effective configuration.
//   - Node (node.go): New, Start, Shutdown, Done. Start reads the state file,
//     opens the mesh, asks the group's agents where the master is
//     (discover.go), starts the server as that master's replica unless it
//     is this node, then the agent and the HTTP endpoint.
//   - The state file (state.go, StateFile in dir): the agent's sentinel.conf,
//     regenerated at start from the config and what the previous run learned;
//     the agent rewrites it atomically before any vote or failover command
//     leaves. The node's own config file is never written.
//
// The agent reaches the node's own server by direct calls: its link's PING,
// INFO, fence renewals and SLAVEOF transaction run on a server.LocalClient
// (sentinel.Options.Local; no connection, the dispatcher under the execution
// lock), and only the hello pub/sub connection is an in-process socket pair
// (server.ConnectInProcess). Every other instance and agent is reached over
// TCP.
//
// # What it must not import
//
// cmd/vigil. It sits between cmd/vigil and server, sentinel, mesh,
// httpapi and config; none of those imports it.
//
// # Concurrency
//
// Config is not safe for concurrent use; the node reads it during Start.
// Node's methods are safe after Start returns; Shutdown may be called from
// any goroutine, once or more. Process-wide settings (GOMAXPROCS, GC,
// signals) stay with the caller (server.Process in Options).
package node
