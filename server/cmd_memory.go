package server

import (
	"fmt"
	"runtime/debug"

	"github.com/vigil-db/vigil/resp"
	"github.com/vigil-db/vigil/store"
)

// Sizes MEMORY USAGE adds up, those of Redis's structures on a 64-bit build, so that
// its figures are comparable with Redis's: Vigil has no allocator to ask for the size
// of one value, and a value's real footprint in the Go heap is close to these.
const (
	robjSize       = 16 // sizeof(robj)
	dictEntrySize  = 24 // sizeof(dictEntry)
	dictSize       = 56 // sizeof(dict)
	bucketSize     = 8  // one hash table slot
	sdsHeaderSize  = 3  // sds header (type 8) and the terminator
	listNodeSize   = 32 // quicklistNode
	skiplistNode   = 48 // zskiplistNode with one level, plus the dict entry pointing at it
	listpackHeader = 7  // listpack total bytes, count and end byte
	intsetHeader   = 8  // intset encoding and length
	defaultSamples = 5  // MEMORY USAGE's default SAMPLES
)

// memoryCommand returns the MEMORY container.
func memoryCommand() *Command {
	usage := sub("memory", "usage", -3, FlagReadonly, cmdMemoryUsage)
	usage.FirstKey, usage.LastKey, usage.Step = 2, 2, 1
	return &Command{
		Name: "memory", Arity: -2, Group: "server",
		Subs: subs(
			usage,
			sub("memory", "stats", 2, 0, cmdMemoryStats),
			sub("memory", "doctor", 2, 0, cmdMemoryDoctor),
			sub("memory", "malloc-stats", 2, 0, cmdMemoryMallocStats),
			sub("memory", "purge", 2, 0, cmdMemoryPurge),
			sub("memory", "help", 2, FlagLoading|FlagStale, cmdMemoryHelp),
		),
	}
}

// cmdMemoryUsage is MEMORY USAGE key [SAMPLES count]: the bytes the key and its value
// take, nested values estimated from count sampled elements (0: all of them).
func cmdMemoryUsage(c *Client) {
	samples := int64(defaultSamples)
	for i := 3; i < len(c.args); i++ {
		if !argEqualFold(c.args[i], "samples") || i+1 >= len(c.args) {
			c.err(ErrSyntax)
			return
		}
		v, ok := resp.ParseInt(c.args[i+1])
		if !ok {
			c.err(ErrNotInt)
			return
		}
		if v < 0 {
			c.err(ErrSyntax)
			return
		}
		samples = v
		if samples == 0 {
			samples = -1 // all of them
		}
		i++
	}
	o := c.db().Keys.Ref(k(c.args[2])) // dictFind: neither expiry nor statistics, as Redis
	if o == nil {
		c.w.Null()
		return
	}
	c.w.Int(valueUsage(o, int(samples)) + sdsSize(len(c.args[2])) + dictEntrySize)
}

// sdsSize is the size of an sds string of n bytes.
func sdsSize(n int) int64 { return int64(n + sdsHeaderSize) }

// valueUsage is objectComputeSize: the value's size, its elements' sizes estimated from
// the first samples of them (all when samples < 0).
func valueUsage(o *store.Object, samples int) int64 {
	switch v := o.Ptr.(type) {
	case *store.List:
		return robjSize + sampledSize(v.Len(), samples, listNodeSize, func(i int) int64 { return sdsSize(len(v.At(i))) })
	case *store.Set:
		if v.IsIntset() {
			return robjSize + intsetHeader + 8*int64(v.Len())
		}
		return robjSize + dictSize + bucketSize*int64(v.Dict().Buckets()) +
			rangeSize(v.Len(), samples, dictEntrySize, func(fn func(string, string) bool) {
				v.Range(func(m string) bool { return fn(m, "") })
			})
	case *store.Hash:
		if v.IsListpack() {
			return robjSize + listpackHeader + rangeSize(v.Len(), -1, 4, v.Range)
		}
		return robjSize + dictSize + bucketSize*int64(v.Dict().Buckets()) + rangeSize(v.Len(), samples, dictEntrySize, v.Range)
	case *store.ZSet:
		it := v.At(0)
		node := int64(skiplistNode)
		if v.IsListpack() {
			node = 4 + 9 // member header and the score
		}
		return robjSize + sampledSize(v.Len(), samples, node, func(int) int64 {
			n := sdsSize(len(it.Member()))
			it.Next()
			return n
		})
	}
	if o.Enc == store.EncInt {
		return robjSize
	}
	return robjSize + sdsSize(len(o.Str))
}

// sampledSize adds up per-element sizes: size(i) of the first samples elements (in
// order) plus per each, scaled to all n.
func sampledSize(n, samples int, per int64, size func(i int) int64) int64 {
	if n == 0 {
		return 0
	}
	m := n
	if samples >= 0 && samples < n {
		m = samples
	}
	var sum int64
	for i := 0; i < m; i++ {
		sum += per + size(i)
	}
	return sum * int64(n) / int64(max(m, 1))
}

// rangeSize is sampledSize for the values that are walked with a Range function.
func rangeSize(n, samples int, per int64, walk func(fn func(a, b string) bool)) int64 {
	if n == 0 {
		return 0
	}
	var sum int64
	m := 0
	walk(func(a, b string) bool {
		sum += per + sdsSize(len(a))
		if b != "" {
			sum += sdsSize(len(b))
		}
		m++
		return samples < 0 || m < samples
	})
	return sum * int64(n) / int64(max(m, 1))
}

// memoryStatsFields are the scalar fields of MEMORY STATS, in Redis's order.
func (s *Server) memoryStatsFields(m StatsMemory) []struct {
	name string
	val  int64
} {
	keys := s.totalKeys()
	perKey := int64(0)
	if keys > 0 {
		perKey = (m.Used - m.Startup) / keys
	}
	return []struct {
		name string
		val  int64
	}{
		{"peak.allocated", m.Peak}, {"total.allocated", m.Used}, {"startup.allocated", m.Startup},
		{"replication.backlog", m.ReplBacklog}, {"clients.slaves", m.ClientsSlaves},
		{"clients.normal", m.ClientsNormal}, {"cluster.links", 0}, {"aof.buffer", m.AOFBuffer}, {"lua.caches", 0}, {"functions.caches", 0}, {"overhead.total", m.Overhead},
		{"keys.count", keys}, {"keys.bytes-per-key", perKey}, {"dataset.bytes", m.Dataset},
	}
}

// cmdMemoryStats is MEMORY STATS: the figures of INFO memory as a map, with each
// non-empty database's table overheads, as Redis's getMemoryOverheadData reports them.
func cmdMemoryStats(c *Client) {
	s := c.srv
	m := s.memoryStats()
	fields := s.memoryStatsFields(m)
	var dbs []*store.DB
	for _, db := range s.dbs {
		if db.Len() > 0 || db.Expires.Len() > 0 {
			dbs = append(dbs, db)
		}
	}
	// the scalar fields, one entry per non-empty database, then the 2 percentages and the
	// 11 allocator entries of memoryStatsAllocator
	c.w.Map(len(fields) + len(dbs) + 13)
	for i, f := range fields {
		if i == len(fields)-3 {
			for _, db := range dbs {
				c.w.BulkString(fmt.Sprintf("db.%d", db.ID))
				c.w.Map(2)
				c.w.BulkString("overhead.hashtable.main")
				c.w.Int(int64(db.Keys.Buckets())*bucketSize + int64(db.Len())*(dictEntrySize+robjSize))
				c.w.BulkString("overhead.hashtable.expires")
				c.w.Int(int64(db.Expires.Buckets())*bucketSize + int64(db.Expires.Len())*dictEntrySize)
			}
		}
		c.w.BulkString(f.name)
		c.w.Int(f.val)
	}
	rss := float64(m.RSS)
	ratios := []struct {
		name string
		val  float64
	}{
		{"dataset.percentage", 100 * float64(m.Dataset) / float64(max(m.Used-m.Startup, 1))},
		{"peak.percentage", 100 * float64(m.Used) / float64(max(m.Peak, 1))},
	}
	for _, r := range ratios {
		c.w.BulkString(r.name)
		c.w.Double(r.val)
	}
	c.memoryStatsAllocator(m, rss)
}

// memoryStatsAllocator writes the allocator part of MEMORY STATS (the Go heap's figures).
func (c *Client) memoryStatsAllocator(m StatsMemory, rss float64) {
	ints := []struct {
		name string
		val  int64
	}{{"allocator.allocated", m.Allocated}, {"allocator.active", m.Active}, {"allocator.resident", m.Resident}}
	for _, f := range ints {
		c.w.BulkString(f.name)
		c.w.Int(f.val)
	}
	pairs := []struct {
		name string
		a, b int64
	}{
		{"allocator-fragmentation", m.Active, m.Allocated},
		{"allocator-rss", m.Resident, m.Active},
		{"rss-overhead", m.RSS, m.Resident},
	}
	for _, p := range pairs {
		c.w.BulkString(p.name + ".ratio")
		c.w.Double(float64(p.a) / float64(max(p.b, 1)))
		c.w.BulkString(p.name + ".bytes")
		c.w.Int(p.a - p.b)
	}
	c.w.BulkString("fragmentation")
	c.w.Double(rss / float64(max(m.Used, 1)))
	c.w.BulkString("fragmentation.bytes")
	c.w.Int(m.RSS - m.Used)
}

// memoryDoctorEmpty is the dataset size under which MEMORY DOCTOR has nothing to say.
const memoryDoctorEmpty = 5 << 20

// cmdMemoryDoctor is MEMORY DOCTOR. Vigil's memory is the Go heap: the allocator
// problems Redis looks for (fragmentation of jemalloc's arenas) do not arise, so the
// report is Redis's "empty" or "no issue" one.
func cmdMemoryDoctor(c *Client) {
	m := c.srv.memoryStats()
	if m.Used-m.Startup < memoryDoctorEmpty {
		c.w.Verbatim("Hi Sam, this instance is empty or is using very little memory, my issues detector can't be "+
			"used in these conditions. Please, leave for your mission on Earth and fill it with some data. "+
			"The new Sam and I will be back to our programming as soon as I finished rebooting.", "txt")
		return
	}
	c.w.Verbatim("Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs "+
		"on this base.", "txt")
}

// cmdMemoryMallocStats is MEMORY MALLOC-STATS: Redis's reply for an allocator without
// statistics (mem_allocator is libc).
func cmdMemoryMallocStats(c *Client) {
	c.w.BulkString("Stats not supported for the current allocator")
}

// cmdMemoryPurge is MEMORY PURGE: the Go heap's unused pages go back to the system.
func cmdMemoryPurge(c *Client) {
	debug.FreeOSMemory()
	c.ok()
}

func cmdMemoryHelp(c *Client) {
	c.replyHelpLines("MEMORY", []string{
		"DOCTOR",
		"    Return memory problems reports.",
		"MALLOC-STATS",
		"    Return internal statistics report from the memory allocator.",
		"PURGE",
		"    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS",
		"    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
	})
}
