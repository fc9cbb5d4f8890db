package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// LoadData loads the dataset at start-up. With appendonly yes the AOF is the source of
// truth, as in Redis 7.0: dump.rdb is not read even when there is no AOF yet (an empty
// AOF is created then). Otherwise the RDB dump is loaded. It runs after Listen: clients
// get -LOADING until it returns. An error means the server must not run.
func (s *Server) LoadData() error {
	if !s.cfg.AppendOnly {
		return s.LoadDump()
	}
	start := time.Now()
	s.mu.Lock()
	s.persist.loading = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.persist.loading, s.persist.loadTotal = false, 0
		s.mu.Unlock()
	}()
	m, err := s.aofReadManifest()
	if err != nil {
		return err
	}
	if m != nil && len(m.loadOrder()) > 0 {
		s.mu.Lock()
		s.persist.loadTotal = s.aofSize(m)
		s.persist.loadRead.Store(0)
		s.mu.Unlock()
		if err := s.aofLoadFiles(m, false); err != nil {
			return err
		}
		s.log.Info().Msgf("DB loaded from append only file: %.3f seconds", time.Since(start).Seconds())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dirty = 0
	return s.aofOpenOnStart(m)
}

// aofReadManifest reads the manifest, migrating an old-style single AOF file
// (appendfilename in dir) into the AOF directory first. It returns nil when there is no
// AOF at all.
func (s *Server) aofReadManifest() (*aofManifest, error) {
	path := s.aofPath(s.cfg.AppendFilename + ".manifest")
	f, err := os.Open(path)
	if err == nil {
		defer f.Close()
		m, err := parseAOFManifest(f)
		if err != nil {
			return nil, fmt.Errorf("*** FATAL AOF MANIFEST FILE ERROR *** %s: %w", path, err)
		}
		return m, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("Fatal error: can't open the AOF manifest file %s for reading: %w", path, err)
	}
	old := s.cfg.AppendFilename
	if st, err := os.Stat(s.cfg.Path(old)); err != nil || !st.Mode().IsRegular() {
		return nil, nil
	}
	// aofUpgradePrepare: the manifest first (naming the file as base), then the move
	if err := os.MkdirAll(s.aofDir(), 0o755); err != nil {
		return nil, fmt.Errorf("can't create the AOF directory %s: %w", s.cfg.AppendDirname, err)
	}
	m := &aofManifest{Base: &aofFile{Name: old, Seq: 1, Type: aofBase}, BaseSeq: 1}
	if err := s.persistManifest(m); err != nil {
		return nil, fmt.Errorf("can't write the AOF manifest: %w", err)
	}
	if err := os.Rename(s.cfg.Path(old), s.aofPath(old)); err != nil {
		return nil, fmt.Errorf("can't move %s into %s: %w", old, s.cfg.AppendDirname, err)
	}
	s.log.Info().Msgf("Successfully migrated an old-style AOF file (%s) into the AOF directory (%s).", old, s.cfg.AppendDirname)
	return m, nil
}

// aofLoadFiles loads the base and replays the incr files in manifest order.
func (s *Server) aofLoadFiles(m *aofManifest, locked bool) error {
	files := m.loadOrder()
	for i, f := range files {
		path := s.aofPath(f.Name)
		if f.Type == aofBase && f.Name == s.cfg.AppendFilename {
			// an interrupted migration: the manifest is written, the file not yet moved
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
				os.Rename(f.Name, path)
			}
		}
		st, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("The AOF file %s doesn't exist: %w", f.Name, err)
		}
		if st.Size() == 0 {
			continue
		}
		start := time.Now()
		if err := s.aofLoadFile(path, f.Name, i == len(files)-1, locked); err != nil {
			return err
		}
		kind := "incr"
		if f.Type == aofBase {
			kind = "base"
		}
		s.log.Info().Msgf("DB loaded from %s file %s: %.3f seconds", kind, f.Name, time.Since(start).Seconds())
	}
	return nil
}

// aofSize is the size of the files m loads (the loading progress's total).
func (s *Server) aofSize(m *aofManifest) int64 {
	var n int64
	for _, f := range m.loadOrder() {
		if st, err := os.Stat(s.aofPath(f.Name)); err == nil {
			n += st.Size()
		}
	}
	return n
}

// countingReader counts the bytes read from r, and adds them to total if set (the
// loading progress, read by other goroutines).
type countingReader struct {
	r     io.Reader
	n     int64
	total *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.total != nil {
		c.total.Add(int64(n))
	}
	return n, err
}

// aofLoadFile loads one file: an RDB preamble if it starts with "REDIS", then commands.
// locked: the caller holds the execution lock (DEBUG LOADAOF).
func (s *Server) aofLoadFile(path, name string, last, locked bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("Fatal error: can't open the append log file %s for reading: %w", name, err)
	}
	defer f.Close()
	cr := &countingReader{r: f, total: &s.persist.loadRead}
	br := bufio.NewReaderSize(cr, 64<<10)
	var off int64
	if sig, _ := br.Peek(5); string(sig) == "REDIS" {
		s.log.Info().Msg("Reading RDB base file on AOF loading...")
		loaded, expired, err := s.loadRDB(br, loadOptions{keepExpired: true, locked: locked})
		if err != nil {
			return fmt.Errorf("Error reading the RDB base file %s, AOF loading aborted: %w", name, err)
		}
		s.log.Info().Msgf("Done loading RDB, keys loaded: %d, keys expired: %d.", loaded, expired)
		off = cr.n - int64(br.Buffered())
	}
	return s.aofReplay(&aofReader{br: br, off: off, locked: locked}, path, name, last)
}

// Outcomes of reading one command.
var (
	errAOFTruncated = errors.New("aof: unexpected end of file")
	errAOFFormat    = errors.New("aof: bad file format")
)

// aofReader reads the commands of an AOF file (RESP multibulk; '#' lines are annotations).
type aofReader struct {
	br     *bufio.Reader
	off    int64 // offset of the next unread byte
	locked bool  // the loader holds the execution lock
}

func (r *aofReader) line() ([]byte, error) {
	b, err := r.br.ReadSlice('\n')
	r.off += int64(len(b))
	if err == bufio.ErrBufferFull {
		return nil, errAOFFormat
	}
	if err == io.EOF {
		return nil, errAOFTruncated
	}
	if err != nil {
		return nil, err
	}
	return bytes.TrimRight(b, "\r\n"), nil
}

// next returns the next command; io.EOF at a clean end of file.
func (r *aofReader) next() ([][]byte, error) {
	for {
		if _, err := r.br.Peek(1); err == io.EOF {
			return nil, io.EOF
		}
		l, err := r.line()
		if err != nil {
			return nil, err
		}
		if len(l) > 0 && l[0] == '#' {
			continue
		}
		if len(l) < 2 || l[0] != '*' {
			return nil, errAOFFormat
		}
		argc, err := strconv.Atoi(string(l[1:]))
		if err != nil || argc < 1 {
			return nil, errAOFFormat
		}
		argv := make([][]byte, argc)
		for i := range argv {
			l, err := r.line()
			if err != nil {
				return nil, err
			}
			if len(l) < 2 || l[0] != '$' {
				return nil, errAOFFormat
			}
			n, err := strconv.Atoi(string(l[1:]))
			if err != nil || n < 0 {
				return nil, errAOFFormat
			}
			arg := make([]byte, n+2)
			m, err := io.ReadFull(r.br, arg)
			r.off += int64(m)
			if err != nil {
				return nil, errAOFTruncated
			}
			argv[i] = arg[:n]
		}
		return argv, nil
	}
}

// aofReplay executes the commands of one file in batches; transactions are applied only
// when their EXEC is read. A truncated tail is dropped (and the file truncated) when
// aof-load-truncated allows it and this is the last file.
func (s *Server) aofReplay(r *aofReader, path, name string, last bool) error {
	c := s.newAOFClient()
	valid := r.off // end of the last command applied (or queued whole)
	var batch, multi [][][]byte
	inMulti := false
	validBeforeMulti := int64(-1)
	for {
		argv, err := r.next()
		if err == io.EOF && inMulti {
			s.log.Warn().Msgf("Revert incomplete MULTI/EXEC transaction in AOF file %s", name)
			valid, err = validBeforeMulti, errAOFTruncated
		}
		if err == io.EOF {
			return s.aofExec(c, batch, name, r.locked)
		}
		if errors.Is(err, errAOFFormat) {
			return fmt.Errorf("Bad file format reading the append only file %s: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>", name)
		}
		if err != nil && !errors.Is(err, errAOFTruncated) {
			return fmt.Errorf("Unrecoverable error reading the append only file %s: %w", name, err)
		}
		if err != nil { // truncated
			if err := s.aofExec(c, batch, name, r.locked); err != nil {
				return err
			}
			return s.aofTruncated(path, name, last, valid)
		}
		switch {
		case argEqualFold(argv[0], "multi") && !inMulti:
			inMulti, validBeforeMulti, multi = true, valid, multi[:0]
			continue
		case argEqualFold(argv[0], "exec") && inMulti:
			inMulti = false
			batch = append(batch, multi...)
			multi = nil
		case inMulti:
			multi = append(multi, argv)
			continue
		default:
			batch = append(batch, argv)
		}
		valid = r.off
		if len(batch) >= loadBatch {
			if err := s.aofExec(c, batch, name, r.locked); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
}

// aofTruncated handles a file that ends in the middle of a command.
func (s *Server) aofTruncated(path, name string, last bool, valid int64) error {
	if !s.cfg.AOFLoadTruncated {
		return fmt.Errorf("Unexpected end of file reading the append only file %s. You can: "+
			"1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. "+
			"2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.", name)
	}
	if !last {
		return errors.New("Fatal error: the truncated file is not the last file")
	}
	s.log.Warn().Msgf("!!! Warning: short read while loading the AOF file %s!!!", name)
	s.log.Warn().Msgf("!!! Truncating the AOF %s at offset %d !!!", name, valid)
	if err := os.Truncate(path, valid); err != nil {
		return fmt.Errorf("Error truncating the AOF file %s: %w", name, err)
	}
	s.log.Warn().Msgf("AOF %s loaded anyway because aof-load-truncated is enabled", name)
	return nil
}

// newAOFClient is the fake client that replays the AOF: no connection, no replies kept,
// never blocks.
func (s *Server) newAOFClient() *Client {
	c := &Client{srv: s, authed: true, user: "default", flags: ClientDenyBlocking,
		kick: make(chan struct{}, 1), closed: make(chan struct{})}
	c.w.Proto = 2
	return c
}

// aofExec runs replayed commands under the execution lock (taken unless locked says the
// caller holds it). Propagators are detached meanwhile: loading must not feed the AOF or
// the replication stream.
func (s *Server) aofExec(c *Client, cmds [][][]byte, name string, locked bool) error {
	if len(cmds) == 0 {
		return nil
	}
	if !locked {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	saved := s.propagator
	s.propagator = nil
	defer func() { s.propagator = append(saved, s.propagator...) }()
	defer s.crashOnPanic(c) // a replayed command that panics: the bug report, not a Go trace
	for _, argv := range cmds {
		cmd, _ := s.lookupOrOriginal(argv)
		if cmd == nil {
			return fmt.Errorf("Unknown command '%s' reading the append only file %s", argv[0], name)
		}
		if !arityOK(cmd.Arity, len(argv)) {
			return fmt.Errorf("Wrong arity for command '%s' reading the append only file %s", argv[0], name)
		}
		s.nowMs = time.Now().UnixMilli()
		c.args, c.cmd, c.failed = argv, cmd, false
		cmd.Handler(c)
		c.w.B = c.w.B[:0]
		if len(s.readyKeys) > 0 {
			s.handleReadyKeys()
		}
	}
	return nil
}

// aofOpenOnStart creates the AOF if there is none (a base of the current dataset, an
// incr file, the manifest) or opens the last incr file for appending, then starts the
// write path (under the execution lock).
func (s *Server) aofOpenOnStart(m *aofManifest) error {
	if err := os.MkdirAll(s.aofDir(), 0o755); err != nil {
		return fmt.Errorf("Can't open or create append-only dir %s: %w", s.cfg.AppendDirname, err)
	}
	if m == nil {
		m = &aofManifest{}
	}
	m = m.clone()
	a := &s.aof
	if m.Base == nil && len(m.Incr) == 0 {
		name := m.installBase(s.cfg.AppendFilename, s.cfg.AOFUseRDBPreamble, 0)
		if err := s.writeBaseLocked(s.aofPath(name), s.cfg.AOFUseRDBPreamble); err != nil {
			return fmt.Errorf("Can't create the AOF base file %s: %w", name, err)
		}
		s.log.Info().Msgf("Creating AOF base file %s on server start", name)
	}
	var f *os.File
	var size int64
	var err error
	if len(m.Incr) == 0 {
		name := m.newIncr(s.cfg.AppendFilename)
		if f, err = openIncr(s.aofPath(name)); err != nil {
			return fmt.Errorf("Can't open the append-only file %s: %w", name, err)
		}
		s.log.Info().Msgf("Creating AOF incr file %s on server start", name)
	} else {
		name := m.Incr[len(m.Incr)-1].Name
		if f, err = os.OpenFile(s.aofPath(name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
			return fmt.Errorf("Can't open the append-only file %s: %w", name, err)
		}
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		s.log.Info().Msgf("Opening AOF incr file %s on server start", name)
	}
	if err := s.persistManifest(m); err != nil {
		f.Close()
		return fmt.Errorf("Can't persist the AOF manifest: %w", err)
	}
	a.manifest = m
	a.baseSize, a.prevIncrSize = 0, 0
	if m.Base != nil {
		if st, err := os.Stat(s.aofPath(m.Base.Name)); err == nil {
			a.baseSize = st.Size()
		}
	}
	for _, inc := range m.Incr[:len(m.Incr)-1] {
		if st, err := os.Stat(s.aofPath(inc.Name)); err == nil {
			a.prevIncrSize += st.Size()
		}
	}
	a.status = aofOn
	s.aofStartLog(f, size)
	a.rewriteBase = a.currentSize()
	s.aofDeleteHistory()
	return nil
}

// writeBaseLocked writes a base file of the current dataset while holding the execution
// lock (the AOF created at start-up, when the dataset is empty).
func (s *Server) writeBaseLocked(path string, rdbFormat bool) error {
	s.nowMs = time.Now().UnixMilli()
	var rdbBuf bytes.Buffer
	sn, err := s.beginSnapshot(s.aofBaseAux(), s.rdbOptions(), &rdbBuf)
	if err != nil {
		return err
	}
	for sn.step(time.Time{}) && sn.err == nil {
	}
	for _, sd := range sn.dbs {
		if !s.snapHolds(sd.keys) {
			sd.keys.Freeze(false)
		}
	}
	if sn.err == nil {
		sn.err = sn.enc.Finish()
	}
	if sn.err != nil {
		return sn.err
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		if rdbFormat {
			_, err := w.Write(rdbBuf.Bytes())
			return err
		}
		return rdbToAOF(&rdbBuf, w)
	})
}
