package server

// Record is one command of the write stream: the database it applies to and its
// arguments. Argv may alias a client's buffers: it is valid only during Feed.
type Record struct {
	DB   int
	Argv [][]byte
}

// Propagator consumes the write stream: the replication backlog, the AOF, tests.
// Feed receives the records of one execution unit in order, already wrapped in
// MULTI/EXEC when the unit produced more than one command. It is called under the
// execution lock and must not block. Neither recs nor the Argv slices may be kept after
// Feed returns: serialize (the backlog, the AOF) or copy what is needed.
type Propagator interface {
	Feed(recs []Record)
}

// AddPropagator registers p; call before Serve.
func (s *Server) AddPropagator(p Propagator) {
	s.mu.Lock()
	s.propagator = append(s.propagator, p)
	s.mu.Unlock()
}

func (s *Server) beginUnit() { s.unitDepth++ }

func (s *Server) endUnit() {
	s.unitDepth--
	if s.unitDepth == 0 && len(s.unit) > 0 {
		s.flushUnit()
	}
}

var (
	argMulti = []byte("MULTI")
	argExec  = []byte("EXEC")
)

func (s *Server) flushUnit() {
	recs := s.unit
	if len(recs) > 1 {
		wrapped := make([]Record, 0, len(recs)+2)
		wrapped = append(wrapped, Record{DB: recs[0].DB, Argv: [][]byte{argMulti}})
		wrapped = append(wrapped, recs...)
		wrapped = append(wrapped, Record{DB: recs[len(recs)-1].DB, Argv: [][]byte{argExec}})
		recs = wrapped
	}
	s.replFeedRecords(recs)
	for _, p := range s.propagator {
		p.Feed(recs)
	}
	clear(s.unit)
	s.unit = s.unit[:0]
}

// propagateRecord adds one record to the current execution unit, or feeds it at once
// when no unit is open (active expiry, eviction from cron). argv must stay unmodified
// until the unit ends (the end of the current command).
func (s *Server) propagateRecord(db int, argv [][]byte) {
	s.unit = append(s.unit, Record{DB: db, Argv: argv})
	if s.unitDepth == 0 {
		s.flushUnit()
	}
}

// propagate makes argv the record of the current command instead of the command's own
// arguments. Call it once per record; several calls produce several records. argv must
// stay unmodified until the command returns.
func (c *Client) propagate(argv ...[]byte) {
	c.overridden = true
	c.srv.propagateRecord(c.dbIndex, argv)
}

// addDirty counts n changes to the dataset (for save points) and marks the command to be
// propagated with its own arguments unless it calls propagate.
func (c *Client) addDirty(n int64) {
	c.srv.dirty += n
	c.propagateSelf = true
}
