package server

// multiCommands returns MULTI, EXEC, DISCARD, WATCH, UNWATCH.
func multiCommands() []*Command { return nil }

// queueMulti queues cmd (with copied arguments) while c is inside MULTI and replies +QUEUED.
func (s *Server) queueMulti(c *Client, cmd *Command) {}

// touchWatched marks every client watching key in db as dirty (touchWatchedKey).
func (s *Server) touchWatched(db int, key string) {}

// unwatchAll drops every WATCH of c.
func (s *Server) unwatchAll(c *Client) {}
