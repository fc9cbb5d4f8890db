package server

import (
	"strings"

	"github.com/vigil-db/vigil/store"
)

// Errors of the DEBUG subcommands in this file (Redis's texts).
const (
	errOutOfRangeDB = "ERR Out of range database"
	errNotHashTable = "ERR The value stored at the specified key is not represented using an hash table"
)

// debugHTStats is DEBUG HTSTATS <dbid>: the statistics of a database's key and expire
// tables (dictGetStats).
func debugHTStats(c *Client) {
	id, ok := parseDBIndex(c.args[2])
	if !ok {
		c.err(ErrNotInt)
		return
	}
	s := c.srv
	if id < 0 || id >= len(s.dbs) {
		c.err(errOutOfRangeDB)
		return
	}
	db := s.dbs[id]
	var b strings.Builder
	b.WriteString("[Dictionary HT]\n")
	b.WriteString(db.Keys.Stats())
	b.WriteString("[Expires HT]\n")
	b.WriteString(db.Expires.Stats())
	c.w.Verbatim(b.String(), "txt")
}

// debugHTStatsKey is DEBUG HTSTATS-KEY <key>: the statistics of the hash table of a
// hashtable-encoded set or hash, or of a skiplist sorted set's dict.
func debugHTStatsKey(c *Client) {
	o := c.db().Keys.Ref(k(c.args[2]))
	if o == nil {
		c.err(ErrNoSuchKey)
		return
	}
	var stats string
	switch v := o.Ptr.(type) {
	case *store.Set:
		if d := v.Dict(); d != nil {
			stats = d.Stats()
		}
	case *store.Hash:
		if d := v.Dict(); d != nil {
			stats = d.Stats()
		}
	case *store.ZSet:
		if d := v.Dict(); d != nil {
			stats = d.Stats()
		}
	}
	if stats == "" {
		c.err(errNotHashTable)
		return
	}
	c.w.Verbatim(stats, "txt")
}

// debugLoadAOF is DEBUG LOADAOF: the AOF written out, the dataset emptied and loaded
// again from the AOF files the manifest on disk names. As in Redis, a load that fails
// ends the server.
func debugLoadAOF(c *Client) {
	s := c.srv
	if s.aof.log != nil {
		s.aofTicket().wait()
	}
	for id := range s.dbs {
		s.emptyDB(id)
	}
	m, err := s.aofReadManifest()
	if err == nil && m != nil {
		s.aofDeleteHistory()
		err = s.aofLoadFiles(m, true)
	}
	if err != nil {
		s.log.Warn().Err(err).Msg("DEBUG LOADAOF failed to load the append only file")
		go s.Fail(err) // Fail takes the execution lock, which this command holds
		c.err("ERR " + err.Error())
		return
	}
	s.dirty = 0 // nothing to propagate or save
	s.log.Warn().Msg("Append Only File loaded by DEBUG LOADAOF")
	c.ok()
}
