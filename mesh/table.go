package mesh

import (
	"sort"
	"sync"
)

// table is the mesh's memory of what it has seen, used to drop stale and duplicate
// messages and to build the push/pull state. It makes no decision beyond "newer or not".
// Safe for concurrent use (one mutex, never held while calling out).
type table struct {
	mu       sync.Mutex
	opinions map[opinionKey]record
	configs  map[string]configRecord
	leaves   map[string]leaveRecord
}

// opinionKey identifies the newest-wins slot of an opinion.
type opinionKey struct {
	origin, master, addr string
}

// record is an accepted message and its encoding (kept for push/pull).
type record struct {
	lamport uint64
	raw     []byte
}

// leaveRecord is the newest leave intent of a member; it stays (inactive) after the
// member rejoins, so that late relayed copies of it are recognised as old.
type leaveRecord struct {
	lamport uint64
	active  bool
}

// configRecord is the newest known config of one master.
type configRecord struct {
	cfg MasterConfig
	raw []byte
}

func newTable() *table {
	return &table{
		opinions: make(map[opinionKey]record),
		configs:  make(map[string]configRecord),
		leaves:   make(map[string]leaveRecord),
	}
}

// acceptOpinion stores op if it is newer than what origin said before about the same
// instance, and reports whether it was.
func (t *table) acceptOpinion(origin string, lamport uint64, op Opinion, raw []byte) bool {
	k := opinionKey{origin, op.Master, op.Addr}
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.opinions[k]; ok && old.lamport >= lamport {
		return false
	}
	t.opinions[k] = record{lamport: lamport, raw: raw}
	return true
}

// configVerdict is the outcome of offering a config to the table.
type configVerdict uint8

const (
	configNew  configVerdict = iota // newer epoch: stored
	configSame                      // same epoch and address: a duplicate
	configOld                       // older epoch, or same epoch with another address
)

// acceptConfig stores cfg if its epoch is newer than the known one for the master.
func (t *table) acceptConfig(cfg MasterConfig, raw []byte) configVerdict {
	t.mu.Lock()
	defer t.mu.Unlock()
	old, ok := t.configs[cfg.Master]
	switch {
	case !ok || cfg.Epoch > old.cfg.Epoch:
		t.configs[cfg.Master] = configRecord{cfg: cfg, raw: raw}
		return configNew
	case cfg.Epoch == old.cfg.Epoch && cfg.Addr == old.cfg.Addr:
		return configSame
	}
	return configOld
}

// config returns the newest known config of master.
func (t *table) config(master string) (MasterConfig, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, ok := t.configs[master]
	return c.cfg, ok
}

// acceptLeave records a leave intent of origin if newer than a previous one.
func (t *table) acceptLeave(origin string, lamport uint64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.leaves[origin]; ok && old.lamport >= lamport {
		return false
	}
	t.leaves[origin] = leaveRecord{lamport: lamport, active: true}
	return true
}

// leaving reports whether name announced a graceful leave.
func (t *table) leaving(name string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.leaves[name].active
}

// joined deactivates the leave intent of a member that (re)joined (its Lamport time is
// kept, so late copies stay old). Its opinions are kept:
// a restarted member's clock moves past them through push/pull (the state carries the
// sender's clock), and dropping them would let older relayed copies back in.
func (t *table) joined(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r, ok := t.leaves[name]; ok {
		r.active = false
		t.leaves[name] = r
	}
}

// snapshot returns the encodings of every stored opinion and config, configs first,
// in a deterministic order.
func (t *table) snapshot() [][]byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	masters := make([]string, 0, len(t.configs))
	for m := range t.configs {
		masters = append(masters, m)
	}
	sort.Strings(masters)
	items := make([][]byte, 0, len(t.configs)+len(t.opinions))
	for _, m := range masters {
		items = append(items, t.configs[m].raw)
	}
	keys := make([]opinionKey, 0, len(t.opinions))
	for k := range t.opinions {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.origin != b.origin {
			return a.origin < b.origin
		}
		if a.master != b.master {
			return a.master < b.master
		}
		return a.addr < b.addr
	})
	for _, k := range keys {
		items = append(items, t.opinions[k].raw)
	}
	return items
}
