package link

import (
	"strconv"
	"strings"
)

// HelloChannel is the pub/sub channel sentinels announce themselves on.
const HelloChannel = "__sentinel__:hello"

// Hello is one hello message: the announcing sentinel and its view of one master.
type Hello struct {
	// IP and Port are where the announcing sentinel can be reached.
	IP   string
	Port int
	// RunID is the announcing sentinel's myid.
	RunID string
	// CurrentEpoch is the announcing sentinel's current epoch.
	CurrentEpoch uint64
	// MasterName, MasterIP and MasterPort name the master and its current address.
	MasterName string
	MasterIP   string
	MasterPort int
	// ConfigEpoch is the master's configuration epoch.
	ConfigEpoch uint64
}

// FormatHello encodes h as Redis Sentinel's hello payload:
// "<ip>,<port>,<runid>,<current_epoch>,<master name>,<master ip>,<master port>,<config_epoch>".
func FormatHello(h Hello) string {
	var b strings.Builder
	b.WriteString(h.IP)
	b.WriteByte(',')
	b.WriteString(strconv.Itoa(h.Port))
	b.WriteByte(',')
	b.WriteString(h.RunID)
	b.WriteByte(',')
	b.WriteString(strconv.FormatUint(h.CurrentEpoch, 10))
	b.WriteByte(',')
	b.WriteString(h.MasterName)
	b.WriteByte(',')
	b.WriteString(h.MasterIP)
	b.WriteByte(',')
	b.WriteString(strconv.Itoa(h.MasterPort))
	b.WriteByte(',')
	b.WriteString(strconv.FormatUint(h.ConfigEpoch, 10))
	return b.String()
}

// ParseHello decodes a hello payload. Like sentinelProcessHelloMessage it requires
// exactly 8 comma-separated tokens (ErrHelloFields otherwise) and reads the numbers
// with C atoi/strtoull semantics, so a malformed number becomes 0 rather than an error.
func ParseHello(payload string) (Hello, error) {
	t := strings.Split(payload, ",")
	if len(t) != 8 {
		return Hello{}, ErrHelloFields
	}
	return Hello{
		IP:           t[0],
		Port:         int(atoi64(t[1])),
		RunID:        t[2],
		CurrentEpoch: strtoull(t[3]),
		MasterName:   t[4],
		MasterIP:     t[5],
		MasterPort:   int(atoi64(t[6])),
		ConfigEpoch:  strtoull(t[7]),
	}, nil
}
