package link

import "errors"

// Errors returned by this package.
var (
	// ErrHelloFields: a hello payload without exactly 8 comma-separated fields.
	ErrHelloFields = errors.New("link: hello payload does not have 8 fields")
	// ErrGossipPayload: a gossip announcement that is not "<runid>,<ip>,<port>".
	ErrGossipPayload = errors.New("link: malformed gossip announcement")
	// ErrDisconnected: the command connection is down (and not due for a reconnect).
	ErrDisconnected = errors.New("link: command connection is down")
	// ErrClosed: the link was closed.
	ErrClosed = errors.New("link: closed")
	// ErrNoCommand: Send was called without a command name.
	ErrNoCommand = errors.New("link: no command given")
	// ErrReply: a reply did not have the expected shape.
	ErrReply = errors.New("link: unexpected reply")
)
