package server

// Keys a writable replica's own clients give a TTL are expired by the replica itself, as
// Redis's expireSlaveKeys: the master knows nothing of them and will never send their DEL.

// replicaKey is a key with a TTL written on a writable replica.
type replicaKey struct {
	db  int
	key string
}

// replicaExpireBatch bounds the keys expireReplicaKeys looks at per cron call.
const replicaExpireBatch = 1000

// rememberReplicaKeyWithExpire is rememberSlaveKeyWithExpire: on a replica, a TTL set by
// a client other than our master is tracked for expireReplicaKeys.
func (c *Client) rememberReplicaKeyWithExpire(key []byte) {
	s := c.srv
	if !s.isReplica() || c.has(ClientMaster) {
		return
	}
	if s.expire.replicaKeys == nil {
		s.expire.replicaKeys = make(map[replicaKey]struct{})
	}
	s.expire.replicaKeys[replicaKey{db: c.dbIndex, key: string(key)}] = struct{}{}
}

// expireReplicaKeys is expireSlaveKeys (cron, on a replica): the tracked keys that expired
// are deleted; keys gone or without a TTL any more are forgotten. Once the server is a
// master again the list is dropped (its active expiry covers every key).
func (s *Server) expireReplicaKeys() {
	if len(s.expire.replicaKeys) == 0 {
		return
	}
	if !s.isReplica() {
		s.expire.replicaKeys = nil
		return
	}
	n := 0
	for rk := range s.expire.replicaKeys {
		if n++; n > replicaExpireBatch {
			return
		}
		db := s.dbs[rk.db]
		when, ok := db.Expires.Get(rk.key)
		if !ok {
			delete(s.expire.replicaKeys, rk)
			continue
		}
		if when <= s.nowMs {
			s.deleteExpiredKey(db, rk.key)
			delete(s.expire.replicaKeys, rk)
		}
	}
}
