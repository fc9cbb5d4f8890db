package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The multi-part AOF of Redis 7.0: a directory (appenddirname) holding one base file (an
// RDB snapshot or a command log), incremental command logs, and a manifest that lists
// them, one line per file:
//
//	file appendonly.aof.2.base.rdb seq 2 type b
//	file appendonly.aof.2.incr.aof seq 2 type i
//
// Type b is the base, i an incremental file (loaded in manifest order after the base), h a
// history file left over by a rewrite, deleted at the next opportunity.

// aofFileType is the type letter of a manifest line.
type aofFileType byte

const (
	aofBase aofFileType = 'b'
	aofHist aofFileType = 'h'
	aofIncr aofFileType = 'i'
)

// aofFile is one line of the manifest.
type aofFile struct {
	Name string
	Seq  int64
	Type aofFileType
}

// aofManifest lists the files of the AOF. Base is nil when there is none yet.
type aofManifest struct {
	Base    *aofFile
	History []aofFile
	Incr    []aofFile
	BaseSeq int64 // highest base sequence used (curr_base_file_seq)
	IncrSeq int64 // highest incr sequence used (curr_incr_file_seq)
}

// aofManifestMaxLine is Redis's MANIFEST_MAX_LINE.
const aofManifestMaxLine = 1024

// ErrAOFManifest is wrapped by every manifest parsing error.
var ErrAOFManifest = errors.New("aof: invalid manifest")

// parseAOFManifest parses a manifest with Redis's rules (aofLoadManifestFromFile): comment
// lines start with '#', every other line holds key/value pairs of which file, seq and type
// are required, file names are plain names, incr sequences increase.
func parseAOFManifest(r io.Reader) (*aofManifest, error) {
	m := &aofManifest{}
	br := bufio.NewReader(r)
	lineNum := 0
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF && line == "" {
			if lineNum == 0 {
				return nil, fmt.Errorf("%w: Found an empty AOF manifest", ErrAOFManifest)
			}
			return m, nil
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("aof: Read AOF manifest failed: %w", err)
		}
		lineNum++
		if line[0] == '#' {
			continue
		}
		bad := func(msg string) error {
			return fmt.Errorf("%w: %s (line %d: %q)", ErrAOFManifest, msg, lineNum, strings.TrimRight(line, "\r\n"))
		}
		if len(line) > aofManifestMaxLine || !strings.HasSuffix(line, "\n") {
			return nil, bad("The AOF manifest file contains too long line")
		}
		args, ok := splitArgs(strings.Trim(line, " \t\r\n"))
		if !ok || len(args) < 6 || len(args)%2 != 0 {
			return nil, bad("Invalid AOF manifest file format")
		}
		var f aofFile
		for i := 0; i < len(args); i += 2 {
			switch strings.ToLower(args[i]) {
			case "file":
				f.Name = args[i+1]
				if strings.ContainsRune(f.Name, '/') {
					return nil, bad("File can't be a path, just a filename")
				}
			case "seq":
				f.Seq, _ = strconv.ParseInt(args[i+1], 10, 64)
			case "type":
				f.Type = aofFileType(args[i+1][0])
			}
		}
		if f.Name == "" || f.Seq == 0 || f.Type == 0 {
			return nil, bad("Invalid AOF manifest file format")
		}
		switch f.Type {
		case aofBase:
			if m.Base != nil {
				return nil, bad("Found duplicate base file information")
			}
			base := f
			m.Base = &base
			m.BaseSeq = f.Seq
		case aofHist:
			m.History = append(m.History, f)
		case aofIncr:
			if f.Seq <= m.IncrSeq {
				return nil, bad("Found a non-monotonic sequence number")
			}
			m.Incr = append(m.Incr, f)
			m.IncrSeq = f.Seq
		default:
			return nil, bad("Unknown AOF file type")
		}
	}
}

// format renders the manifest as Redis writes it: base, history, then incr files.
func (m *aofManifest) format() []byte {
	var b bytes.Buffer
	line := func(f aofFile) {
		name := f.Name
		if needsRepr(name) {
			name = strconv.Quote(name)
		}
		fmt.Fprintf(&b, "file %s seq %d type %c\n", name, f.Seq, f.Type)
	}
	if m.Base != nil {
		line(*m.Base)
	}
	for _, f := range m.History {
		line(f)
	}
	for _, f := range m.Incr {
		line(f)
	}
	return b.Bytes()
}

// clone returns a deep copy, to be modified and installed only once persisted.
func (m *aofManifest) clone() *aofManifest {
	c := *m
	if m.Base != nil {
		base := *m.Base
		c.Base = &base
	}
	c.History = append([]aofFile(nil), m.History...)
	c.Incr = append([]aofFile(nil), m.Incr...)
	return &c
}

// newIncr appends a new incr file (the next sequence) and returns its name.
func (m *aofManifest) newIncr(filename string) string {
	m.IncrSeq++
	f := aofFile{Name: fmt.Sprintf("%s.%d.incr.aof", filename, m.IncrSeq), Seq: m.IncrSeq, Type: aofIncr}
	m.Incr = append(m.Incr, f)
	return f.Name
}

// installBase makes a new base file (the next sequence) current: the previous base and
// every incr file but the last keep files (the ones written since the rewrite started)
// become history. It returns the new base's name.
func (m *aofManifest) installBase(filename string, rdbFormat bool, keep int) string {
	if m.Base != nil {
		old := *m.Base
		old.Type = aofHist
		m.History = append([]aofFile{old}, m.History...)
	}
	ext := "aof"
	if rdbFormat {
		ext = "rdb"
	}
	m.BaseSeq++
	m.Base = &aofFile{Name: fmt.Sprintf("%s.%d.base.%s", filename, m.BaseSeq, ext), Seq: m.BaseSeq, Type: aofBase}
	if keep > len(m.Incr) {
		keep = len(m.Incr)
	}
	for i := len(m.Incr) - keep - 1; i >= 0; i-- {
		h := m.Incr[i]
		h.Type = aofHist
		m.History = append([]aofFile{h}, m.History...)
	}
	m.Incr = append([]aofFile(nil), m.Incr[len(m.Incr)-keep:]...)
	return m.Base.Name
}

// loadOrder is the base (if any) followed by the incr files.
func (m *aofManifest) loadOrder() []aofFile {
	var out []aofFile
	if m.Base != nil {
		out = append(out, *m.Base)
	}
	return append(out, m.Incr...)
}

// needsRepr is sdsneedsrepr: a name with characters that must be quoted.
func needsRepr(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' || c == '"' || c == '\n' || c == '\r' || c == '\t' || c == '\a' || c == '\b' ||
			c == ' ' || c < 0x20 || c >= 0x7f {
			return true
		}
	}
	return false
}

// splitArgs is sdssplitargs for the manifest: space-separated words, double-quoted
// words with Go/C escapes, single-quoted words verbatim.
func splitArgs(line string) ([]string, bool) {
	var out []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i == len(line) {
			return out, true
		}
		switch line[i] {
		case '"':
			j := i + 1
			for j < len(line) && line[j] != '"' {
				if line[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(line) {
				return nil, false
			}
			w, err := strconv.Unquote(line[i : j+1])
			if err != nil {
				return nil, false
			}
			out = append(out, w)
			i = j + 1
		case '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, false
			}
			out = append(out, line[i+1:i+1+j])
			i += j + 2
		default:
			j := i
			for j < len(line) && line[j] != ' ' && line[j] != '\t' {
				j++
			}
			out = append(out, line[i:j])
			i = j
		}
		if i < len(line) && line[i] != ' ' && line[i] != '\t' {
			return nil, false // a closing quote must be followed by a space
		}
	}
}
