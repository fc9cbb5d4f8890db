package mesh

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Wire format, version 1 (all integers are varints, strings a uvarint length then bytes):
//
//	kind u8 | version u8 | origin string | lamport uvarint | body
//
//	opinion:      master string | addr string | down u8 (0/1) | time varint
//	master-config master string | addr string | epoch uvarint
//	vote-request: master string | epoch uvarint | candidate string
//	vote-reply:   master string | leader string | leader_epoch uvarint
//	leave:        (empty)
//	state:        count uvarint | count × (len uvarint | message), nested messages are not state
//
// Meta (node meta): version u8 | ip string | port uvarint | epoch uvarint.
//
// Trailing bytes are an error. A new field means a new version; receivers drop versions
// they do not know.

// wireVersion is the version byte written into every message and meta.
const wireVersion = 1

// maxString bounds any string on the wire (names, addresses, ids).
const maxString = 1024

// Decode errors. They are unexported: a bad message is dropped and counted, never
// surfaced to the consumer.
var (
	errTruncated = errors.New("mesh: truncated message")
	errVersion   = errors.New("mesh: unknown message version")
	errKind      = errors.New("mesh: unknown message kind")
	errTrailing  = errors.New("mesh: trailing bytes after message")
	errTooLong   = errors.New("mesh: string too long")
	errBadBool   = errors.New("mesh: bad boolean")
	errNested    = errors.New("mesh: state nested in state")
	errNotOnWire = errors.New("mesh: payload is not sent on the wire")
	errPortRange = errors.New("mesh: port out of range")
	errBadVarint = errors.New("mesh: bad varint")
	errNoOrigin  = errors.New("mesh: message without origin")
)

// envelope is a decoded wire message.
type envelope struct {
	Origin  string
	Lamport uint64
	Payload Payload
}

// encode renders env in the current wire version.
func encode(env envelope) ([]byte, error) {
	k := env.Payload.kind()
	b := []byte{byte(k), wireVersion}
	b = appendString(b, env.Origin)
	b = binary.AppendUvarint(b, env.Lamport)
	switch p := env.Payload.(type) {
	case Opinion:
		b = appendString(b, p.Master)
		b = appendString(b, p.Addr)
		b = append(b, boolByte(p.Down))
		b = binary.AppendVarint(b, p.Time)
	case MasterConfig:
		b = appendString(b, p.Master)
		b = appendString(b, p.Addr)
		b = binary.AppendUvarint(b, p.Epoch)
	case VoteRequest:
		b = appendString(b, p.Master)
		b = binary.AppendUvarint(b, p.Epoch)
		b = appendString(b, p.Candidate)
	case VoteReply:
		b = appendString(b, p.Master)
		b = appendString(b, p.LeaderID)
		b = binary.AppendUvarint(b, p.LeaderEpoch)
	case leaveIntent:
	case pushState:
		b = binary.AppendUvarint(b, uint64(len(p.Items)))
		for _, it := range p.Items {
			b = binary.AppendUvarint(b, uint64(len(it)))
			b = append(b, it...)
		}
	default:
		return nil, fmt.Errorf("%w: %T", errNotOnWire, env.Payload)
	}
	return b, nil
}

// decode parses one wire message. It never panics, whatever buf holds.
func decode(buf []byte) (envelope, error) {
	return decodeDepth(buf, false)
}

func decodeDepth(buf []byte, nested bool) (envelope, error) {
	r := reader{b: buf}
	k := kind(r.byte())
	v := r.byte()
	if r.err != nil {
		return envelope{}, r.err
	}
	if v != wireVersion {
		return envelope{}, fmt.Errorf("%w %d", errVersion, v)
	}
	env := envelope{Origin: r.str(), Lamport: r.uvarint()}
	switch k {
	case kindOpinion:
		env.Payload = Opinion{Master: r.str(), Addr: r.str(), Down: r.bool(), Time: r.varint()}
	case kindConfig:
		env.Payload = MasterConfig{Master: r.str(), Addr: r.str(), Epoch: r.uvarint()}
	case kindVoteRequest:
		env.Payload = VoteRequest{Master: r.str(), Epoch: r.uvarint(), Candidate: r.str()}
	case kindVoteReply:
		env.Payload = VoteReply{Master: r.str(), LeaderID: r.str(), LeaderEpoch: r.uvarint()}
	case kindLeave:
		env.Payload = leaveIntent{}
	case kindState:
		if nested {
			return envelope{}, errNested
		}
		env.Payload = r.state()
	default:
		return envelope{}, fmt.Errorf("%w %d", errKind, k)
	}
	if r.err != nil {
		return envelope{}, r.err
	}
	if len(r.b) != 0 {
		return envelope{}, errTrailing
	}
	if env.Origin == "" {
		return envelope{}, errNoOrigin
	}
	return env, nil
}

// encodeMeta renders the node meta.
func encodeMeta(m Meta) []byte {
	b := []byte{wireVersion}
	b = appendString(b, m.IP)
	b = binary.AppendUvarint(b, uint64(m.Port))
	return binary.AppendUvarint(b, m.Epoch)
}

// decodeMeta parses node meta. It never panics.
func decodeMeta(buf []byte) (Meta, error) {
	r := reader{b: buf}
	if v := r.byte(); r.err == nil && v != wireVersion {
		return Meta{}, fmt.Errorf("%w %d", errVersion, v)
	}
	m := Meta{IP: r.str()}
	port := r.uvarint()
	m.Epoch = r.uvarint()
	if r.err != nil {
		return Meta{}, r.err
	}
	if len(r.b) != 0 {
		return Meta{}, errTrailing
	}
	if port > 65535 {
		return Meta{}, errPortRange
	}
	m.Port = int(port)
	return m, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// reader consumes b; the first error sticks and later reads return zero values.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 1 {
		r.fail(errTruncated)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) bool() bool {
	switch r.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail(errBadBool)
	return false
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n == 0 {
		r.fail(errTruncated)
		return 0
	}
	if n < 0 {
		r.fail(errBadVarint)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n == 0 {
		r.fail(errTruncated)
		return 0
	}
	if n < 0 {
		r.fail(errBadVarint)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// bytes returns the next n bytes without copying.
func (r *reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail(errTruncated)
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) str() string {
	n := r.uvarint()
	if r.err == nil && n > maxString {
		r.fail(errTooLong)
	}
	return string(r.bytes(n))
}

// state reads the body of a push/pull state message; every item must itself decode
// (and not be a state), so a bad item rejects the whole message.
func (r *reader) state() pushState {
	count := r.uvarint()
	var st pushState
	for i := uint64(0); i < count && r.err == nil; i++ {
		it := r.bytes(r.uvarint())
		if r.err != nil {
			break
		}
		if _, err := decodeDepth(it, true); err != nil {
			r.fail(err)
			break
		}
		st.Items = append(st.Items, it)
	}
	return st
}
