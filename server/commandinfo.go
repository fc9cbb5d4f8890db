package server

import (
	_ "embed"
	"sort"
	"strings"
	"sync"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/resp"
)

//go:generate go run ./internal/gencommands -addr 127.0.0.1:6379 -out commanddata

// The command metadata of Redis 7.0.15, captured in RESP3 by internal/gencommands:
// the reply of COMMAND (every command's COMMAND INFO entry) and of COMMAND DOCS.
var (
	//go:embed commanddata/info.resp3
	commandInfoData []byte
	//go:embed commanddata/docs.resp3
	commandDocsData []byte
)

// rnode is a parsed RESP3 value of the command metadata.
type rnode = resp.Value

// parseRNode parses one RESP3 value of the embedded metadata.
// Malformed embedded metadata is a broken invariant.
func parseRNode(b []byte) *rnode {
	v, _, err := resp.ParseValue(b)
	if err != nil {
		panic("server: malformed embedded command metadata: " + err.Error())
	}
	return v
}

// redisMeta is Redis's metadata for one command or subcommand.
type redisMeta struct {
	info *rnode // COMMAND INFO entry: name, arity, flags, first, last, step, acl, tips, key specs, subcommands
	docs *rnode // COMMAND DOCS map (without the name)
}

func (m *redisMeta) arity() int      { return int(m.info.Elems[1].Int) }
func (m *redisMeta) flags() []string { return m.info.Elems[2].Strings() }
func (m *redisMeta) keyPos() (int, int, int) {
	e := m.info.Elems
	return int(e[3].Int), int(e[4].Int), int(e[5].Int)
}
func (m *redisMeta) aclCategories() []string { return m.info.Elems[6].Strings() }
func (m *redisMeta) keySpecs() []*rnode      { return m.info.Elems[8].Elems }

var (
	redisMetaOnce sync.Once
	redisMetaMap  map[string]*redisMeta // by lower-case name, "container|sub" for subcommands
)

// redisCommandMeta returns the embedded metadata of every Redis 7.0.15 command by name.
func redisCommandMeta() map[string]*redisMeta {
	redisMetaOnce.Do(func() {
		m := map[string]*redisMeta{}
		info := parseRNode(commandInfoData)
		var addInfo func(list []*rnode)
		addInfo = func(list []*rnode) {
			for _, e := range list {
				m[e.Elems[0].Str] = &redisMeta{info: e}
				addInfo(e.Elems[9].Elems)
			}
		}
		addInfo(info.Elems)
		docs := parseRNode(commandDocsData)
		var addDocs func(d *rnode)
		addDocs = func(d *rnode) {
			for i := 0; i+1 < len(d.Elems); i += 2 {
				if meta := m[d.Elems[i].Str]; meta != nil {
					meta.docs = d.Elems[i+1]
				}
				if subs := d.Elems[i+1].Get("subcommands"); subs != nil {
					addDocs(subs)
				}
			}
		}
		addDocs(docs)
		redisMetaMap = m
	})
	return redisMetaMap
}

// commandInfoCache holds the encoded COMMAND INFO and DOCS entries of each command of
// the server's table, filtered to the subcommands Vigil has, per protocol.
type commandInfoCache struct {
	once sync.Once
	info map[string]*rnode // name -> filtered INFO entry
	docs map[string]*rnode // name -> filtered DOCS map
	enc  [2]map[string][]byte
	doc  [2]map[string][]byte
}

// cmdInfoCache is built once: every server has the same command table.
var cmdInfoCache commandInfoCache

func (s *Server) commandMeta() *commandInfoCache {
	ci := &cmdInfoCache
	ci.once.Do(func() {
		meta := redisCommandMeta()
		ci.info = map[string]*rnode{}
		ci.docs = map[string]*rnode{}
		for name, cmd := range s.origCmds {
			m := meta[name]
			if m == nil {
				// a command Redis 7.0.15 does not have: describe it from Vigil's table
				ci.info[name] = synthInfo(cmd)
				ci.docs[name] = synthDocs(cmd)
				continue
			}
			ci.info[name] = filterInfo(m.info, cmd)
			for _, sc := range cmd.Subs {
				if sm := meta[sc.Name]; sm != nil {
					ci.info[sc.Name] = sm.info
					if sm.docs != nil {
						ci.docs[sc.Name] = sm.docs
					}
				}
			}
			if m.docs != nil {
				ci.docs[name] = filterDocs(m.docs, cmd)
			} else {
				ci.docs[name] = synthDocs(cmd)
			}
		}
		for p := 0; p < 2; p++ {
			ci.enc[p] = map[string][]byte{}
			ci.doc[p] = map[string][]byte{}
			for name, n := range ci.info {
				w := resp.Writer{Proto: p + 2}
				n.Write(&w)
				ci.enc[p][name] = w.B
			}
			for name, n := range ci.docs {
				w := resp.Writer{Proto: p + 2}
				n.Write(&w)
				ci.doc[p][name] = w.B
			}
		}
	})
	return ci
}

// synthInfo builds a COMMAND INFO entry from Vigil's table, in Redis's RESP3 shapes.
func synthInfo(cmd *Command) *rnode {
	flags := &rnode{Kind: '~'}
	for _, f := range cmd.Flags.Names() {
		flags.Elems = append(flags.Elems, &rnode{Kind: '+', Str: f})
	}
	subcmds := &rnode{Kind: '~'}
	for _, name := range sortedSubNames(cmd) {
		subcmds.Elems = append(subcmds.Elems, synthInfo(cmd.Subs[name]))
	}
	return &rnode{Kind: '*', Elems: []*rnode{
		{Kind: '$', Str: cmd.Name}, {Kind: ':', Int: int64(cmd.Arity)}, flags,
		{Kind: ':', Int: int64(cmd.FirstKey)}, {Kind: ':', Int: int64(cmd.LastKey)}, {Kind: ':', Int: int64(cmd.Step)},
		{Kind: '~'}, {Kind: '~'}, {Kind: '~'}, subcmds,
	}}
}

// synthDocs builds a COMMAND DOCS map from Vigil's table: its group only.
func synthDocs(cmd *Command) *rnode {
	return &rnode{Kind: '%', Elems: []*rnode{{Kind: '$', Str: "group"}, {Kind: '$', Str: cmd.Group}}}
}

func sortedSubNames(cmd *Command) []string {
	names := make([]string, 0, len(cmd.Subs))
	for name := range cmd.Subs {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// filterInfo returns the INFO entry keeping only the subcommands cmd has.
func filterInfo(info *rnode, cmd *Command) *rnode {
	if len(info.Elems[9].Elems) == 0 {
		return info
	}
	out := *info
	out.Elems = append([]*rnode(nil), info.Elems...)
	subs := &rnode{Kind: info.Elems[9].Kind}
	for _, e := range info.Elems[9].Elems {
		if hasSub(cmd, e.Elems[0].Str) {
			subs.Elems = append(subs.Elems, e)
		}
	}
	out.Elems[9] = subs
	return &out
}

// filterDocs returns the DOCS map keeping only the subcommands cmd has.
func filterDocs(docs *rnode, cmd *Command) *rnode {
	out := &rnode{Kind: docs.Kind}
	for i := 0; i+1 < len(docs.Elems); i += 2 {
		k, v := docs.Elems[i], docs.Elems[i+1]
		if k.Str == "subcommands" {
			subs := &rnode{Kind: v.Kind}
			for j := 0; j+1 < len(v.Elems); j += 2 {
				if hasSub(cmd, v.Elems[j].Str) {
					subs.Elems = append(subs.Elems, v.Elems[j], v.Elems[j+1])
				}
			}
			v = subs
		}
		out.Elems = append(out.Elems, k, v)
	}
	return out
}

func hasSub(cmd *Command, full string) bool {
	_, name, ok := strings.Cut(full, "|")
	if !ok {
		return false
	}
	_, has := cmd.Subs[name]
	return has
}

// lookupArgv is Redis's lookupCommand for a full argv: a container without a subcommand
// argument is the container itself.
func (s *Server) lookupArgv(argv [][]byte) *Command {
	cmd := s.cmds[strings.ToLower(string(argv[0]))]
	if cmd == nil || len(argv) == 1 || len(cmd.Subs) == 0 {
		return cmd
	}
	return cmd.Subs[strings.ToLower(string(argv[1]))]
}

// lookupCommandName finds a command by "name" or "container|sub" (case-insensitive).
func (s *Server) lookupCommandName(name string) *Command {
	name = strings.ToLower(name)
	top, subName, isSub := strings.Cut(name, "|")
	cmd := s.cmds[top]
	if cmd == nil || !isSub {
		return cmd
	}
	return cmd.Subs[subName]
}

func commandCommands() *Command {
	return &Command{Name: "command", Arity: -1, Flags: FlagLoading | FlagStale, Handler: cmdCommand, Group: "server",
		Subs: subs(
			sub("command", "count", 2, FlagLoading|FlagStale, cmdCommandCount),
			sub("command", "docs", -2, FlagLoading|FlagStale, cmdCommandDocs),
			sub("command", "getkeys", -4, FlagLoading|FlagStale, cmdCommandGetKeys),
			sub("command", "getkeysandflags", -4, FlagLoading|FlagStale, cmdCommandGetKeysAndFlags),
			sub("command", "help", 2, FlagLoading|FlagStale, cmdCommandHelp),
			sub("command", "info", -2, FlagLoading|FlagStale, cmdCommandInfo),
			sub("command", "list", -2, FlagLoading|FlagStale, cmdCommandList),
		)}
}

// cmdCommand is COMMAND without a subcommand: every command's INFO entry.
func cmdCommand(c *Client) {
	ci := c.srv.commandMeta()
	enc := ci.enc[c.w.Proto-2]
	c.w.Array(len(c.srv.cmds))
	for _, cmd := range c.srv.cmds { // a renamed command keeps its own name, as in Redis
		c.w.Raw(enc[cmd.Name])
	}
}

func cmdCommandCount(c *Client) { c.w.Int(int64(len(c.srv.cmds))) }

func cmdCommandInfo(c *Client) {
	if len(c.args) == 2 {
		cmdCommand(c)
		return
	}
	enc := c.srv.commandMeta().enc[c.w.Proto-2]
	c.w.Array(len(c.args) - 2)
	for _, a := range c.args[2:] {
		cmd := c.srv.lookupCommandName(string(a))
		if cmd == nil || enc[cmd.Name] == nil {
			c.w.Null()
			continue
		}
		c.w.Raw(enc[cmd.Name])
	}
}

func cmdCommandDocs(c *Client) {
	ci := c.srv.commandMeta()
	enc := ci.doc[c.w.Proto-2]
	if len(c.args) == 2 {
		c.w.Map(len(c.srv.cmds))
		for _, cmd := range c.srv.cmds {
			c.w.BulkString(cmd.Name)
			c.w.Raw(enc[cmd.Name])
		}
		return
	}
	var found []*Command
	for _, a := range c.args[2:] {
		if cmd := c.srv.lookupCommandName(string(a)); cmd != nil && enc[cmd.Name] != nil {
			found = append(found, cmd)
		}
	}
	c.w.Map(len(found))
	for _, cmd := range found {
		c.w.BulkString(cmd.Name)
		c.w.Raw(enc[cmd.Name])
	}
}

func cmdCommandList(c *Client) {
	var match func(name string, cmd *Command) bool
	switch {
	case len(c.args) == 2:
		match = func(string, *Command) bool { return true }
	case len(c.args) == 5 && strings.EqualFold(string(c.args[2]), "filterby"):
		val := string(c.args[4])
		switch strings.ToLower(string(c.args[3])) {
		case "module":
			match = func(string, *Command) bool { return false }
		case "aclcat":
			meta := redisCommandMeta()
			match = func(name string, _ *Command) bool {
				if m := meta[name]; m != nil {
					for _, cat := range m.aclCategories() {
						if strings.EqualFold(cat[1:], val) {
							return true
						}
					}
				}
				return false
			}
		case "pattern":
			match = func(name string, _ *Command) bool { return config.Glob(val, name, true) }
		}
	}
	if match == nil {
		c.err(ErrSyntax)
		return
	}
	var names []string
	for _, cmd := range c.srv.cmds {
		if match(cmd.Name, cmd) {
			names = append(names, cmd.Name)
		}
		for _, sc := range cmd.Subs {
			if match(sc.Name, sc) {
				names = append(names, sc.Name)
			}
		}
	}
	c.w.Array(len(names))
	for _, n := range names {
		c.w.BulkString(n)
	}
}

var commandHelp = []string{
	"(no subcommand)",
	"    Return details about all Redis commands.",
	"COUNT",
	"    Return the total number of commands in this Redis server.",
	"LIST",
	"    Return a list of all commands in this Redis server.",
	"INFO [<command-name> ...]",
	"    Return details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"DOCS [<command-name> ...]",
	"    Return documentation details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"GETKEYS <full-command>",
	"    Return the keys from a full Redis command.",
	"GETKEYSANDFLAGS <full-command>",
	"    Return the keys and the access flags from a full Redis command.",
}

func cmdCommandHelp(c *Client) { c.replyHelpLines("COMMAND", commandHelp) }

// keyRef is one key found in a command's arguments, with its key-spec flags.
type keyRef struct {
	pos   int
	flags []string
}

func cmdCommandGetKeys(c *Client)         { getKeysReply(c, false) }
func cmdCommandGetKeysAndFlags(c *Client) { getKeysReply(c, true) }

func getKeysReply(c *Client, withFlags bool) {
	argv := c.args[2:]
	cmd := c.srv.lookupArgv(argv)
	if cmd == nil {
		c.err(ErrInvalidCommandSpecified)
		return
	}
	meta := redisCommandMeta()[cmd.Name]
	if meta == nil || !commandHasKeys(meta) {
		c.err(ErrCommandNoKeys)
		return
	}
	if !arityOK(cmd.Arity, len(argv)) {
		c.err(ErrGetKeysArity)
		return
	}
	keys, ok := commandKeys(cmd, meta, argv)
	if !ok || len(keys) == 0 {
		if cmd.Flags&FlagNoMandatoryKeys != 0 || strings.Contains(strings.Join(meta.flags(), ","), "no_mandatory_keys") {
			c.w.Array(0)
			return
		}
		c.err(ErrGetKeysInvalidArgs)
		return
	}
	c.w.Array(len(keys))
	for _, k := range keys {
		if !withFlags {
			c.w.Bulk(argv[k.pos])
			continue
		}
		c.w.Array(2)
		c.w.Bulk(argv[k.pos])
		c.w.Set(len(k.flags))
		for _, f := range k.flags {
			c.w.Simple(f)
		}
	}
}

// commandHasKeys is Redis's doesCommandHaveKeys: a getkeys procedure or a real key spec.
func commandHasKeys(m *redisMeta) bool {
	for _, spec := range m.keySpecs() {
		if !hasString(spec.Get("flags").Strings(), "not_key") {
			return true
		}
	}
	return false
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// commandKeys extracts the keys of argv (argv[0] is the command name) from Redis's key
// specs (getKeysUsingKeySpecs), with the special cases Redis resolves with a getkeys
// procedure (SORT's STORE, MIGRATE's KEYS, SET with GET).
func commandKeys(cmd *Command, m *redisMeta, argv [][]byte) ([]keyRef, bool) {
	switch cmd.Name {
	case "sort", "sort_ro":
		return sortKeys(m, argv), true
	case "migrate":
		return migrateKeys(m, argv), true
	}
	var out []keyRef
	for _, spec := range m.keySpecs() {
		flags := spec.Get("flags").Strings()
		if hasString(flags, "not_key") {
			continue
		}
		first, last, step, found, ok := specRange(spec, argv)
		if !ok {
			return nil, false
		}
		if !found {
			continue
		}
		for i := first; i <= last; i += step {
			if i >= len(argv) {
				if cmd.Arity < 0 {
					continue
				}
				return nil, false
			}
			out = append(out, keyRef{pos: i, flags: flags})
		}
		if hasString(flags, "incomplete") {
			return nil, false
		}
	}
	if cmd.Name == "set" && len(out) == 1 {
		flags := []string{"RW", "access", "update"}
		getFound := false
		for _, a := range argv[3:] {
			if strings.EqualFold(string(a), "get") {
				getFound = true
			}
		}
		if !getFound {
			flags = []string{"OW", "update"}
		}
		out[0].flags = flags
	}
	return out, true
}

// specRange applies one key spec's begin_search and find_keys to argv.
func specRange(spec *rnode, argv [][]byte) (first, last, step int, found, ok bool) {
	argc := len(argv)
	bs := spec.Get("begin_search")
	bspec := bs.Get("spec")
	switch bs.Get("type").Str {
	case "index":
		first = int(bspec.Get("index").Int)
	case "keyword":
		kw := bspec.Get("keyword").Str
		from := int(bspec.Get("startfrom").Int)
		start, end := from, argc-1
		if from <= 0 {
			start, end = argc+from, 1
		}
		for i := start; i != end; {
			if i >= argc || i < 1 {
				break
			}
			if strings.EqualFold(string(argv[i]), kw) {
				first = i + 1
				break
			}
			if start <= end {
				i++
			} else {
				i--
			}
		}
		if first == 0 {
			return 0, 0, 0, false, true
		}
	default:
		return 0, 0, 0, false, false
	}
	fk := spec.Get("find_keys")
	fspec := fk.Get("spec")
	switch fk.Get("type").Str {
	case "range":
		step = int(fspec.Get("keystep").Int)
		lastkey, limit := int(fspec.Get("lastkey").Int), int(fspec.Get("limit").Int)
		switch {
		case lastkey >= 0:
			last = first + lastkey
		case limit == 0:
			last = argc + lastkey
		default:
			last = first + ((argc-first)/limit + lastkey)
		}
	case "keynum":
		step = int(fspec.Get("keystep").Int)
		idx := first + int(fspec.Get("keynumidx").Int)
		if idx >= argc {
			return 0, 0, 0, false, true // variadic command with too few arguments: no keys
		}
		numkeys, valid := resp.ParseInt(argv[idx])
		if !valid || numkeys < 0 {
			return 0, 0, 0, false, false
		}
		first += int(fspec.Get("firstkey").Int)
		last = first + int(numkeys) - 1
	default:
		return 0, 0, 0, false, false
	}
	if last >= argc || last < first || first >= argc {
		return 0, 0, 0, false, false
	}
	if step <= 0 {
		step = 1
	}
	return first, last, step, true, true
}

// sortKeys is Redis's sortGetKeys: the sorted key, plus the STORE destination.
func sortKeys(m *redisMeta, argv [][]byte) []keyRef {
	specs := m.keySpecs()
	out := []keyRef{{pos: 1, flags: specs[0].Get("flags").Strings()}}
	skip := map[string]int{"limit": 2, "get": 1, "by": 1}
	for i := 2; i < len(argv); i++ {
		a := strings.ToLower(string(argv[i]))
		if n, ok := skip[a]; ok {
			i += n
			continue
		}
		if a == "store" && i+1 < len(argv) && len(specs) > 2 {
			// like Redis, the last STORE wins
			if len(out) == 2 {
				out = out[:1]
			}
			out = append(out, keyRef{pos: i + 1, flags: specs[2].Get("flags").Strings()})
			i++
		}
	}
	return out
}

// migrateKeys is Redis's migrateGetKeys: the key argument, or the KEYS list when it is empty.
func migrateKeys(m *redisMeta, argv [][]byte) []keyRef {
	specs := m.keySpecs()
	if len(argv) > 6 {
		for i := 6; i < len(argv); i++ {
			if strings.EqualFold(string(argv[i]), "keys") {
				if len(argv[3]) != 0 {
					break
				}
				var out []keyRef
				for j := i + 1; j < len(argv); j++ {
					out = append(out, keyRef{pos: j, flags: specs[len(specs)-1].Get("flags").Strings()})
				}
				return out
			}
		}
	}
	return []keyRef{{pos: 3, flags: specs[0].Get("flags").Strings()}}
}
