package server

import (
	"errors"
	"strconv"
)

// NotifyClass is a keyspace-notification class (the letters of notify-keyspace-events).
type NotifyClass int

// Notification classes.
const (
	NotifyKeyspace NotifyClass = 1 << iota // K
	NotifyKeyevent                         // E
	NotifyGeneric                          // g
	NotifyString                           // $
	NotifyList                             // l
	NotifySet                              // s
	NotifyHash                             // h
	NotifyZSet                             // z
	NotifyExpired                          // x
	NotifyEvicted                          // e
	NotifyStream                           // t
	NotifyKeyMiss                          // m
	NotifyModule                           // d
	NotifyNew                              // n
)

// NotifyAll is the 'A' alias: every class except key-miss (m) and new-key (n) events.
const NotifyAll = NotifyGeneric | NotifyString | NotifyList | NotifySet | NotifyHash | NotifyZSet |
	NotifyExpired | NotifyEvicted | NotifyStream | NotifyModule

// ParseNotifyFlags parses a notify-keyspace-events string as Redis's
// keyspaceEventsStringToFlags does. Any other character is an error.
func ParseNotifyFlags(str string) (NotifyClass, error) {
	var f NotifyClass
	for i := 0; i < len(str); i++ {
		switch str[i] {
		case 'A':
			f |= NotifyAll
		case 'g':
			f |= NotifyGeneric
		case '$':
			f |= NotifyString
		case 'l':
			f |= NotifyList
		case 's':
			f |= NotifySet
		case 'h':
			f |= NotifyHash
		case 'z':
			f |= NotifyZSet
		case 'x':
			f |= NotifyExpired
		case 'e':
			f |= NotifyEvicted
		case 'K':
			f |= NotifyKeyspace
		case 'E':
			f |= NotifyKeyevent
		case 't':
			f |= NotifyStream
		case 'm':
			f |= NotifyKeyMiss
		case 'd':
			f |= NotifyModule
		case 'n':
			f |= NotifyNew
		default:
			return 0, errors.New(ErrNotifyClass)
		}
	}
	return f, nil
}

// String returns the canonical flag string, as Redis's keyspaceEventsFlagsToString
// (what CONFIG GET notify-keyspace-events shows): "A" replaces the classes it covers
// (and then hides 'n'), followed by K, E and m.
func (f NotifyClass) String() string {
	var b []byte
	if f&NotifyAll == NotifyAll {
		b = append(b, 'A')
	} else {
		for _, c := range []struct {
			class  NotifyClass
			letter byte
		}{
			{NotifyGeneric, 'g'}, {NotifyString, '$'}, {NotifyList, 'l'}, {NotifySet, 's'},
			{NotifyHash, 'h'}, {NotifyZSet, 'z'}, {NotifyExpired, 'x'}, {NotifyEvicted, 'e'},
			{NotifyStream, 't'}, {NotifyModule, 'd'}, {NotifyNew, 'n'},
		} {
			if f&c.class != 0 {
				b = append(b, c.letter)
			}
		}
	}
	if f&NotifyKeyspace != 0 {
		b = append(b, 'K')
	}
	if f&NotifyKeyevent != 0 {
		b = append(b, 'E')
	}
	if f&NotifyKeyMiss != 0 {
		b = append(b, 'm')
	}
	return string(b)
}

// setNotifyFlags applies a notify-keyspace-events value (CONFIG SET, config load). On
// success the configuration keeps the canonical form (CONFIG GET shows "AKE" for "KEA").
// The returned error's text is Redis's CONFIG SET reason. Called under the execution lock.
func (s *Server) setNotifyFlags(str string) error {
	f, err := ParseNotifyFlags(str)
	if err != nil {
		return err
	}
	s.notifyFlags = f
	s.cfg.NotifyKeyspaceEvents = f.String()
	return nil
}

// notify is the client form of Server.notify, for the client's selected database.
func (c *Client) notify(class NotifyClass, event string, key []byte) {
	if c.srv.notifyFlags&class == 0 {
		return
	}
	c.srv.publishKeyspaceEvent(class, event, key, c.dbIndex)
}

// notify publishes a keyspace notification (notifyKeyspaceEvent) if class is enabled:
// "__keyspace@<db>__:<key>" with the event as message (K), and
// "__keyevent@<db>__:<event>" with the key as message (E). When notifications are off
// it costs one test.
func (s *Server) notify(class NotifyClass, event string, key []byte, db int) {
	if s.notifyFlags&class == 0 {
		return
	}
	s.publishKeyspaceEvent(class, event, key, db)
}

func (s *Server) publishKeyspaceEvent(class NotifyClass, event string, key []byte, db int) {
	var buf [128]byte
	if s.notifyFlags&NotifyKeyspace != 0 {
		ch := append(buf[:0], "__keyspace@"...)
		ch = strconv.AppendInt(ch, int64(db), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, key...)
		s.publish(ch, []byte(event), false)
	}
	if s.notifyFlags&NotifyKeyevent != 0 {
		ch := append(buf[:0], "__keyevent@"...)
		ch = strconv.AppendInt(ch, int64(db), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, event...)
		s.publish(ch, key, false)
	}
}
