package server

import (
	"fmt"
	"sort"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/resp"
)

// pubsubState is the server side of pub/sub: who listens to what. Subscriber lists keep
// subscription order, which is the order messages are delivered in; patterns keep their
// creation order (patternOrder), which is the order they are tried by PUBLISH.
type pubsubState struct {
	channels     map[string][]*Client // SUBSCRIBE
	shard        map[string][]*Client // SSUBSCRIBE (a separate namespace outside cluster mode)
	patterns     map[string][]*Client // PSUBSCRIBE
	patternOrder []string
}

func newPubsubState() pubsubState {
	return pubsubState{
		channels: map[string][]*Client{},
		shard:    map[string][]*Client{},
		patterns: map[string][]*Client{},
	}
}

// pubsubCommands returns SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, their UNSUBSCRIBE forms,
// PUBLISH, SPUBLISH and PUBSUB.
func pubsubCommands() []*Command {
	const sub = FlagPubSub | FlagNoScript | FlagLoading | FlagStale
	const pub = FlagPubSub | FlagLoading | FlagStale | FlagFast
	const intro = FlagPubSub | FlagLoading | FlagStale
	return []*Command{
		{Name: "subscribe", Arity: -2, Flags: sub, Handler: cmdSubscribe, Group: "pubsub"},
		{Name: "psubscribe", Arity: -2, Flags: sub, Handler: cmdPsubscribe, Group: "pubsub"},
		{Name: "ssubscribe", Arity: -2, Flags: sub, FirstKey: 1, LastKey: -1, Step: 1, Handler: cmdSsubscribe, Group: "pubsub"},
		{Name: "unsubscribe", Arity: -1, Flags: sub, Handler: cmdUnsubscribe, Group: "pubsub"},
		{Name: "punsubscribe", Arity: -1, Flags: sub, Handler: cmdPunsubscribe, Group: "pubsub"},
		{Name: "sunsubscribe", Arity: -1, Flags: sub, FirstKey: 1, LastKey: -1, Step: 1, Handler: cmdSunsubscribe, Group: "pubsub"},
		{Name: "publish", Arity: 3, Flags: pub, Handler: cmdPublish, Group: "pubsub"},
		{Name: "spublish", Arity: 3, Flags: pub, FirstKey: 1, LastKey: 1, Step: 1, Handler: cmdSpublish, Group: "pubsub"},
		{Name: "pubsub", Arity: -2, Group: "pubsub", Subs: subs(
			sub2("channels", -2, intro, cmdPubsubChannels),
			sub2("numpat", 2, intro, cmdPubsubNumpat),
			sub2("numsub", -2, intro, cmdPubsubNumsub),
			sub2("shardchannels", -2, intro, cmdPubsubShardChannels),
			sub2("shardnumsub", -2, intro, cmdPubsubShardNumsub),
			sub2("help", 2, FlagLoading|FlagStale, cmdPubsubHelp),
		)},
	}
}

func sub2(name string, arity int, flags Flag, h Handler) *Command {
	c := sub("pubsub", name, arity, flags, h)
	c.Group = "pubsub"
	return c
}

// pubsubKind selects one of the three subscription namespaces.
type pubsubKind int

const (
	kindChannel pubsubKind = iota
	kindPattern
	kindShard
)

// replyNames are the push-reply type names per kind: subscribe, unsubscribe, message.
var replyNames = [...][3]string{
	kindChannel: {"subscribe", "unsubscribe", "message"},
	kindPattern: {"psubscribe", "punsubscribe", "pmessage"},
	kindShard:   {"ssubscribe", "sunsubscribe", "smessage"},
}

// clientSubs returns c's own subscription set of kind, creating it if create.
func (c *Client) clientSubs(kind pubsubKind, create bool) map[string]struct{} {
	p := &c.subs
	switch kind {
	case kindPattern:
		p = &c.psubs
	case kindShard:
		p = &c.ssubs
	}
	if *p == nil && create {
		*p = map[string]struct{}{}
	}
	return *p
}

func (s *Server) registry(kind pubsubKind) map[string][]*Client {
	switch kind {
	case kindPattern:
		return s.pubsub.patterns
	case kindShard:
		return s.pubsub.shard
	}
	return s.pubsub.channels
}

// subCount is the count shown in (un)subscribe replies: channels plus patterns for the
// classic commands, shard channels for the sharded ones (clientSubscriptionsCount and
// clientShardSubscriptionsCount).
func (c *Client) subCount(kind pubsubKind) int64 {
	if kind == kindShard {
		return int64(len(c.ssubs))
	}
	return int64(len(c.subs) + len(c.psubs))
}

func (c *Client) totalSubs() int { return len(c.subs) + len(c.psubs) + len(c.ssubs) }

// subscribe adds c to name in kind's namespace and replies.
func (s *Server) subscribe(c *Client, kind pubsubKind, name []byte) {
	mine := c.clientSubs(kind, true)
	if _, ok := mine[k(name)]; !ok {
		key := string(name)
		mine[key] = struct{}{}
		c.listMem += int64(len(key) + subOverhead)
		reg := s.registry(kind)
		if kind == kindPattern {
			if _, exists := reg[key]; !exists {
				s.pubsub.patternOrder = append(s.pubsub.patternOrder, key)
			}
		}
		reg[key] = append(reg[key], c)
	}
	c.flags |= ClientPushing
	c.w.Push(3)
	c.w.BulkString(replyNames[kind][0])
	c.w.Bulk(name)
	c.w.Int(c.subCount(kind))
}

// unsubscribe removes c from name in kind's namespace; it replies if notify.
func (s *Server) unsubscribe(c *Client, kind pubsubKind, name []byte, notify bool) {
	mine := c.clientSubs(kind, false)
	if _, ok := mine[k(name)]; ok {
		delete(mine, k(name))
		c.listMem -= int64(len(name) + subOverhead)
		reg := s.registry(kind)
		list := removeClient(reg[k(name)], c)
		if len(list) == 0 {
			delete(reg, k(name))
			if kind == kindPattern {
				s.pubsub.patternOrder = removeString(s.pubsub.patternOrder, k(name))
			}
		} else {
			reg[k(name)] = list
		}
	}
	if notify {
		c.flags |= ClientPushing
		c.w.Push(3)
		c.w.BulkString(replyNames[kind][1])
		c.w.Bulk(name)
		c.w.Int(c.subCount(kind))
	}
}

// unsubscribeKind removes every subscription of kind (sorted by name, for a stable
// order); with notify it replies one push per name, or the null form when there is none.
func (s *Server) unsubscribeKind(c *Client, kind pubsubKind, notify bool) {
	mine := c.clientSubs(kind, false)
	if len(mine) == 0 {
		if notify {
			c.flags |= ClientPushing
			c.w.Push(3)
			c.w.BulkString(replyNames[kind][1])
			c.w.Null()
			c.w.Int(c.subCount(kind))
		}
		return
	}
	for _, name := range sortedNames(mine) {
		s.unsubscribe(c, kind, []byte(name), notify)
	}
}

func sortedNames(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for name := range m {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func removeClient(list []*Client, c *Client) []*Client {
	for i, x := range list {
		if x == c {
			copy(list[i:], list[i+1:])
			list[len(list)-1] = nil
			return list[:len(list)-1]
		}
	}
	return list
}

func removeString(list []string, s string) []string {
	for i, x := range list {
		if x == s {
			copy(list[i:], list[i+1:])
			return list[:len(list)-1]
		}
	}
	return list
}

// updatePubSubFlag sets ClientPubSub while c has any subscription (RESP2 then accepts
// only the subscription commands, PING, QUIT and RESET).
func (c *Client) updatePubSubFlag() {
	if c.totalSubs() > 0 {
		c.flags |= ClientPubSub
	} else {
		c.flags &^= ClientPubSub
	}
}

// unsubscribeAll drops every subscription of c without replying (disconnect, RESET).
func (s *Server) unsubscribeAll(c *Client) {
	s.unsubscribeKind(c, kindChannel, false)
	s.unsubscribeKind(c, kindPattern, false)
	s.unsubscribeKind(c, kindShard, false)
	c.flags &^= ClientPubSub
}

func cmdSubscribe(c *Client) {
	if c.has(ClientDenyBlocking) && !c.has(ClientMulti) {
		c.err(fmt.Sprintf(ErrSubscribeDenyBlocking, "SUBSCRIBE"))
		return
	}
	for _, ch := range c.args[1:] {
		c.srv.subscribe(c, kindChannel, ch)
	}
	c.flags |= ClientPubSub
}

func cmdPsubscribe(c *Client) {
	if c.has(ClientDenyBlocking) && !c.has(ClientMulti) {
		c.err(fmt.Sprintf(ErrSubscribeDenyBlocking, "PSUBSCRIBE"))
		return
	}
	for _, p := range c.args[1:] {
		c.srv.subscribe(c, kindPattern, p)
	}
	c.flags |= ClientPubSub
}

// cmdSsubscribe: unlike SUBSCRIBE, SSUBSCRIBE is refused inside EXEC too (Redis 7.0).
func cmdSsubscribe(c *Client) {
	if c.has(ClientDenyBlocking) {
		c.err(fmt.Sprintf(ErrSubscribeDenyBlocking, "SSUBSCRIBE"))
		return
	}
	for _, ch := range c.args[1:] {
		c.srv.subscribe(c, kindShard, ch)
	}
	c.flags |= ClientPubSub
}

func unsubscribeCommand(c *Client, kind pubsubKind) {
	if len(c.args) == 1 {
		c.srv.unsubscribeKind(c, kind, true)
	} else {
		for _, name := range c.args[1:] {
			c.srv.unsubscribe(c, kind, name, true)
		}
	}
	c.updatePubSubFlag()
}

func cmdUnsubscribe(c *Client)  { unsubscribeCommand(c, kindChannel) }
func cmdPunsubscribe(c *Client) { unsubscribeCommand(c, kindPattern) }
func cmdSunsubscribe(c *Client) { unsubscribeCommand(c, kindShard) }

// cmdPublish publishes and is always propagated (replicas deliver to their own
// subscribers, Sentinel relies on it), without counting as a change.
func cmdPublish(c *Client) {
	n := c.srv.publish(c.args[1], c.args[2], false)
	c.propagate(c.args...)
	c.w.Int(int64(n))
}

func cmdSpublish(c *Client) {
	n := c.srv.publish(c.args[1], c.args[2], true)
	c.propagate(c.args...)
	c.w.Int(int64(n))
}

// publish delivers msg to the subscribers of channel (then, for classic channels, to
// the matching patterns) and returns the number of deliveries (pubsubPublishMessage).
func (s *Server) publish(channel, msg []byte, shard bool) int {
	n := 0
	kind := kindChannel
	if shard {
		kind = kindShard
	}
	for _, sc := range s.registry(kind)[k(channel)] {
		sendMessage(sc, replyNames[kind][2], "", channel, msg)
		n++
	}
	if shard || len(s.pubsub.patternOrder) == 0 {
		return n
	}
	for _, pat := range s.pubsub.patternOrder {
		if !config.Glob(pat, k(channel), false) {
			continue
		}
		for _, sc := range s.pubsub.patterns[pat] {
			sendMessage(sc, "pmessage", pat, channel, msg)
			n++
		}
	}
	return n
}

// sendMessage writes a message push to c in c's protocol. Output c produced in the
// current batch and not yet queued (its own PUBLISH, a blocked command's reply) must go
// first, so the message is appended after it; otherwise it goes straight to the pending
// output and wakes the writer.
func sendMessage(c *Client, typ, pattern string, channel, msg []byte) {
	write := func(w *resp.Writer) {
		if pattern != "" {
			w.Push(4)
			w.BulkString(typ)
			w.BulkString(pattern)
		} else {
			w.Push(3)
			w.BulkString(typ)
		}
		w.Bulk(channel)
		w.Bulk(msg)
	}
	if len(c.w.B) > 0 {
		write(&c.w)
		return
	}
	c.deliver(write)
}

// pubsubCounts returns the numbers of channels, patterns and shard channels with at
// least one subscriber (INFO pubsub_channels, pubsub_patterns, pubsubshard_channels).
func (s *Server) pubsubCounts() (channels, patterns, shard int) {
	return len(s.pubsub.channels), len(s.pubsub.patterns), len(s.pubsub.shard)
}

func cmdPubsubChannels(c *Client) { pubsubChannels(c, c.srv.pubsub.channels) }

func cmdPubsubShardChannels(c *Client) { pubsubChannels(c, c.srv.pubsub.shard) }

// pubsubChannels replies the active channels of reg matching the optional pattern
// (sorted; Redis's order is its hash table's).
func pubsubChannels(c *Client, reg map[string][]*Client) {
	if len(c.args) > 3 {
		c.err(fmt.Sprintf(ErrSubcommandSyntax, string(c.args[1]), "PUBSUB"))
		return
	}
	all, pat := len(c.args) == 2, ""
	if !all {
		pat = string(c.args[2])
	}
	names := make([]string, 0, len(reg))
	for name := range reg {
		if all || config.Glob(pat, name, false) { // "*" does not match "": no pattern does
			names = append(names, name)
		}
	}
	sort.Strings(names)
	c.w.Array(len(names))
	for _, name := range names {
		c.w.BulkString(name)
	}
}

func cmdPubsubNumpat(c *Client) { c.w.Int(int64(len(c.srv.pubsub.patterns))) }

func cmdPubsubNumsub(c *Client) { pubsubNumsub(c, c.srv.pubsub.channels) }

func cmdPubsubShardNumsub(c *Client) { pubsubNumsub(c, c.srv.pubsub.shard) }

// pubsubNumsub replies a flat array of (channel, subscribers) pairs, also in RESP3.
func pubsubNumsub(c *Client, reg map[string][]*Client) {
	c.w.Array(2 * (len(c.args) - 2))
	for _, ch := range c.args[2:] {
		c.w.Bulk(ch)
		c.w.Int(int64(len(reg[k(ch)])))
	}
}

var pubsubHelp = []string{
	"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CHANNELS [<pattern>]",
	"    Return the currently active channels matching a <pattern> (default: '*').",
	"NUMPAT",
	"    Return number of subscriptions to patterns.",
	"NUMSUB [<channel> ...]",
	"    Return the number of subscribers for the specified channels, excluding",
	"    pattern subscriptions(default: no channels).",
	"SHARDCHANNELS [<pattern>]",
	"    Return the currently active shard level channels matching a <pattern> (default: '*').",
	"SHARDNUMSUB [<shardchannel> ...]",
	"    Return the number of subscribers for the specified shard level channel(s)",
	"HELP",
	"    Prints this help.",
}

func cmdPubsubHelp(c *Client) {
	c.w.Array(len(pubsubHelp))
	for _, line := range pubsubHelp {
		c.w.Simple(line)
	}
}
