package server

// removeMembers is the shape HDEL, SREM and ZREM share: remove each member, delete the key
// as soon as the collection is empty, then touch watchers, notify (event, plus "del" when
// the key went away), count the changes and reply how many members were removed.
func (c *Client) removeMembers(key []byte, members [][]byte, class NotifyClass, event string, remove func(m []byte) bool, size func() int) {
	deleted, removed := int64(0), false
	for _, m := range members {
		if remove(m) {
			deleted++
			if size() == 0 {
				c.dbDelete(key)
				removed = true
				break
			}
		}
	}
	if deleted > 0 {
		c.touch(key)
		c.notify(class, event, key)
		if removed {
			c.notify(NotifyGeneric, "del", key)
		}
		c.addDirty(deleted)
	}
	c.w.Int(deleted)
}
