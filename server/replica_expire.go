package server

import "time"

// Keys written with a TTL directly to a writable replica (replica-read-only no): the
// master's DELs never come for them, so the replica expires them itself, as Redis's
// rememberSlaveKeyWithExpire / expireSlaveKeys do. Keys the master sent expire through
// the master as always.

// replicaExpiresMaxDB: the tracking bitmap has one bit per database, as Redis's.
const replicaExpiresMaxDB = 64

// rememberReplicaExpire records that c set a TTL on key in its database while this
// server is a writable replica. Called under mu.
func (s *Server) rememberReplicaExpire(c *Client, key []byte) {
	if !s.isReplica() || s.cfg.ReplicaReadOnly || c.has(ClientMaster) || c.dbIndex >= replicaExpiresMaxDB {
		return
	}
	if s.replicaExpires == nil {
		s.replicaExpires = map[string]uint64{}
	}
	s.replicaExpires[string(key)] |= 1 << uint(c.dbIndex)
}

// expireReplicaKeys deletes the remembered keys whose TTL passed (expireSlaveKeys): it
// stops after more than 3 keys that are not expired yet, or after 1 ms.
func (s *Server) expireReplicaKeys() {
	if len(s.replicaExpires) == 0 {
		return
	}
	noExpire, cycles, start := 0, 0, time.Now()
	for key, dbs := range s.replicaExpires { // map order: Redis picks random keys
		left := uint64(0)
		for id := 0; dbs != 0 && id < len(s.dbs); id, dbs = id+1, dbs>>1 {
			if dbs&1 == 0 {
				continue
			}
			db := s.dbs[id]
			when, ok := db.Expires.Get(key)
			if !ok {
				continue
			}
			if when <= s.nowMs {
				s.deleteExpiredKey(db, key)
				continue
			}
			noExpire++
			left |= 1 << uint(id)
		}
		if left != 0 {
			s.replicaExpires[key] = left
		} else {
			delete(s.replicaExpires, key)
		}
		cycles++
		if noExpire > 3 || cycles%64 == 0 && time.Since(start) > time.Millisecond {
			break
		}
	}
}

// forgetReplicaExpires drops the tracking (the server became a master, or its dataset was
// replaced by a full sync).
func (s *Server) forgetReplicaExpires() { s.replicaExpires = nil }
