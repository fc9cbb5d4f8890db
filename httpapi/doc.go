// Package httpapi is Vigil's HTTP endpoint for discovery and observability:
// where a group's master is (GET /v1/masters, /v1/masters/{name}), whether an
// instance is healthy for a load balancer or a probe (/health/master/{name},
// /health/replica/{name}, /health/live), the Sentinel events as Server-Sent
// Events with resumable ids (/v1/masters/{name}/events), and Prometheus
// metrics (/metrics). docs/http.md documents every route.
//
// It serves from a Source, which *sentinel.Sentinel satisfies through its Go
// API (sentinel/api.go): it is a second door onto the same state, never a
// second source of truth. It imports sentinel for the snapshot types only and
// must not import server, node or the decision cores (failover, election).
//
// Concurrency: a Server runs one goroutine (the pump) that reads the
// sentinel's events, numbers them into a bounded ring, feeds the metrics and
// wakes the event streams; net/http runs the handlers. Two mutexes, never
// held together: ring.mu (the event ring) and metrics.mu (the open failover
// phases); the prometheus collectors are safe for concurrent use. Main
// types: Server, Config, Source; Master, Replica, Sentinel, Health and
// Record are the JSON answers.
package httpapi
