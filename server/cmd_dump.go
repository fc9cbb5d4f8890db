package server

import (
	"strconv"

	"github.com/vigil-db/vigil/rdb"
	"github.com/vigil-db/vigil/resp"
)

// dumpCommands returns DUMP and RESTORE (Redis's serialized value format).
func dumpCommands() []*Command {
	return []*Command{
		{Name: "dump", Arity: 2, Flags: FlagReadonly, FirstKey: 1, LastKey: 1, Step: 1, Handler: cmdDump, Group: "generic"},
		{Name: "restore", Arity: -4, Flags: FlagWrite | FlagDenyOOM | FlagArrivalOrder, FirstKey: 1, LastKey: 1, Step: 1, Handler: cmdRestore, Group: "generic"},
	}
}

func cmdDump(c *Client) {
	o := c.lookupRead(c.args[1])
	if o == nil {
		c.w.Null()
		return
	}
	e, err := c.srv.objectToEntry(string(c.args[1]), o, -1)
	if err != nil {
		c.err("ERR " + err.Error())
		return
	}
	c.w.Bulk(rdb.DumpPayload(e, c.srv.rdbOptions()))
}

type restoreOpts struct {
	replace, absTTL bool
	idle, freq      int64
}

func parseRestoreOpts(c *Client) (restoreOpts, bool) {
	o := restoreOpts{idle: -1, freq: -1}
	for j := 4; j < len(c.args); j++ {
		more := len(c.args) - j - 1
		a := c.args[j]
		switch {
		case argEqualFold(a, "replace"):
			o.replace = true
		case argEqualFold(a, "absttl"):
			o.absTTL = true
		case argEqualFold(a, "idletime") && more >= 1 && o.freq == -1:
			v, ok := resp.ParseInt(c.args[j+1])
			if !ok {
				c.err(ErrNotInt)
				return o, false
			}
			if v < 0 {
				c.err("ERR Invalid IDLETIME value, must be >= 0")
				return o, false
			}
			o.idle = v
			j++
		case argEqualFold(a, "freq") && more >= 1 && o.idle == -1:
			v, ok := resp.ParseInt(c.args[j+1])
			if !ok {
				c.err(ErrNotInt)
				return o, false
			}
			if v < 0 || v > 255 {
				c.err("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return o, false
			}
			o.freq = v
			j++
		default:
			c.err(ErrSyntax)
			return o, false
		}
	}
	return o, true
}

// cmdRestore is RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f], with
// Redis 7.0's checks in its order and its propagation (relative TTL made absolute).
func cmdRestore(c *Client) {
	opts, ok := parseRestoreOpts(c)
	if !ok {
		return
	}
	key := c.args[1]
	if !opts.replace && c.lookupWrite(key) != nil {
		c.err("BUSYKEY Target key name already exists.")
		return
	}
	ttl, ok := resp.ParseInt(c.args[2])
	if !ok {
		c.err(ErrNotInt)
		return
	}
	if ttl < 0 {
		c.err("ERR Invalid TTL value, must be >= 0")
		return
	}
	e, err := rdb.ParseDumpPayload(c.args[3], !c.srv.cfg.RDBChecksum)
	if err == rdb.ErrDumpPayload {
		c.err("ERR DUMP payload version or checksum are wrong")
		return
	}
	if err != nil {
		c.err("ERR Bad data format")
		return
	}
	e.Key = key
	obj, err := c.srv.entryToObject(e)
	if err != nil {
		c.err("ERR Bad data format")
		return
	}
	deleted := false
	if opts.replace {
		deleted = c.dbDelete(key)
	}
	if ttl > 0 && !opts.absTTL {
		ttl += c.now()
	}
	if ttl > 0 && ttl <= c.now() && !c.srv.isReplica() {
		if deleted {
			cmd := argDel
			if c.srv.cfg.LazyfreeLazyServerDel {
				cmd = argUnlink
			}
			c.propagate(cmd, key)
			c.touch(key)
			c.notify(NotifyGeneric, "del", key)
			c.srv.dirty++
		}
		c.ok()
		return
	}
	c.srv.setLRUOrLFU(c.dbAdd(key, obj), opts.freq, opts.idle)
	if ttl > 0 {
		c.setExpire(key, ttl)
		if !opts.absTTL {
			argv := append([][]byte{}, c.args...)
			argv[2] = strconv.AppendInt(nil, ttl, 10)
			argv = append(argv, []byte("ABSTTL"))
			c.propagate(argv...)
		}
	}
	c.touch(key)
	c.notify(NotifyGeneric, "restore", key)
	c.addDirty(1)
	c.ok()
}
