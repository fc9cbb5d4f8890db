package testutil

import (
	"bufio"
	"fmt"
	"strings"
)

// SSEEvent is one Server-Sent Event as a client sees it.
type SSEEvent struct {
	ID, Event, Data string
}

// ReadSSE reads the next event from an event stream, skipping comments and
// blocks without data (such as a lone "retry:").
func ReadSSE(r *bufio.Reader) (SSEEvent, error) {
	var ev SSEEvent
	var data []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return ev, fmt.Errorf("sse: %w", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if len(data) > 0 {
				ev.Data = strings.Join(data, "\n")
				return ev, nil
			}
			ev = SSEEvent{}
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			ev.ID = value
		case "event":
			ev.Event = value
		case "data":
			data = append(data, value)
		}
	}
}
