package sentinel

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/resp"
)

// The command metadata of Redis 7.0.15's sentinel, captured in RESP3 from a running
// redis-sentinel by server/internal/gencommands (-addr of the sentinel, -out
// ../sentinel/commanddata): the replies of COMMAND, COMMAND DOCS and COMMAND HELP.
var (
	//go:embed commanddata/info.resp3
	commandInfoData []byte
	//go:embed commanddata/docs.resp3
	commandDocsData []byte
	//go:embed commanddata/help.resp3
	commandHelpData []byte
)

// commandMeta is what COMMAND answers on the sentinel port: the INFO entry and DOCS map
// of each command and subcommand, by lower-case name ("container|sub" for subcommands).
type commandMeta struct {
	top   []string // the top-level commands, in Redis's order
	names []string // every command and subcommand, for COMMAND LIST
	info  map[string]*resp.Value
	docs  map[string]*resp.Value
	help  *resp.Value // the reply of COMMAND HELP
}

// mustParse parses embedded metadata; malformed embedded data is a broken invariant.
func mustParse(what string, b []byte) *resp.Value {
	v, _, err := resp.ParseValue(b)
	if err != nil {
		panic("sentinel: malformed embedded command " + what + ": " + err.Error())
	}
	return v
}

// newCommandMeta parses the embedded metadata.
func newCommandMeta() *commandMeta {
	info, docs := mustParse("info", commandInfoData), mustParse("docs", commandDocsData)
	m := &commandMeta{info: map[string]*resp.Value{}, docs: map[string]*resp.Value{}, help: mustParse("help", commandHelpData)}
	for _, e := range info.Elems {
		m.top = append(m.top, e.Elems[0].Str)
		m.addInfo(e)
	}
	m.addDocs(docs)
	return m
}

// addInfo indexes a COMMAND INFO entry and its subcommands' entries.
func (m *commandMeta) addInfo(e *resp.Value) {
	m.info[e.Elems[0].Str] = e
	m.names = append(m.names, e.Elems[0].Str)
	for _, sub := range e.Elems[9].Elems {
		m.addInfo(sub)
	}
}

// addDocs indexes a COMMAND DOCS map and its subcommands' maps.
func (m *commandMeta) addDocs(d *resp.Value) {
	for i := 0; i+1 < len(d.Elems); i += 2 {
		m.docs[d.Elems[i].Str] = d.Elems[i+1]
		if subs := d.Elems[i+1].Get("subcommands"); subs != nil {
			m.addDocs(subs)
		}
	}
}

// arity is the arity of a command or subcommand.
func (m *commandMeta) arity(name string) int { return int(m.info[name].Elems[1].Int) }

// inCategory reports whether name is in the ACL category cat (without '@', any case).
func (m *commandMeta) inCategory(name, cat string) bool {
	for _, c := range m.info[name].Elems[6].Strings() {
		if strings.EqualFold(strings.TrimPrefix(c, "@"), cat) {
			return true
		}
	}
	return false
}

// lookup is Redis's lookupCommand over a full argv: a container with an argument
// names one of its subcommands ("" when there is none).
func (m *commandMeta) lookup(argv []string) string {
	name := strings.ToLower(argv[0])
	e := m.info[name]
	switch {
	case e == nil:
		return ""
	case len(argv) == 1 || len(e.Elems[9].Elems) == 0:
		return name
	}
	full := name + "|" + strings.ToLower(argv[1])
	if m.info[full] == nil {
		return ""
	}
	return full
}

// cmdCommand is COMMAND and its subcommands, answered from Redis's sentinel metadata.
func cmdCommand(c *client, argv []string) bool {
	m := c.s.cmdMeta
	c.reply(func(w *resp.Writer) {
		if len(argv) == 1 {
			m.writeInfo(w, m.top)
			return
		}
		sub := "command|" + strings.ToLower(argv[1])
		if m.info[sub] == nil {
			w.Error(fmt.Sprintf("ERR unknown subcommand '%s'. Try COMMAND HELP.", argv[1]))
			return
		}
		if a := m.arity(sub); a > 0 && len(argv) != a || a < 0 && len(argv) < -a {
			w.Error("ERR wrong number of arguments for '" + sub + "' command")
			return
		}
		m.run(w, sub, argv[2:])
	})
	return false
}

func (m *commandMeta) run(w *resp.Writer, sub string, args []string) {
	switch sub {
	case "command|count":
		w.Int(int64(len(m.top)))
	case "command|list":
		m.writeList(w, args)
	case "command|info":
		if len(args) == 0 {
			args = m.top
		}
		m.writeInfo(w, args)
	case "command|docs":
		m.writeDocs(w, args)
	case "command|help":
		m.help.Write(w)
	default: // getkeys, getkeysandflags: no sentinel command has keys
		if m.lookup(args) == "" {
			w.Error("ERR Invalid command specified")
		} else {
			w.Error("ERR The command has no key arguments")
		}
	}
}

// writeInfo writes the INFO entries of names, a null for a name it does not know.
func (m *commandMeta) writeInfo(w *resp.Writer, names []string) {
	w.Array(len(names))
	for _, n := range names {
		if e := m.info[strings.ToLower(n)]; e != nil {
			e.Write(w)
		} else {
			w.Null()
		}
	}
}

// writeDocs writes the DOCS map of names (all top-level commands when none), skipping unknown ones.
func (m *commandMeta) writeDocs(w *resp.Writer, names []string) {
	if len(names) == 0 {
		names = m.top
	}
	var found []string
	for _, n := range names {
		if m.docs[strings.ToLower(n)] != nil {
			found = append(found, strings.ToLower(n))
		}
	}
	w.Map(len(found))
	for _, n := range found {
		w.BulkString(n)
		m.docs[n].Write(w)
	}
}

// writeList is COMMAND LIST [FILTERBY MODULE name|ACLCAT cat|PATTERN pattern].
func (m *commandMeta) writeList(w *resp.Writer, args []string) {
	var match func(name string) bool
	switch {
	case len(args) == 0:
		match = func(string) bool { return true }
	case len(args) == 3 && strings.EqualFold(args[0], "filterby"):
		switch strings.ToLower(args[1]) {
		case "module":
			match = func(string) bool { return false }
		case "aclcat":
			match = func(n string) bool { return m.inCategory(n, args[2]) }
		case "pattern":
			match = func(n string) bool { return config.Glob(args[2], n, true) }
		}
	}
	if match == nil {
		w.Error("ERR syntax error")
		return
	}
	var names []string
	for _, n := range m.names {
		if match(n) {
			names = append(names, n)
		}
	}
	w.Array(len(names))
	for _, n := range names {
		w.BulkString(n)
	}
}

// only drops from the top-level list the commands that rename-command removed: COMMAND
// (COUNT, LIST, INFO, DOCS) shows the command table, where a renamed command keeps its
// own name, as in Redis.
func (m *commandMeta) only(table map[string]command) {
	present := map[string]bool{}
	for _, c := range table {
		present[c.name] = true
	}
	m.top = slices.DeleteFunc(m.top, func(n string) bool { return !present[n] })
}
