package failover

import "errors"

// Errors returned by Step. The shell turns ErrInProgress and ErrNoGoodReplica
// into Redis's replies to SENTINEL FAILOVER (ReplyInProgress,
// ReplyNoGoodReplica).
var (
	ErrNoSuchMaster    = errors.New("failover: no such master")
	ErrInProgress      = errors.New("failover: failover already in progress")
	ErrNoGoodReplica   = errors.New("failover: no suitable replica to promote")
	ErrBadConfig       = errors.New("failover: invalid configuration")
	ErrDuplicateMaster = errors.New("failover: duplicate master address")
	ErrUnknownInput    = errors.New("failover: unknown input")
)

// Redis 7.0's replies to SENTINEL FAILOVER for ErrInProgress and
// ErrNoGoodReplica, verbatim.
const (
	ReplyInProgress    = "-INPROG Failover already in progress"
	ReplyNoGoodReplica = "-NOGOODSLAVE No suitable replica to promote"
)
