package server

// pubsubCommands returns SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB.
func pubsubCommands() []*Command { return nil }

// notify publishes a keyspace notification (notifyKeyspaceEvent) if enabled for class.
func (s *Server) notify(class NotifyClass, event string, key []byte, db int) {}

// unsubscribeAll drops every subscription of c (on disconnect and RESET).
func (s *Server) unsubscribeAll(c *Client) {}
