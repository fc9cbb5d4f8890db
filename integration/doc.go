// Package integration holds Vigil's process-level tests: they start the real `vigil`
// binary and, where they compare behaviour, a real redis-server 7.0, and talk to them
// with go-redis, redis-cli and raw RESP. They skip under -short; without a Redis binary
// they skip with a message, or fail when VIGIL_REQUIRE_REDIS=1 (CI).
package integration
