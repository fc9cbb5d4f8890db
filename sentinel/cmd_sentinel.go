package sentinel

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/failover"
	"github.com/vigil-db/vigil/resp"
)

// sentinelSub is one SENTINEL subcommand: arity counts "sentinel" and the subcommand.
type sentinelSub struct {
	arity int
	run   func(s *Sentinel, w *resp.Writer, argv []string)
}

func sentinelSubs() map[string]sentinelSub {
	return map[string]sentinelSub{
		"masters": {2, subMasters}, "master": {3, subMaster}, "replicas": {3, subReplicas},
		"slaves": {3, subReplicas}, "sentinels": {3, subSentinels},
		"get-master-addr-by-name": {3, subGetAddr}, "is-master-down-by-addr": {6, subIsMasterDown},
		"reset": {3, subReset}, "failover": {3, subFailover}, "ckquorum": {3, subCKQuorum},
		"flushconfig": {2, subFlushConfig}, "monitor": {6, subMonitor}, "remove": {3, subRemove},
		"set": {-5, subSet}, "config": {-3, subConfig}, "myid": {2, subMyID}, "info-cache": {-3, subInfoCache},
		"pending-scripts": {2, subPendingScripts}, "simulate-failure": {-3, subSimulateFailure},
		"debug": {-2, subDebug}, "help": {2, subHelp},
	}
}

func cmdSentinel(c *client, argv []string) bool {
	name := strings.ToLower(argv[1])
	sub, ok := c.s.subs[name]
	if !ok {
		c.reply(func(w *resp.Writer) {
			w.Error(fmt.Sprintf("ERR unknown subcommand '%s'. Try SENTINEL HELP.", argv[1]))
		})
		return false
	}
	if sub.arity > 0 && len(argv) != sub.arity || sub.arity < 0 && len(argv) < -sub.arity {
		c.reply(func(w *resp.Writer) {
			w.Error("ERR wrong number of arguments for 'sentinel|" + name + "' command")
		})
		return false
	}
	return c.loop(func(w *resp.Writer) { sub.run(c.s, w, argv) })
}

// masterOrReply finds the named master or writes Redis's error.
func (s *Sentinel) masterOrReply(w *resp.Writer, name string) *instance {
	m := s.master(name)
	if m == nil {
		w.Error(msgNoSuchMaster)
	}
	return m
}

func subMasters(s *Sentinel, w *resp.Writer, argv []string) {
	now := s.now()
	w.Array(len(s.masters))
	for _, m := range s.masters {
		m.writeMap(w, now, s.view(m).of(m), s.announceHost)
	}
}

func subMaster(s *Sentinel, w *resp.Writer, argv []string) {
	if m := s.masterOrReply(w, argv[2]); m != nil {
		m.writeMap(w, s.now(), s.view(m).of(m), s.announceHost)
	}
}

func subReplicas(s *Sentinel, w *resp.Writer, argv []string) {
	m := s.masterOrReply(w, argv[2])
	if m == nil {
		return
	}
	var list []*instance
	for _, r := range m.replicas {
		if r.announced {
			list = append(list, r)
		}
	}
	now, v := s.now(), s.view(m)
	w.Array(len(list))
	for _, r := range list {
		r.writeMap(w, now, v.of(r), s.announceHost)
	}
}

func subSentinels(s *Sentinel, w *resp.Writer, argv []string) {
	m := s.masterOrReply(w, argv[2])
	if m == nil {
		return
	}
	now, v := s.now(), s.view(m)
	w.Array(len(m.sentinels))
	for _, si := range m.sentinels {
		si.writeMap(w, now, v.of(si), s.announceHost)
	}
}

func subGetAddr(s *Sentinel, w *resp.Writer, argv []string) {
	m := s.master(argv[2])
	if m == nil || s.cutOff(m) {
		w.NullArray()
		return
	}
	ca, _ := s.fo.ClientAddr(m.name)
	a := ca
	w.Array(2)
	w.BulkString(s.announceHost(a.Host))
	w.BulkString(strconv.Itoa(a.Port))
}

// cutOff is MasterSnapshot.CutOff: GET-MASTER-ADDR-BY-NAME then answers as for an
// unknown master (a null array), so that a client asks another sentinel rather than
// being sent back to a master that refuses its writes (docs/safety.md). The fenced-mode
// test comes first so that default mode, Redis's answer whatever the peers, builds no
// snapshot per query.
func (s *Sentinel) cutOff(m *instance) bool {
	return strings.Contains(m.info, "\nfenced_mode:1") && s.snapshot(m).CutOff
}

// subIsMasterDown is SENTINEL IS-MASTER-DOWN-BY-ADDR ip port epoch runid (spec §5.5).
func subIsMasterDown(s *Sentinel, w *resp.Writer, argv []string) {
	port, err1 := strconv.ParseInt(argv[3], 10, 64)
	epoch, err2 := strconv.ParseInt(argv[4], 10, 64)
	if err1 != nil || err2 != nil {
		w.Error(msgNotInteger)
		return
	}
	r := s.isMasterDown(Addr{Host: argv[2], Port: int(port)}, uint64(epoch), argv[5])
	w.Array(3)
	w.Int(int64(b2i(r.Down)))
	w.BulkString(r.Leader)
	w.Int(int64(r.LeaderEpoch))
}

func subReset(s *Sentinel, w *resp.Writer, argv []string) {
	n := 0
	for _, m := range s.masters {
		if config.Glob(argv[2], m.name, false) {
			s.resetMaster(m)
			n++
		}
	}
	if n > 0 {
		_ = s.flush()
	}
	w.Int(int64(n))
}

// resetMaster is sentinelResetMaster with an event: drop replicas and sentinels, clear state.
func (s *Sentinel) resetMaster(m *instance) {
	s.unwatch(m)
	m.replicas, m.sentinels = nil, nil
	m.ledEpoch = 0
	m.runID = ""
	_ = s.step(failover.Reset{Master: m.name}) // +reset-master
	s.stepSentinels(m)
	s.watch(m)
}

func subFailover(s *Sentinel, w *resp.Writer, argv []string) {
	m := s.masterOrReply(w, argv[2])
	if m == nil {
		return
	}
	switch err := s.manualFailover(m); {
	case errors.Is(err, failover.ErrInProgress):
		w.Error(msgInProgress)
	case errors.Is(err, failover.ErrNoGoodReplica):
		w.Error(msgNoGoodSlave)
	case err != nil:
		w.Error("ERR " + err.Error())
	default:
		w.OK()
	}
}

func subCKQuorum(s *Sentinel, w *resp.Writer, argv []string) {
	m := s.masterOrReply(w, argv[2])
	if m == nil {
		return
	}
	usable, quorum, majority := s.snapshot(m).CheckQuorum()
	var problems []string
	if !quorum {
		problems = append(problems, "Not enough available Sentinels to reach the specified quorum for this master")
	}
	if !majority {
		problems = append(problems, "Not enough available Sentinels to reach the majority and authorize a failover")
	}
	if len(problems) > 0 {
		w.Error(fmt.Sprintf("NOQUORUM %d usable Sentinels. %s", usable, strings.Join(problems, ". ")))
		return
	}
	w.Simple(fmt.Sprintf("OK %d usable Sentinels. Quorum and failover authorization can be reached", usable))
}

// flushAndReply is sentinelFlushConfigAndReply.
func (s *Sentinel) flushAndReply(w *resp.Writer) {
	if err := s.flush(); err != nil {
		w.Error(msgFlushFailed)
		return
	}
	w.OK()
}

func subFlushConfig(s *Sentinel, w *resp.Writer, argv []string) { s.flushAndReply(w) }

func subMonitor(s *Sentinel, w *resp.Writer, argv []string) {
	quorum, err := strconv.ParseInt(argv[5], 10, 64)
	if err != nil {
		w.Error("ERR Invalid quorum")
		return
	}
	port, err := strconv.ParseInt(argv[4], 10, 64)
	if err != nil {
		w.Error("ERR Invalid port")
		return
	}
	if quorum <= 0 {
		w.Error("ERR " + msgQuorum)
		return
	}
	if !s.cfg.ResolveHostnames && net.ParseIP(argv[3]) == nil {
		w.Error("ERR Invalid IP address or hostname specified")
		return
	}
	if reason := s.cfg.checkAddr(argv[3], int(port)); reason != "" {
		w.Error("ERR " + reason)
		return
	}
	if s.master(argv[2]) != nil {
		w.Error("ERR " + msgDupMaster)
		return
	}
	mc := NewMaster(argv[2], argv[3], int(port), int(quorum))
	if err := s.fo.Step(s.now(), failover.Monitor{Config: foMasterConfig(mc)}); err != nil {
		w.Error("ERR " + err.Error())
		return
	}
	m := newMaster(mc, s.now())
	s.masters = append(s.masters, m)
	s.flushAndReply(w)
	s.processReady() // +monitor
	s.watch(m)
}

func subRemove(s *Sentinel, w *resp.Writer, argv []string) {
	m := s.masterOrReply(w, argv[2])
	if m == nil {
		return
	}
	_ = s.fo.Step(s.now(), failover.Remove{Master: m.name})
	s.processReady() // -monitor
	s.unwatch(m)
	for i, o := range s.masters {
		if o == m {
			s.masters = append(s.masters[:i], s.masters[i+1:]...)
			break
		}
	}
	s.flushAndReply(w)
}

func subMyID(s *Sentinel, w *resp.Writer, argv []string) { w.BulkString(s.cfg.MyID) }

func subInfoCache(s *Sentinel, w *resp.Writer, argv []string) {
	var list []*instance
	for _, n := range argv[2:] {
		if m := s.master(n); m != nil {
			list = append(list, m)
		}
	}
	now := s.now()
	w.Array(2 * len(list))
	for _, m := range list {
		w.BulkString(m.name)
		w.Array(len(m.replicas) + 1)
		for _, i := range append([]*instance{m}, m.replicas...) {
			w.Array(2)
			w.Int(ms(now, i.infoRefresh))
			if i.info == "" {
				w.Null()
			} else {
				w.Verbatim(i.info, "txt")
			}
		}
	}
}

func subPendingScripts(s *Sentinel, w *resp.Writer, argv []string) {
	now := s.now()
	w.Array(len(s.scripts.queue))
	for _, j := range s.scripts.queue {
		w.Map(5)
		w.BulkString("argv")
		w.Array(len(j.argv))
		for _, a := range j.argv {
			w.BulkString(a)
		}
		w.BulkString("flags")
		pid := 0
		if j.running {
			w.BulkString("running")
			if j.cmd != nil && j.cmd.Process != nil {
				pid = j.cmd.Process.Pid
			}
		} else {
			w.BulkString("scheduled")
		}
		w.BulkString("pid")
		w.BulkString(strconv.Itoa(pid))
		if j.running {
			w.BulkString("run-time")
			w.BulkString(strconv.FormatInt(now.Sub(j.startAt).Milliseconds(), 10))
		} else {
			w.BulkString("run-delay")
			w.BulkString(strconv.FormatInt(max(0, j.runAfter.Sub(now).Milliseconds()), 10))
		}
		w.BulkString("retry-num")
		w.BulkString(strconv.Itoa(j.retry))
	}
}

// Simulated failures (SENTINEL SIMULATE-FAILURE).
const (
	simCrashAfterElection  = 1 << 0
	simCrashAfterPromotion = 1 << 1
)

func subSimulateFailure(s *Sentinel, w *resp.Writer, argv []string) {
	flags := 0
	for _, a := range argv[2:] {
		switch strings.ToLower(a) {
		case "crash-after-election":
			flags |= simCrashAfterElection
		case "crash-after-promotion":
			flags |= simCrashAfterPromotion
		case "help":
			w.Array(2)
			w.BulkString("crash-after-election")
			w.BulkString("crash-after-promotion")
			return
		default:
			w.Error("ERR Unknown failure simulation specified")
			return
		}
	}
	s.simulateFlags = flags
	w.OK()
}
