package server

// Record is one command of the write stream: the database it applies to and its
// arguments. Argv is owned by the record and never modified after it is fed.
type Record struct {
	DB   int
	Argv [][]byte
}

// Propagator consumes the write stream: the replication backlog, the AOF, tests.
// Feed receives the records of one execution unit in order, already wrapped in
// MULTI/EXEC when the unit produced more than one command. It is called under the
// execution lock and must not block; it may keep the Argv slices but not recs itself.
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
	for _, p := range s.propagator {
		p.Feed(recs)
	}
	clear(s.unit)
	s.unit = s.unit[:0]
}

// propagateRecord adds one record to the current execution unit, or feeds it at once
// when no unit is open (active expiry, eviction from cron). argv must be owned.
func (s *Server) propagateRecord(db int, argv [][]byte) {
	s.unit = append(s.unit, Record{DB: db, Argv: argv})
	if s.unitDepth == 0 {
		s.flushUnit()
	}
}

// propagate makes argv (copied) the record of the current command instead of the
// command's own arguments. Call it once per record; several calls produce several records.
func (c *Client) propagate(argv ...[]byte) {
	c.overridden = true
	c.srv.propagateRecord(c.dbIndex, copyArgs(argv))
}

// propagateStrings is propagate for string arguments.
func (c *Client) propagateStrings(argv ...string) {
	out := make([][]byte, len(argv))
	for i, a := range argv {
		out[i] = []byte(a)
	}
	c.overridden = true
	c.srv.propagateRecord(c.dbIndex, out)
}

// addDirty counts n changes to the dataset (for save points) and marks the command to be
// propagated with its own arguments unless it calls propagate.
func (c *Client) addDirty(n int64) {
	c.srv.dirty += n
	c.propagateSelf = true
}

// suppressPropagation keeps a command that changed the dataset out of the stream
// (used where Redis calls preventCommandPropagation).
func (c *Client) suppressPropagation() { c.overridden = true }
