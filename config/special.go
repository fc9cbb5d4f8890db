package config

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// The directives with their own syntax: bind, save, dir, replicaof,
// client-output-buffer-limit, notify-keyspace-events,
// latency-tracking-info-percentiles and oom-score-adj-values.

// maxBindAddrs is Redis's CONFIG_BINDADDR_MAX.
const maxBindAddrs = 16

func getBind(s *Server) string { return strings.Join(s.Bind, " ") }

func setBind(s *Server, args []string) error {
	if len(args) > maxBindAddrs {
		return reason("Too many bind addresses specified.")
	}
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	s.Bind = append([]string(nil), args...)
	return nil
}

func rewriteBind(s *Server, st *rewriteState) {
	if getBind(s) == getBind(Default()) {
		st.processed("bind")
		return
	}
	addrs := strings.Join(s.Bind, " ")
	if len(s.Bind) == 0 {
		addrs = `""`
	}
	st.line("bind", "bind "+addrs, true)
}

func getSave(s *Server) string {
	parts := make([]string, 0, 2*len(s.Save))
	for _, p := range s.Save {
		parts = append(parts, strconv.Itoa(p.Seconds), strconv.Itoa(p.Changes))
	}
	return strings.Join(parts, " ")
}

// parseSave validates save arguments like Redis's setConfigSaveOption: pairs of
// <seconds >= 1> <changes >= 0>; a single "" means no save points.
func parseSave(args []string) ([]SavePoint, error) {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	if len(args)%2 != 0 {
		return nil, reason("Invalid save parameters")
	}
	points := make([]SavePoint, 0, len(args)/2)
	for j := 0; j < len(args); j += 2 {
		sec, ok1 := parseStrtoll(args[j], 10)
		chg, ok2 := parseStrtoll(args[j+1], 10)
		if !ok1 || !ok2 || sec < 1 || chg < 0 {
			return nil, reason("Invalid save parameters")
		}
		points = append(points, SavePoint{Seconds: int(sec), Changes: int(int32(chg))})
	}
	return points, nil
}

func setSave(s *Server, args []string) error {
	points, err := parseSave(args)
	if err != nil {
		return err
	}
	s.Save = points
	return nil
}

func rewriteSave(s *Server, st *rewriteState) {
	if len(s.Save) == 0 {
		st.line("save", `save ""`, true)
	}
	for _, p := range s.Save {
		st.line("save", "save "+strconv.Itoa(p.Seconds)+" "+strconv.Itoa(p.Changes), true)
	}
	st.processed("save")
}

func getDir(s *Server) string { return absFrom(".", s.Dir) }

func setDir(s *Server, args []string) error {
	if len(args) != 1 {
		return reason("wrong number of arguments")
	}
	p := absFrom(getDir(s), args[0])
	fi, err := os.Stat(p)
	if err != nil {
		return reason(strerror(err))
	}
	if !fi.IsDir() {
		return reason(strerror(syscall.ENOTDIR))
	}
	s.Dir = p
	return nil
}

func rewriteDir(s *Server, st *rewriteState) {
	st.line("dir", "dir "+repr(getDir(s)), true)
}

// Strerror renders an OS error the way C's strerror does ("No such file or directory"),
// for messages that copy Redis's.
func Strerror(err error) string { return strerror(err) }

// strerror renders an OS error the way C's strerror does ("No such file or directory").
func strerror(err error) string {
	var errno syscall.Errno
	msg := err.Error()
	if errors.As(err, &errno) {
		msg = errno.Error()
	}
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return msg
}

func getReplicaOf(s *Server) string { return s.ReplicaOf }

func setReplicaOf(s *Server, args []string) error {
	if len(args) != 2 {
		return reason("wrong number of arguments")
	}
	s.ReplicaOf = ""
	if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
		return nil
	}
	port, ok := parseStrtoll(args[1], 10)
	if !ok || port < 0 || port > 65535 {
		return reason("Invalid master port")
	}
	s.ReplicaOf = args[0] + " " + strconv.FormatInt(port, 10)
	return nil
}

func rewriteReplicaOf(s *Server, st *rewriteState) {
	if s.ReplicaOf == "" || extraLoad(s, "cluster-enabled", "no") == "yes" {
		st.processed("replicaof")
		return
	}
	st.line("replicaof", "replicaof "+s.ReplicaOf, true)
}

// classNames are the CONFIG GET names of the output buffer classes.
var classNames = [3]string{"normal", "slave", "pubsub"}

func getOutputBufferLimit(s *Server) string {
	parts := make([]string, 0, 3)
	for i, l := range s.ClientOutputBufferLimits {
		parts = append(parts, classNames[i]+" "+strconv.FormatInt(l.Hard, 10)+" "+
			strconv.FormatInt(l.Soft, 10)+" "+strconv.Itoa(l.SoftSeconds))
	}
	return strings.Join(parts, " ")
}

// setOutputBufferLimit is Redis's updateClientOutputBufferLimit: groups of
// <class> <hard> <soft> <soft-seconds>, validated all before any is applied.
func setOutputBufferLimit(s *Server, args []string) error {
	if len(args)%4 != 0 {
		return reason("Wrong number of arguments in buffer limit configuration.")
	}
	vals := s.ClientOutputBufferLimits
	for j := 0; j < len(args); j += 4 {
		class := -1
		switch strings.ToLower(args[j]) {
		case "normal":
			class = ClassNormal
		case "slave", "replica":
			class = ClassReplica
		case "pubsub":
			class = ClassPubSub
		}
		if class < 0 {
			return reason("Invalid client class specified in buffer limit configuration.")
		}
		hard, ok1 := parseMemory(args[j+1])
		soft, ok2 := parseMemory(args[j+2])
		secs, ok3 := parseStrtoll(args[j+3], 10)
		if !ok1 || !ok2 || !ok3 || secs < 0 || hard > 1<<63-1 || soft > 1<<63-1 {
			return reason("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
		}
		vals[class] = OutputBufferLimit{Hard: int64(hard), Soft: int64(soft), SoftSeconds: int(int32(secs))}
	}
	s.ClientOutputBufferLimits = vals
	return nil
}

func rewriteOutputBufferLimit(s *Server, st *rewriteState) {
	def := Default().ClientOutputBufferLimits
	names := [3]string{"normal", "replica", "pubsub"}
	for i, l := range s.ClientOutputBufferLimits {
		line := "client-output-buffer-limit " + names[i] + " " + formatMemory(l.Hard) + " " +
			formatMemory(l.Soft) + " " + strconv.Itoa(l.SoftSeconds)
		st.line("client-output-buffer-limit", line, l != def[i])
	}
}

func getNotify(s *Server) string { return s.NotifyKeyspaceEvents }

func setNotify(s *Server, args []string) error {
	if len(args) != 1 {
		return reason("wrong number of arguments")
	}
	flags, ok := parseKeyspaceEvents(args[0])
	if !ok {
		return reason("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
	}
	s.NotifyKeyspaceEvents = formatKeyspaceEvents(flags)
	return nil
}

func rewriteNotify(s *Server, st *rewriteState) {
	st.line("notify-keyspace-events", "notify-keyspace-events "+repr(s.NotifyKeyspaceEvents), s.NotifyKeyspaceEvents != "")
}

func getPercentiles(s *Server) string { return s.LatencyTrackingInfoPercentiles }

func setPercentiles(s *Server, args []string) error {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	out := make([]string, 0, len(args))
	for _, a := range args {
		f, ok := parsePercentile(a)
		if !ok {
			return reason("Invalid latency-tracking-info-percentiles parameters")
		}
		if f > 100 || f < 0 {
			return reason("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
		}
		out = append(out, formatPercentile(f))
	}
	s.LatencyTrackingInfoPercentiles = strings.Join(out, " ")
	return nil
}

func rewritePercentiles(s *Server, st *rewriteState) {
	v := s.LatencyTrackingInfoPercentiles
	if v == "" {
		v = `""`
	}
	st.line("latency-tracking-info-percentiles", "latency-tracking-info-percentiles "+v, true)
}

func getOOMValues(s *Server) string { return extraLoad(s, "oom-score-adj-values", "0 200 800") }

func setOOMValues(s *Server, args []string) error {
	if len(args) != 3 {
		return reason("wrong number of arguments")
	}
	out := make([]string, 3)
	for i, a := range args {
		v, ok := parseStrtoll(a, 10)
		if !ok || v < -2000 || v > 2000 {
			return reason("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
		}
		out[i] = strconv.FormatInt(v, 10)
	}
	extraStore(s, "oom-score-adj-values", strings.Join(out, " "))
	return nil
}

func rewriteOOMValues(s *Server, st *rewriteState) {
	v := getOOMValues(s)
	st.line("oom-score-adj-values", "oom-score-adj-values "+v, v != "0 200 800")
}
