package server

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-db/vigil/rdb"
	"github.com/vigil-db/vigil/resp"
	"github.com/vigil-db/vigil/store"
)

// debugSub is one DEBUG subcommand: it accepts argc arguments (including DEBUG and the
// subcommand name) when argcOK says so, else Redis's subcommand syntax error is replied.
type debugSub struct {
	argcOK func(n int) bool
	run    func(c *Client)
}

func argcIs(want int) func(int) bool        { return func(n int) bool { return n == want } }
func argcBetween(lo, hi int) func(int) bool { return func(n int) bool { return n >= lo && n <= hi } }

// debugSubcommands maps each lower-case DEBUG subcommand to its handler. Families add
// theirs here (RELOAD, LOADAOF... come with persistence).
func debugSubcommands() map[string]debugSub {
	return map[string]debugSub{
		"help":                         {argcIs(2), debugHelp},
		"reload":                       {argcBetween(2, 5), debugReload},
		"sleep":                        {argcIs(3), debugSleep},
		"set-active-expire":            {argcIs(3), debugSetActiveExpire},
		"object":                       {argcIs(3), debugObject},
		"digest":                       {argcIs(2), debugDigest},
		"digest-value":                 {argcBetween(2, math32), debugDigestValue},
		"populate":                     {argcBetween(3, 5), debugPopulate},
		"change-repl-id":               {argcIs(2), debugChangeReplID},
		"protocol":                     {argcIs(3), debugProtocol},
		"log":                          {argcIs(3), debugLog},
		"error":                        {argcIs(3), debugError},
		"leak":                         {argcIs(3), func(c *Client) { c.ok() }},
		"set-skip-checksum-validation": {argcIs(3), func(c *Client) { c.ok() }},
		"set-disable-deny-scripts":     {argcIs(3), func(c *Client) { c.ok() }},
		"aof-flush-sleep":              {argcIs(3), func(c *Client) { c.ok() }},
		"quicklist-packed-threshold":   {argcIs(3), func(c *Client) { c.ok() }},
		"panic":                        {argcBetween(2, math32), debugPanic},
		"assert":                       {argcBetween(2, math32), debugAssert},
		"segfault":                     {argcBetween(2, math32), debugSegfault},
		"oom":                          {argcBetween(2, math32), debugOOM},
		"pause-cron":                   {argcIs(3), debugPauseCron},
		"replybuffer":                  {argcIs(4), debugReplyBuffer},
		"config-rewrite-force-all":     {argcIs(2), debugConfigRewriteForceAll},
		"htstats":                      {argcIs(3), debugHTStats},
		"htstats-key":                  {argcIs(3), debugHTStatsKey},
		"loadaof":                      {argcIs(2), debugLoadAOF},
	}
}

// debugPanic is DEBUG PANIC: the process ends with a bug report (crash.go), through the
// same recovery as any unexpected panic.
func debugPanic(c *Client) {
	panic(fmt.Sprintf("DEBUG PANIC called at Unix time %d", time.Now().Unix()))
}

// debugAssert is DEBUG ASSERT: a failed assertion, reported with the client's context.
func debugAssert(c *Client) { panic(assertion{expr: "1 == 2"}) }

// debugSegfault is DEBUG SEGFAULT: Go turns an invalid memory access into a runtime
// panic, which ends the process with a bug report like any other.
func debugSegfault(c *Client) {
	var p *Client
	_ = p.id
}

// debugOOM is DEBUG OOM: an allocation that cannot be satisfied, as zmalloc(ULONG_MAX)
// in Redis.
func debugOOM(c *Client) { c.srv.outOfMemory(math.MaxInt64) }

// outOfMemory ends the process as Redis's zmalloc out-of-memory handler does.
func (s *Server) outOfMemory(size uint64) {
	s.log.Error().Msgf("Out Of Memory allocating %d bytes!", size)
	panic(outOfMemory{size: size})
}

// debugPauseCron is DEBUG PAUSE-CRON <0|1> (atoi, as Redis).
func debugPauseCron(c *Client) {
	c.srv.debug.pauseCron = leadingInt(c.args[2]) != 0
	c.ok()
}

// debugReplyBuffer is DEBUG REPLYBUFFER PEAK-RESET-TIME <NEVER|RESET|ms> and
// DEBUG REPLYBUFFER RESIZING <0|1>.
func debugReplyBuffer(c *Client) {
	d := &c.srv.debug
	switch {
	case argEqualFold(c.args[2], "peak-reset-time"):
		switch {
		case argEqualFold(c.args[3], "never"):
			d.replyPeakResetMs = -1
		case argEqualFold(c.args[3], "reset"):
			d.replyPeakResetMs = 0
		default:
			v, ok := resp.ParseInt(c.args[3])
			if !ok {
				c.err(ErrNotInt)
				return
			}
			d.replyPeakResetMs = v
		}
	case argEqualFold(c.args[2], "resizing"):
		d.replyNoResizing = leadingInt(c.args[3]) == 0
	default:
		c.err(fmt.Sprintf(ErrDebugSubcmd, truncate(string(c.args[1]), 128)))
		return
	}
	c.ok()
}

const math32 = 1 << 31

// maxValueAlloc is the largest value DEBUG POPULATE tries to allocate: beyond it no
// machine has the memory (Go's own limit is 2^48 bytes on 64-bit platforms).
const maxValueAlloc = 1 << 47

// sdsOverhead is what Redis adds to a value's size when it reports the allocation it
// could not make (the sds header and the object, DEBUG POPULATE's crash).
const sdsOverhead = 18

var debugTable = debugSubcommands()

func cmdDebug(c *Client) {
	name := strings.ToLower(string(c.args[1]))
	sc, ok := debugTable[name]
	if !ok || !sc.argcOK(len(c.args)) {
		c.err(fmt.Sprintf(ErrDebugSubcmd, truncate(string(c.args[1]), 128)))
		return
	}
	sc.run(c)
}

func debugHelp(c *Client) {
	c.replyHelpLines("DEBUG", debugHelpLines)
}

// debugSleep blocks the whole server, as Redis does (strtod: a bad number sleeps 0).
func debugSleep(c *Client) {
	secs := leadingFloat(string(c.args[2]))
	if d := time.Duration(secs * float64(time.Second)); d > 0 {
		time.Sleep(d)
	}
	c.ok()
}

func debugSetActiveExpire(c *Client) {
	c.srv.activeExpireEnabled = leadingInt(c.args[2]) != 0
	c.ok()
}

func debugChangeReplID(c *Client) {
	c.srv.log.Info().Msg("changing replication ids after receiving DEBUG change-repl-id")
	c.srv.replID, c.srv.replID2 = newRunID(), zeroReplID
	c.ok()
}

func debugLog(c *Client) {
	c.srv.log.Warn().Str("message", string(c.args[2])).Msg("DEBUG LOG")
	c.ok()
}

// debugError replies its argument as an error, newlines mapped to spaces. Like Redis
// (which appends the raw reply) it is not counted in errorstats.
func debugError(c *Client) {
	msg := strings.NewReplacer("\r", " ", "\n", " ").Replace(string(c.args[2]))
	c.w.Error(msg)
}

func debugProtocol(c *Client) {
	w := &c.w
	switch strings.ToLower(string(c.args[2])) {
	case "string":
		w.BulkString("Hello World")
	case "integer":
		w.Int(12345)
	case "double":
		w.Double(3.141)
	case "bignum":
		if w.Proto == 3 {
			w.Raw([]byte("(1234567999999999999999999999999999999\r\n"))
		} else {
			w.BulkString("1234567999999999999999999999999999999")
		}
	case "null":
		w.Null()
	case "array":
		w.Array(3)
		for j := int64(0); j < 3; j++ {
			w.Int(j)
		}
	case "set":
		w.Set(3)
		for j := int64(0); j < 3; j++ {
			w.Int(j)
		}
	case "map":
		w.Map(3)
		for j := int64(0); j < 3; j++ {
			w.Int(j)
			w.Bool(j == 1)
		}
	case "attrib":
		if w.Proto == 3 {
			w.Raw([]byte("|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"))
		}
		w.BulkString("Some real reply following the attribute")
	case "push":
		if w.Proto < 3 {
			c.err(ErrRESP2Push)
			return
		}
		w.Push(2)
		w.BulkString("server-cpu-usage")
		w.Int(42)
		w.BulkString("Some real reply following the push reply")
	case "true":
		w.Bool(true)
	case "false":
		w.Bool(false)
	case "verbatim":
		w.Verbatim("This is a verbatim\nstring", "txt")
	default:
		c.err(ErrDebugProtocol)
	}
}

// debugObject is DEBUG OBJECT: low-level facts about a value (no expiry check).
func debugObject(c *Client) {
	s := c.srv
	o := c.db().Keys.Ref(k(c.args[2]))
	if o == nil {
		c.err(ErrNoSuchKey)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Value at:%p refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d",
		o, s.objectRefcount(o), objectEncoding(o), s.serializedLength(string(c.args[2]), o),
		o.LRU, s.objectIdleMs(o)/1000)
	if o.Type == store.TypeList {
		b.WriteString(s.quicklistInfo(o))
	}
	c.w.Simple(b.String())
}

// countWriter counts the bytes written to it.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// serializedLength is rdbSavedObjectLen: the size of the value's RDB encoding (without
// the type byte and the key), or 0 when the value cannot be encoded yet.
func (s *Server) serializedLength(key string, o *store.Object) int64 {
	e, err := s.objectToEntry(key, o, -1)
	if err != nil {
		return 0
	}
	e.Key, e.ExpireMs, e.Idle, e.Freq = nil, -1, -1, -1
	var cw countWriter
	enc := rdb.NewEncoder(&cw, s.rdbOptions())
	if enc.Entry(e) != nil || enc.Finish() != nil {
		return 0
	}
	// minus the type byte, the empty key's length byte, the EOF opcode and the checksum
	return cw.n - 2 - 9
}

// quicklistInfo is DEBUG OBJECT's ql_* suffix for a list. Vigil's lists are not
// quicklists: the node layout is what RPUSHing the elements into a fresh quicklist with
// the current list-max-listpack-size would give.
func (s *Server) quicklistInfo(o *store.Object) string {
	elems := collectionElements(o)
	fill := s.cfg.ListMaxListpackSize
	nodes, size, cur, count := 0, 0, 0, 0
	for i, e := range elems {
		sz := lpEntrySize(e)
		if i == 0 || !quicklistAllowInsert(fill, cur, count, len(e)) {
			nodes++
			cur, count = lpHeaderSize, 0
			size += lpHeaderSize
		}
		cur += sz
		count++
		size += sz
	}
	avg := 0.0
	if nodes > 0 {
		avg = float64(len(elems)) / float64(nodes)
	}
	compressed := 0
	if s.cfg.ListCompressDepth != 0 {
		compressed = 1
	}
	return fmt.Sprintf(" ql_nodes:%d ql_avg_node:%.2f ql_listpack_max:%d ql_compressed:%d ql_uncompressed_size:%d",
		nodes, avg, fill, compressed, size)
}

// lpHeaderSize is an empty listpack: 6 header bytes and the end byte.
const lpHeaderSize = 7

// quicklistAllowInsert is _quicklistNodeAllowInsert for a node of nodeSize bytes and
// count entries receiving an element of elemLen bytes.
func quicklistAllowInsert(fill, nodeSize, count, elemLen int) bool {
	const sizeEstimateOverhead = 8
	newSize := nodeSize + elemLen + sizeEstimateOverhead
	if fill >= 0 {
		return count+1 <= fill && newSize <= 8192
	}
	limits := [...]int{4096, 8192, 16384, 32768, 65536}
	idx := -fill - 1
	if idx >= len(limits) {
		idx = len(limits) - 1
	}
	return newSize <= limits[idx]
}

// lpEntrySize is the size of one listpack entry holding e.
func lpEntrySize(e []byte) int {
	var n int
	if v, ok := resp.ParseInt(e); ok && len(e) <= 20 {
		switch {
		case v >= 0 && v <= 127:
			n = 1
		case v >= -4096 && v <= 4095:
			n = 2
		case v >= -1<<15 && v < 1<<15:
			n = 3
		case v >= -1<<23 && v < 1<<23:
			n = 4
		case v >= -1<<31 && v < 1<<31:
			n = 5
		default:
			n = 9
		}
	} else {
		switch l := len(e); {
		case l < 64:
			n = 1 + l
		case l < 4096:
			n = 2 + l
		default:
			n = 5 + l
		}
	}
	switch {
	case n <= 127:
		return n + 1
	case n < 16383:
		return n + 2
	case n < 2097151:
		return n + 3
	case n < 268435455:
		return n + 4
	}
	return n + 5
}

// debugPopulate is DEBUG POPULATE count [prefix] [size]: string keys prefix:N holding
// "value:N" (padded with zero bytes or cut to size). Not propagated, as in Redis.
func debugPopulate(c *Client) {
	count, ok := resp.ParseInt(c.args[2])
	if !ok || count < 0 {
		c.err(ErrOutOfRange)
		return
	}
	var size int64
	if len(c.args) == 5 {
		if size, ok = resp.ParseInt(c.args[4]); !ok || size < 0 {
			c.err(ErrOutOfRange)
			return
		}
	}
	if size > maxValueAlloc && count > 0 {
		// Redis aborts for OUT OF MEMORY here; so does Vigil, with the same report
		// (a Go makeslice panic under the lock used to hang the server)
		c.srv.outOfMemory(uint64(size) + sdsOverhead)
	}
	prefix := "key"
	if len(c.args) >= 4 {
		prefix = string(c.args[3])
	}
	var kb, vb []byte
	for j := int64(0); j < count; j++ {
		kb = strconv.AppendInt(append(append(kb[:0], prefix...), ':'), j, 10)
		if c.lookupWrite(kb) != nil {
			continue
		}
		vb = strconv.AppendInt(append(vb[:0], "value:"...), j, 10)
		val := vb
		if size > 0 {
			val = make([]byte, size)
			copy(val, vb)
		} else {
			val = append([]byte(nil), vb...)
		}
		c.dbAdd(kb, store.NewEmbstrOrRaw(val))
		c.touch(kb)
	}
	c.ok()
}

func debugDigest(c *Client) {
	d := c.srv.datasetDigest()
	c.w.Simple(hex.EncodeToString(d[:]))
}

// debugDigestValue digests the listed keys' values (no expiry check: a debug command
// works on logically expired keys too).
func debugDigestValue(c *Client) {
	db := c.db()
	c.w.Array(len(c.args) - 2)
	for _, key := range c.args[2:] {
		var d digest
		if o := db.Keys.Ref(k(key)); o != nil {
			_, hasTTL := db.Expires.Get(k(key))
			d.object(o, hasTTL)
		}
		c.w.Simple(hex.EncodeToString(d[:]))
	}
}

// digest is a DEBUG DIGEST accumulator, Redis's unsigned char digest[20] (debug.c).
type digest [20]byte

// xor is xorDigest: digest ^= SHA1(p). Order-insensitive.
func (d *digest) xor(p []byte) {
	h := sha1.Sum(p)
	for i := range d {
		d[i] ^= h[i]
	}
}

// mix is mixDigest: digest = SHA1(digest ^ SHA1(p)). Order-sensitive.
func (d *digest) mix(p []byte) {
	d.xor(p)
	*d = sha1.Sum(d[:])
}

func (d *digest) mixString(s string) { d.mix([]byte(s)) }

// Redis's object type numbers (OBJ_STRING...), mixed into the digest.
func redisTypeNumber(t store.Type) uint32 {
	switch t {
	case store.TypeList:
		return 1
	case store.TypeSet:
		return 2
	case store.TypeZSet:
		return 3
	case store.TypeHash:
		return 4
	}
	return 0
}

// The collection views the digest needs; the set, hash and sorted set types of store
// implement them.
type (
	digestSet interface {
		Range(fn func(member string) bool)
	}
	digestHash interface {
		Range(fn func(field, value string) bool)
	}
	digestZSet interface {
		Range(reverse bool, fn func(member string, score float64) bool)
	}
)

// object is xorObjectDigest: it mixes the type and the value of o into d, then the
// expire marker.
func (d *digest) object(o *store.Object, hasTTL bool) {
	var aux [4]byte
	binary.BigEndian.PutUint32(aux[:], redisTypeNumber(o.Type))
	d.mix(aux[:])
	switch o.Type {
	case store.TypeString:
		d.mix(o.Str)
	case store.TypeList:
		for _, e := range collectionElements(o) {
			d.mix(e)
		}
	case store.TypeSet:
		if set, ok := o.Ptr.(digestSet); ok {
			set.Range(func(m string) bool { d.xor([]byte(m)); return true })
		}
	case store.TypeZSet:
		if z, ok := o.Ptr.(digestZSet); ok {
			var buf []byte
			z.Range(false, func(m string, score float64) bool {
				var ed digest
				ed.mixString(m)
				buf = resp.AppendDouble(buf[:0], score)
				ed.mix(buf)
				d.xor(ed[:])
				return true
			})
		}
	case store.TypeHash:
		if h, ok := o.Ptr.(digestHash); ok {
			h.Range(func(f, v string) bool {
				var ed digest
				ed.mixString(f)
				ed.mixString(v)
				d.xor(ed[:])
				return true
			})
		}
	}
	if hasTTL {
		d.xor([]byte("!!expire!!"))
	}
}

// datasetDigest is computeDatasetDigest: for each non-empty database, its id is mixed
// into the result, then every key's digest (key mixed, then its value) is xored in.
// An empty dataset gives twenty zero bytes.
func (s *Server) datasetDigest() digest {
	var final digest
	for _, db := range s.dbs {
		if db.Keys.Len() == 0 {
			continue
		}
		var aux [4]byte
		binary.BigEndian.PutUint32(aux[:], uint32(db.ID))
		final.mix(aux[:])
		db.Keys.Range(func(key string, o store.Object) bool {
			var d digest
			d.mixString(key)
			_, hasTTL := db.Expires.Get(key)
			d.object(&o, hasTTL)
			final.xor(d[:])
			return true
		})
	}
	return final
}

// leadingFloat parses the longest leading float of s as C's strtod does (0 when none).
func leadingFloat(s string) float64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	for end := len(s); end > 0; end-- {
		if f, err := strconv.ParseFloat(s[:end], 64); err == nil {
			return f
		} else if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f
		}
	}
	return 0
}

// leadingInt parses the leading integer of b as C's atoi does (0 when none).
func leadingInt(b []byte) int64 {
	s := strings.TrimLeft(string(b), " \t\n\v\f\r")
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.ParseInt(s[:end], 10, 64)
	return n
}

// debugHelpLines is DEBUG HELP's text as Redis 7.0.15 prints it, for the subcommands
// Vigil implements (no allocator, cluster or encoding internals to show).
var debugHelpLines = []string{
	"AOF-FLUSH-SLEEP <microsec>",
	"    Server will sleep before flushing the AOF, this is used for testing.",
	"ASSERT",
	"    Crash by assertion failed.",
	"CHANGE-REPL-ID",
	"    Change the replication IDs of the instance.",
	"    Dangerous: should be used only for testing the replication subsystem.",
	"DIGEST",
	"    Output a hex signature representing the current DB content.",
	"DIGEST-VALUE <key> [<key> ...]",
	"    Output a hex signature of the values of all the specified keys.",
	"ERROR <string>",
	"    Return a Redis protocol error with <string> as message. Useful for clients",
	"    unit tests to simulate Redis errors.",
	"LEAK <string>",
	"    Create a memory leak of the input string.",
	"LOG <message>",
	"    Write <message> to the server log.",
	"HTSTATS <dbid>",
	"    Return hash table statistics of the specified Redis database.",
	"HTSTATS-KEY <key>",
	"    Like HTSTATS but for the hash table stored at <key>'s value.",
	"LOADAOF",
	"    Flush the AOF buffers on disk and reload the AOF in memory.",
	"OBJECT <key>",
	"    Show low level info about `key` and associated value.",
	"OOM",
	"    Crash the server simulating an out-of-memory error.",
	"PANIC",
	"    Crash the server simulating a panic.",
	"POPULATE <count> [<prefix>] [<size>]",
	"    Create <count> string keys named key:<num>. If <prefix> is specified then",
	"    it is used instead of the 'key' prefix. These are not propagated to",
	"    replicas. Cluster slots are not respected so keys not belonging to the",
	"    current node can be created in cluster mode.",
	"PROTOCOL <type>",
	"    Reply with a test value of the specified type. <type> can be: string,",
	"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
	"    true, false.",
	"RELOAD [option ...]",
	"    Save the RDB on disk and reload it back to memory. Valid <option> values:",
	"    * MERGE: conflicting keys will be loaded from RDB.",
	"    * NOFLUSH: the existing database will not be removed before load, but",
	"      conflicting keys will generate an exception and kill the server.",
	"    * NOSAVE: the database will be loaded from an existing RDB file.",
	"    Examples:",
	"    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
	"      the database.",
	"    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
	"      existing RDB file.",
	"    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
	"      file to the database.",
	"SEGFAULT",
	"    Crash the server with sigsegv.",
	"SET-ACTIVE-EXPIRE <0|1>",
	"    Setting it to 0 disables expiring keys in background when they are not",
	"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
	"    default.",
	"QUICKLIST-PACKED-THRESHOLD <size>",
	"    Sets the threshold for elements to be inserted as plain vs packed nodes",
	"    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
	"SET-SKIP-CHECKSUM-VALIDATION <0|1>",
	"    Enables or disables checksum checks for RDB files and RESTORE's payload.",
	"SLEEP <seconds>",
	"    Stop the server for <seconds>. Decimals allowed.",
	"PAUSE-CRON <0|1>",
	"    Stop periodic cron job processing.",
	"REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
	"    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
	"    In case NEVER is provided the last observed peak will never be reset",
	"    In case RESET is provided the peak reset time will be restored to the default value",
	"REPLYBUFFER RESIZING <0|1>",
	"    Enable or disable the reply buffer resize cron job",
}

// debugReload is DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the dump, empty the
// dataset, load the dump back (with the execution lock held throughout, as Redis blocks).
func debugReload(c *Client) {
	flush, save, merge := true, true, false
	for _, a := range c.args[2:] {
		switch {
		case argEqualFold(a, "merge"):
			merge = true
		case argEqualFold(a, "noflush"):
			flush = false
		case argEqualFold(a, "nosave"):
			save = false
		default:
			c.err("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
			return
		}
	}
	s := c.srv
	if save {
		if err := s.saveLocked(); err != nil {
			c.err("ERR")
			return
		}
	}
	if flush {
		for _, db := range s.dbs {
			db.Keys = store.NewDict[store.Object]()
			db.Expires = store.NewDict[int64]()
		}
	}
	f, err := os.Open(s.dumpPath())
	if err != nil {
		c.err("ERR Error trying to load the RDB dump")
		return
	}
	defer f.Close()
	if _, _, err := s.loadRDB(f, loadOptions{locked: true, merge: merge}); err != nil {
		s.log.Warn().Err(err).Msg("DEBUG RELOAD failed to load the dump")
		c.err("ERR Error trying to load the RDB dump")
		return
	}
	s.log.Warn().Msg("DB reloaded by DEBUG RELOAD")
	c.ok()
}
