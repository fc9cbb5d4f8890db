package link

import (
	"net"
	"strconv"
	"strings"
)

// HelloChannel is the pub/sub channel sentinels announce themselves on.
const HelloChannel = "__sentinel__:hello"

// GossipChannel is where a Vigil sentinel announces its gossip mesh address
// to the sentinels it links to (PUBLISH on their endpoint, after each
// hello): "<runid>,<ip>,<port>". Redis's hello format has no room for it; a
// real redis-sentinel answers the PUBLISH with an error, which is ignored.
const GossipChannel = "__vigil__:gossip"

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
	// GossipIP and GossipPort are the announcing sentinel's gossip mesh address
	// (GossipPort 0: none; GossipIP "": the hello's IP). Not part of the hello
	// payload: published to sentinels on GossipChannel (FormatGossip).
	GossipIP   string
	GossipPort int
}

// FormatGossip encodes the gossip announcement of h: "<runid>,<ip>,<port>".
func FormatGossip(h Hello) string {
	ip := h.GossipIP
	if ip == "" {
		ip = h.IP
	}
	return h.RunID + "," + ip + "," + strconv.Itoa(h.GossipPort)
}

// ParseGossip decodes a gossip announcement: the run id and "ip:port".
func ParseGossip(payload string) (runID, addr string, err error) {
	t := strings.Split(payload, ",")
	if len(t) != 3 || t[0] == "" || t[1] == "" {
		return "", "", ErrGossipPayload
	}
	port := atoi64(t[2])
	if port <= 0 || port > 65535 {
		return "", "", ErrGossipPayload
	}
	return t[0], net.JoinHostPort(t[1], strconv.FormatInt(port, 10)), nil
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
