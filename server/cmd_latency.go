package server

import (
	"fmt"
	"strings"
	"time"
)

// LATENCY: the latency monitor's events and the per-command latency histograms.

func latencyCommands() []*Command {
	const f = FlagAdmin | FlagNoScript | FlagLoading | FlagStale
	return []*Command{
		{Name: "latency", Arity: -2, Group: "server", Subs: subs(
			sub("latency", "doctor", 2, f, cmdLatencyDoctor),
			sub("latency", "graph", 3, f, cmdLatencyGraph),
			sub("latency", "histogram", -2, f, cmdLatencyHistogram),
			sub("latency", "history", 3, f, cmdLatencyHistory),
			sub("latency", "latest", 2, f, cmdLatencyLatest),
			sub("latency", "reset", -2, f, cmdLatencyReset),
			sub("latency", "help", 2, FlagLoading|FlagStale, cmdLatencyHelp),
		)},
	}
}

// commandLatency records a command's duration as a "command" or "fast-command" event.
func (s *Server) commandLatency(cmd *Command, dur time.Duration) {
	event := "command"
	if cmd.Flags&FlagFast != 0 {
		event = "fast-command"
	}
	s.latencyAddIfNeeded(event, dur.Milliseconds())
}

func cmdLatencyHistory(c *Client) {
	ts := c.srv.latency.series[string(c.args[2])]
	if ts == nil {
		c.w.Array(0)
		return
	}
	n := 0
	ts.each(func(latencySample) { n++ })
	c.w.Array(n)
	ts.each(func(sm latencySample) {
		c.w.Array(2)
		c.w.Int(sm.time)
		c.w.Int(sm.latency)
	})
}

func cmdLatencyLatest(c *Client) {
	e := &c.srv.latency
	c.w.Array(len(e.names))
	for _, name := range e.names {
		ts := e.series[name]
		last := ts.samples[(ts.idx+latencyTSLen-1)%latencyTSLen]
		c.w.Array(4)
		c.w.BulkString(name)
		c.w.Int(last.time)
		c.w.Int(last.latency)
		c.w.Int(ts.max)
	}
}

func cmdLatencyReset(c *Client) {
	if len(c.args) == 2 {
		c.w.Int(c.srv.latency.reset(""))
		return
	}
	var n int64
	for _, ev := range c.args[2:] {
		if len(ev) > 0 {
			n += c.srv.latency.reset(string(ev))
		}
	}
	c.w.Int(n)
}

// cmdLatencyHistogram replies the latency histogram of every command that has one, or of
// the named commands (a container with its subcommands'); unknown names are skipped.
func cmdLatencyHistogram(c *Client) {
	var cmds []*Command
	add := func(cmd *Command) {
		if cmd.stats.hist != nil {
			cmds = append(cmds, cmd)
		}
	}
	if len(c.args) == 2 {
		c.srv.eachCommand(add)
	} else {
		for _, name := range c.args[2:] {
			cmd := c.srv.lookupCommandName(string(name))
			if cmd == nil {
				continue
			}
			add(cmd)
			for _, sc := range cmd.Subs {
				add(sc)
			}
		}
	}
	c.w.Map(len(cmds))
	var pairs []int64
	for _, cmd := range cmds {
		h := cmd.stats.hist
		c.w.BulkString(cmd.Name)
		c.w.Map(2)
		c.w.BulkString("calls")
		c.w.Int(h.total)
		c.w.BulkString("histogram_usec")
		pairs = h.appendCDF(pairs[:0])
		c.w.Map(len(pairs) / 2)
		for _, v := range pairs {
			c.w.Int(v)
		}
	}
}

func cmdLatencyGraph(c *Client) {
	name := string(c.args[2])
	ts := c.srv.latency.series[name]
	if ts == nil {
		c.err(fmt.Sprintf("ERR No samples available for event '%s'", name))
		return
	}
	c.w.Verbatim(latencyGraph(name, ts, time.Now().Unix()), "txt")
}

func cmdLatencyDoctor(c *Client) {
	c.w.Verbatim(c.srv.latencyReport(time.Now().Unix()), "txt")
}

func cmdLatencyHelp(c *Client) {
	c.replyHelpLines("LATENCY", []string{
		"DOCTOR",
		"    Return a human readable latency analysis report.",
		"GRAPH <event>",
		"    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
	})
}

// latencyGraph is LATENCY GRAPH's text: a header, then the samples as a sparkline of 4
// rows and 80 columns with the age of each sample written vertically under it.
func latencyGraph(event string, ts *latencySeries, now int64) string {
	var vals []int64
	var labels []string
	var lo, hi int64
	ts.each(func(sm latencySample) {
		if len(vals) == 0 || sm.latency < lo {
			lo = sm.latency
		}
		if len(vals) == 0 || sm.latency > hi {
			hi = sm.latency
		}
		vals = append(vals, sm.latency)
		labels = append(labels, sampleAge(now-sm.time))
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", event, hi, lo, ts.max)
	b.WriteString(strings.Repeat("-", 80) + "\n")
	for j := 0; j < len(vals); j += 80 {
		if j != 0 {
			b.WriteByte('\n')
		}
		end := min(j+80, len(vals))
		sparkline(&b, vals[j:end], labels[j:end], lo, hi)
	}
	return b.String()
}

// sampleAge is a sample's age label: seconds, minutes, hours or days.
func sampleAge(secs int64) string {
	switch {
	case secs < 60:
		return fmt.Sprintf("%ds", secs)
	case secs < 3600:
		return fmt.Sprintf("%dm", secs/60)
	case secs < 86400:
		return fmt.Sprintf("%dh", secs/3600)
	}
	return fmt.Sprintf("%dd", secs/86400)
}

// sparkline draws vals as 4 rows of filled bars ('_', 'o', '#', then '|' below), a blank
// row, then the labels vertically, one character per row.
func sparkline(b *strings.Builder, vals []int64, labels []string, lo, hi int64) {
	const rows, charset = 4, "_o#"
	steps := len(charset) * rows
	rel := float64(hi - lo)
	if rel == 0 {
		rel = 1
	}
	line := make([]byte, len(vals))
	emit := func() { b.Write(line); b.WriteByte('\n') }
	for row := 0; row < rows; row++ {
		for j, v := range vals {
			step := min(max(int(float64(v-lo)*float64(steps)/rel), 0), steps-1)
			line[j] = ' '
			switch idx := step - (rows-row-1)*len(charset); {
			case idx >= len(charset):
				line[j] = '|'
			case idx >= 0:
				line[j] = charset[idx]
			}
		}
		emit()
	}
	for j := range line {
		line[j] = ' '
	}
	emit()
	for k := 0; ; k++ {
		more := false
		for j, l := range labels {
			line[j] = ' '
			if k < len(l) {
				line[j], more = l[k], true
			}
		}
		if !more {
			return
		}
		emit()
	}
}

// latencyReport is LATENCY DOCTOR's text.
func (s *Server) latencyReport(now int64) string {
	e := &s.latency
	if len(e.names) == 0 && s.cfg.LatencyMonitorThreshold == 0 {
		return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
	}
	var b strings.Builder
	adv := map[string]bool{}
	for i, name := range e.names {
		if i == 0 {
			b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
		}
		ts := e.series[name]
		n, avg, mad, period := latencyAnalyze(ts, now)
		fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). Worst all time event %dms.\n",
			i+1, name, n, avg, mad, float64(period)/float64(n), ts.max)
		s.latencyAdvices(strings.ToLower(name), adv)
	}
	switch {
	case len(e.names) == 0 && len(adv) == 0:
		b.WriteString("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n")
	case len(adv) == 0:
		b.WriteString("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n")
	default:
		b.WriteString("\nI have a few advices for you:\n\n")
		s.writeAdvices(&b, adv)
	}
	return b.String()
}

// latencyAnalyze returns an event's sample count, average, mean absolute deviation and
// the seconds since its oldest sample (at least 1).
func latencyAnalyze(ts *latencySeries, now int64) (n, avg, mad, period int64) {
	var sum, oldest int64
	ts.each(func(sm latencySample) {
		n++
		sum += sm.latency
		if oldest == 0 || sm.time < oldest {
			oldest = sm.time
		}
	})
	if n == 0 {
		return 0, 0, 0, 0
	}
	avg = sum / n
	period = max(now-oldest, 1)
	var dev int64
	ts.each(func(sm latencySample) {
		d := avg - sm.latency
		dev += max(d, -d)
	})
	return n, avg, dev / n, period
}
