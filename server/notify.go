package server

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

// notify is the client form of Server.notify, for the client's selected database.
func (c *Client) notify(class NotifyClass, event string, key []byte) {
	c.srv.notify(class, event, key, c.dbIndex)
}
