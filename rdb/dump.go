package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// ErrDumpPayload is returned for a DUMP payload with a bad version or checksum.
var ErrDumpPayload = errors.New("rdb: DUMP payload version or checksum are wrong")

// DumpPayload serializes one value as DUMP does: the value's type byte and encoding,
// then the RDB version (2 bytes, little endian) and the CRC-64 of all that (8 bytes, LE).
func DumpPayload(e *Entry, opt Options) []byte {
	var buf bytes.Buffer
	opt.Checksum = false // the payload's CRC is computed below, over the whole payload
	enc := NewEncoder(&buf, opt)
	enc.writeValueHeader(e)
	enc.writeValue(e)
	enc.Flush()
	b := buf.Bytes()
	b = binary.LittleEndian.AppendUint16(b, Version)
	return binary.LittleEndian.AppendUint64(b, CRC64(0, b))
}

// ParseDumpPayload checks a DUMP payload's version and checksum (unless skipCRC) and
// decodes its value; the caller sets the key.
func ParseDumpPayload(p []byte, skipCRC bool) (*Entry, error) {
	if len(p) < 10 {
		return nil, ErrDumpPayload
	}
	footer := p[len(p)-10:]
	if v := binary.LittleEndian.Uint16(footer); v > Version {
		return nil, ErrDumpPayload
	}
	if !skipCRC && CRC64(0, p[:len(p)-8]) != binary.LittleEndian.Uint64(footer[2:]) {
		return nil, ErrDumpPayload
	}
	d := NewDecoder(bytes.NewReader(p[:len(p)-10]))
	d.Version = Version
	t, err := d.byte()
	if err != nil {
		return nil, err
	}
	e := &Entry{ExpireMs: -1, Idle: -1, Freq: -1}
	if err := d.readValue(t, e); err != nil {
		return nil, err
	}
	if _, err := d.r.ReadByte(); err == nil {
		return nil, corrupt("trailing bytes in DUMP payload")
	}
	return e, nil
}
