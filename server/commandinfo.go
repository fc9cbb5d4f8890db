package server

import (
	"bytes"
	_ "embed"
	"sort"
	"strconv"
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
type rnode struct {
	kind  byte // '*' array, '~' set, '%' map (elems holds key, value, ...), '$' bulk, '+' simple, ':' int, '_' null
	s     string
	n     int64
	elems []*rnode
}

// parseRNode parses one RESP3 value from b and returns it with the rest of b.
// The input is the embedded metadata: malformed input is a broken invariant.
func parseRNode(b []byte) (*rnode, []byte) {
	i := bytes.Index(b, []byte("\r\n"))
	if i < 1 {
		panic("server: malformed embedded command metadata")
	}
	kind, head, rest := b[0], string(b[1:i]), b[i+2:]
	n, _ := strconv.ParseInt(head, 10, 64)
	node := &rnode{kind: kind}
	switch kind {
	case '$':
		node.s = string(rest[:n])
		rest = rest[n+2:]
	case '+':
		node.s = head
	case ':':
		node.n = n
	case '_':
	case '*', '~', '%':
		count := n
		if kind == '%' {
			count *= 2
		}
		node.elems = make([]*rnode, 0, count)
		for j := int64(0); j < count; j++ {
			var e *rnode
			e, rest = parseRNode(rest)
			node.elems = append(node.elems, e)
		}
	default:
		panic("server: unexpected type in embedded command metadata: " + string(kind))
	}
	return node, rest
}

// write encodes the node for w's protocol (maps and sets become arrays in RESP2).
func (n *rnode) write(w *resp.Writer) {
	switch n.kind {
	case '$':
		w.BulkString(n.s)
	case '+':
		w.Simple(n.s)
	case ':':
		w.Int(n.n)
	case '_':
		w.Null()
	case '*':
		w.Array(len(n.elems))
	case '~':
		w.Set(len(n.elems))
	case '%':
		w.Map(len(n.elems) / 2)
	}
	for _, e := range n.elems {
		e.write(w)
	}
}

// get returns the value of key in a map node, or nil.
func (n *rnode) get(key string) *rnode {
	if n == nil || n.kind != '%' {
		return nil
	}
	for i := 0; i+1 < len(n.elems); i += 2 {
		if n.elems[i].s == key {
			return n.elems[i+1]
		}
	}
	return nil
}

// strs returns the strings of a set or array node.
func (n *rnode) strs() []string {
	if n == nil {
		return nil
	}
	out := make([]string, 0, len(n.elems))
	for _, e := range n.elems {
		out = append(out, e.s)
	}
	return out
}

// redisMeta is Redis's metadata for one command or subcommand.
type redisMeta struct {
	info *rnode // COMMAND INFO entry: name, arity, flags, first, last, step, acl, tips, key specs, subcommands
	docs *rnode // COMMAND DOCS map (without the name)
}

func (m *redisMeta) arity() int      { return int(m.info.elems[1].n) }
func (m *redisMeta) flags() []string { return m.info.elems[2].strs() }
func (m *redisMeta) keyPos() (int, int, int) {
	e := m.info.elems
	return int(e[3].n), int(e[4].n), int(e[5].n)
}
func (m *redisMeta) aclCategories() []string { return m.info.elems[6].strs() }
func (m *redisMeta) keySpecs() []*rnode      { return m.info.elems[8].elems }

var (
	redisMetaOnce sync.Once
	redisMetaMap  map[string]*redisMeta // by lower-case name, "container|sub" for subcommands
)

// redisCommandMeta returns the embedded metadata of every Redis 7.0.15 command by name.
func redisCommandMeta() map[string]*redisMeta {
	redisMetaOnce.Do(func() {
		m := map[string]*redisMeta{}
		info, _ := parseRNode(commandInfoData)
		var addInfo func(list []*rnode)
		addInfo = func(list []*rnode) {
			for _, e := range list {
				m[e.elems[0].s] = &redisMeta{info: e}
				addInfo(e.elems[9].elems)
			}
		}
		addInfo(info.elems)
		docs, _ := parseRNode(commandDocsData)
		var addDocs func(d *rnode)
		addDocs = func(d *rnode) {
			for i := 0; i+1 < len(d.elems); i += 2 {
				if meta := m[d.elems[i].s]; meta != nil {
					meta.docs = d.elems[i+1]
				}
				if subs := d.elems[i+1].get("subcommands"); subs != nil {
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
				n.write(&w)
				ci.enc[p][name] = w.B
			}
			for name, n := range ci.docs {
				w := resp.Writer{Proto: p + 2}
				n.write(&w)
				ci.doc[p][name] = w.B
			}
		}
	})
	return ci
}

// synthInfo builds a COMMAND INFO entry from Vigil's table, in Redis's RESP3 shapes.
func synthInfo(cmd *Command) *rnode {
	flags := &rnode{kind: '~'}
	for _, f := range cmd.Flags.Names() {
		flags.elems = append(flags.elems, &rnode{kind: '+', s: f})
	}
	subcmds := &rnode{kind: '~'}
	for _, name := range sortedSubNames(cmd) {
		subcmds.elems = append(subcmds.elems, synthInfo(cmd.Subs[name]))
	}
	return &rnode{kind: '*', elems: []*rnode{
		{kind: '$', s: cmd.Name}, {kind: ':', n: int64(cmd.Arity)}, flags,
		{kind: ':', n: int64(cmd.FirstKey)}, {kind: ':', n: int64(cmd.LastKey)}, {kind: ':', n: int64(cmd.Step)},
		{kind: '~'}, {kind: '~'}, {kind: '~'}, subcmds,
	}}
}

// synthDocs builds a COMMAND DOCS map from Vigil's table: its group only.
func synthDocs(cmd *Command) *rnode {
	return &rnode{kind: '%', elems: []*rnode{{kind: '$', s: "group"}, {kind: '$', s: cmd.Group}}}
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
	if len(info.elems[9].elems) == 0 {
		return info
	}
	out := *info
	out.elems = append([]*rnode(nil), info.elems...)
	subs := &rnode{kind: info.elems[9].kind}
	for _, e := range info.elems[9].elems {
		if hasSub(cmd, e.elems[0].s) {
			subs.elems = append(subs.elems, e)
		}
	}
	out.elems[9] = subs
	return &out
}

// filterDocs returns the DOCS map keeping only the subcommands cmd has.
func filterDocs(docs *rnode, cmd *Command) *rnode {
	out := &rnode{kind: docs.kind}
	for i := 0; i+1 < len(docs.elems); i += 2 {
		k, v := docs.elems[i], docs.elems[i+1]
		if k.s == "subcommands" {
			subs := &rnode{kind: v.kind}
			for j := 0; j+1 < len(v.elems); j += 2 {
				if hasSub(cmd, v.elems[j].s) {
					subs.elems = append(subs.elems, v.elems[j], v.elems[j+1])
				}
			}
			v = subs
		}
		out.elems = append(out.elems, k, v)
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
		if !hasString(spec.get("flags").strs(), "not_key") {
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
		flags := spec.get("flags").strs()
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
	bs := spec.get("begin_search")
	bspec := bs.get("spec")
	switch bs.get("type").s {
	case "index":
		first = int(bspec.get("index").n)
	case "keyword":
		kw := bspec.get("keyword").s
		from := int(bspec.get("startfrom").n)
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
	fk := spec.get("find_keys")
	fspec := fk.get("spec")
	switch fk.get("type").s {
	case "range":
		step = int(fspec.get("keystep").n)
		lastkey, limit := int(fspec.get("lastkey").n), int(fspec.get("limit").n)
		switch {
		case lastkey >= 0:
			last = first + lastkey
		case limit == 0:
			last = argc + lastkey
		default:
			last = first + ((argc-first)/limit + lastkey)
		}
	case "keynum":
		step = int(fspec.get("keystep").n)
		idx := first + int(fspec.get("keynumidx").n)
		if idx >= argc {
			return 0, 0, 0, false, true // variadic command with too few arguments: no keys
		}
		numkeys, valid := resp.ParseInt(argv[idx])
		if !valid || numkeys < 0 {
			return 0, 0, 0, false, false
		}
		first += int(fspec.get("firstkey").n)
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
	out := []keyRef{{pos: 1, flags: specs[0].get("flags").strs()}}
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
			out = append(out, keyRef{pos: i + 1, flags: specs[2].get("flags").strs()})
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
					out = append(out, keyRef{pos: j, flags: specs[len(specs)-1].get("flags").strs()})
				}
				return out
			}
		}
	}
	return []keyRef{{pos: 3, flags: specs[0].get("flags").strs()}}
}
