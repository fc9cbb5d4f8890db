// Package testutil is test support shared by Vigil's packages: free loopback ports,
// spawning the vigil binary and real redis-server processes with their logs captured,
// bounded polling, and a raw RESP client that returns reply bytes exactly as received.
// It is imported only by tests.
package testutil
