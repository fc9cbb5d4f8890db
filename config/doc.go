// Package config is the typed configuration of a Vigil server (a Redis 7.0
// compatible redis-server) and the logic of the CONFIG command.
//
// # What it holds
//
//   - Server, the typed configuration, and Default(), what redis-server 7.0.15
//     uses when started without a file.
//   - Directives(), the table of every directive Redis 7.0 accepts: name,
//     alias (slaveof, slave-*, hash-max-ziplist-*, ...), Kind, bounds, and
//     whether CONFIG SET may change it. Directives that mean nothing to Vigil
//     (io-threads-do-reads, tls-*, cluster-*, activedefrag, ... see IgnoredDirectives)
//     are accepted and kept in Server.Extra so they round-trip.
//   - Load / LoadEnv / Parse: the redis-server command line and redis.conf
//     syntax (sdssplitargs quoting, include, units, repeated save), or a
//     YAML/TOML/JSON file read with viper. Precedence, lowest first:
//     defaults < file < environment (VIGIL_<DIRECTIVE>) < command-line flags.
//     Errors are *LoadError whose text is redis-server's fatal error.
//     LoadSettings does the same for a section already read (a node's
//     `server:` map).
//   - Validate: every problem of a Server at once (errors.Join).
//   - Get, Set/SetWith, Rewrite/RewriteContent: CONFIG GET, SET and REWRITE,
//     with Redis's reply texts (see errors.go). Set returns the names of the
//     directives that changed so that the server can react.
//   - Glob: Redis's stringmatchlen, shared with KEYS, SCAN and PSUBSCRIBE.
//
// # What it must not do
//
// It imports only the standard library and viper; never server, store or any
// other Vigil package. It keeps no package-level configuration and never logs:
// warnings are returned to the caller. It does not change the process working
// directory (dir is stored as an absolute path) and does not bind sockets:
// the server applies changed directives (bind, port, maxmemory, ...).
//
// Directives that restrict access and that Vigil cannot honour are refused
// (refused.go): user lines other than the default user with all permissions
// and nopass or one password (which becomes requirepass, as the user line
// wins in Redis), aclfile, tls-port and tls-replication yes. rename-command lines are checked against
// the command table the caller gives (Options.Commands), as Redis does.
//
// Known differences from redis-server 7.0.15: with requirepass and an
// accepted `user default on nopass ...` line Vigil keeps the password (Redis
// drops it); CONFIG REWRITE writes user lines back as loaded rather than as
// ACL GETUSER descriptions and appends appended lines in table order rather
// than hash order; maxmemory and other unsigned values stop at 2^63-1;
// loadmodule and module directives are refused; reading the file from
// standard input is not supported; CONFIG REWRITE only writes redis.conf
// files.
//
// # Concurrency
//
// Nothing here is safe for concurrent use on the same *Server: the server
// calls Get, Set and Rewrite under its own lock. Directives() builds a new
// table on each call and shares nothing.
package config
