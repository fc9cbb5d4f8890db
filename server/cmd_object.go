package server

import (
	"math"

	"github.com/vigil-db/vigil/resp"
	"github.com/vigil-db/vigil/store"
)

const (
	// sharedRefcount is OBJ_SHARED_REFCOUNT, the refcount Redis reports for shared objects.
	sharedRefcount = math.MaxInt32
	// sharedIntegers is OBJ_SHARED_INTEGERS: integers below it are shared when the
	// eviction policy does not need per-object LRU/LFU data.
	sharedIntegers = 10000
)

// objectCommand returns the OBJECT container.
func objectCommand() *Command {
	keyed := func(c *Command) *Command {
		c.FirstKey, c.LastKey, c.Step = 2, 2, 1
		return c
	}
	return &Command{
		Name: "object", Arity: -2, Group: "generic",
		Subs: subs(
			keyed(sub("object", "encoding", 3, FlagReadonly, cmdObjectEncoding)),
			keyed(sub("object", "refcount", 3, FlagReadonly, cmdObjectRefcount)),
			keyed(sub("object", "idletime", 3, FlagReadonly, cmdObjectIdletime)),
			keyed(sub("object", "freq", 3, FlagReadonly, cmdObjectFreq)),
			sub("object", "help", 2, FlagLoading|FlagStale, cmdObjectHelp),
		),
	}
}

// objectLookup is objectCommandLookup: a read lookup that expires the key and counts
// hits and misses but neither touches the LRU/LFU data nor fires keymiss. A missing key
// replies a null.
func (c *Client) objectLookup() *store.Object {
	s := c.srv
	db := c.db()
	key := k(c.args[2])
	o := db.Keys.Ref(key)
	if o != nil && s.expireIfNeeded(c, db, key, false) {
		o = nil
	}
	if o == nil {
		s.stats.keyspaceMiss++
		c.w.Null()
		return nil
	}
	s.stats.keyspaceHits++
	return o
}

// objectEncoding is the name OBJECT ENCODING reports for o.
func objectEncoding(o *store.Object) string {
	if o.Type == store.TypeString {
		return o.Enc.String()
	}
	if e, ok := o.Ptr.(interface{ Encoding() string }); ok {
		return e.Encoding()
	}
	return "unknown"
}

func cmdObjectEncoding(c *Client) {
	if o := c.objectLookup(); o != nil {
		c.w.BulkString(objectEncoding(o))
	}
}

// objectRefcount approximates Redis's refcount: small integers are shared objects
// unless maxmemory is set with an LRU or LFU policy (tryObjectEncoding); everything
// else has one reference.
func (s *Server) objectRefcount(o *store.Object) int64 {
	if o.Type != store.TypeString || o.Enc != store.EncInt {
		return 1
	}
	if s.cfg.MaxMemory != 0 && (s.policyLRU() || s.policyLFU()) {
		return 1
	}
	if v, ok := resp.ParseInt(o.Str); ok && v >= 0 && v < sharedIntegers {
		return sharedRefcount
	}
	return 1
}

func cmdObjectRefcount(c *Client) {
	if o := c.objectLookup(); o != nil {
		c.w.Int(c.srv.objectRefcount(o))
	}
}

func cmdObjectIdletime(c *Client) {
	o := c.objectLookup()
	if o == nil {
		return
	}
	if c.srv.policyLFU() {
		c.err(ErrLFUIdleTime)
		return
	}
	c.w.Int(c.srv.objectIdleMs(o) / 1000)
}

func cmdObjectFreq(c *Client) {
	o := c.objectLookup()
	if o == nil {
		return
	}
	if !c.srv.policyLFU() {
		c.err(ErrLFUNotSelected)
		return
	}
	c.w.Int(int64(c.srv.lfuDecrAndReturn(o)))
}

func cmdObjectHelp(c *Client) {
	c.replyHelpLines("OBJECT", []string{
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
	})
}
