// Package replica holds the protocol pieces of Redis replication that do not depend on
// the server: the backlog ring buffer that partial resynchronisations are served from,
// and the reader for the RDB payload framing a master sends after +FULLRESYNC.
//
// It imports only the standard library. The server package owns the replication state
// (role, replication IDs, offsets, attached replicas, the link to a master) and drives
// these types under its execution lock; nothing here is safe for concurrent use.
package replica
