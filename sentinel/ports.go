package sentinel

import (
	"github.com/vigil-db/vigil/sentinel/link"
)

// This file holds the small interfaces the shell needs from the packages that
// plug into it (sentinel/link today; mesh, election and failover are
// fed by the loop through the observations below).

// InstanceID names an instance in the shell's map: the master it belongs to,
// its kind and its name (master name, ip:port, or a sentinel's run ID).
type InstanceID struct {
	// Master is the master's name.
	Master string
	// Kind is master, replica or sentinel.
	Kind Kind
	// Name is the instance name within the master.
	Name string
}

// Auth are the credentials a link uses (AUTH [user] pass) and the
// rename-command table it applies to the commands it sends.
type Auth struct {
	// User and Pass are sent with AUTH when Pass is set.
	User, Pass string
	// Rename maps a command name (lower case) to the name to send.
	Rename map[string]string
}

// Links opens and closes the connections to instances (sentinel/link).
// Implementations send PING, INFO and hellos on their own schedule and report
// what they see as Observations on the channel given to Watch. Every method is
// called from the loop goroutine and must not block.
type Links interface {
	// Watch starts (or re-addresses) the links of one instance.
	Watch(id InstanceID, addr Addr, auth Auth, out chan<- Observation)
	// Unwatch closes the links of one instance.
	Unwatch(id InstanceID)
	// SetHello sets the hello published on the instance every publish period.
	SetHello(id InstanceID, h link.Hello)
	// SetPeriods sets the instance's timers.
	SetPeriods(id InstanceID, p link.Periods)
	// SetFence makes the master's link renew its fenced-mode write lease (nil: stop).
	SetFence(id InstanceID, f *link.Fence)
	// RefreshInfo sends INFO to the instance now (in the background).
	RefreshInfo(id InstanceID)
	// SlaveOf sends Redis Sentinel's SLAVEOF transaction (to nil: SLAVEOF NO
	// ONE) in the background and calls done from another goroutine.
	SlaveOf(id InstanceID, to *Addr, done func(error))
	// Send runs one command in the background and calls done from another
	// goroutine with the reply (RESP2 as go-redis decodes it).
	Send(id InstanceID, argv []string, done func(any, error))
	// Close closes every link.
	Close()
}

// Observation is one fact a link saw about an instance: sentinel/link's
// observation (its event, reply, parsed INFO or hello, and the link's state
// after the fact), with the instance it is about.
type Observation struct {
	// ID is the instance.
	ID InstanceID
	link.Observation
}
