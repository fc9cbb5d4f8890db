package server

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// flagsRedisOnly are COMMAND INFO flags Vigil's table cannot express (computed or
// irrelevant to Vigil): they are ignored when comparing.
var flagsRedisOnly = map[string]bool{"movablekeys": true, "asking": true, "no_async_loading": true, "module": true}

// flagsVigilOnly are Vigil flags Redis does not report in COMMAND INFO.
var flagsVigilOnly = map[string]bool{"protected": true}

func sortedFlags(list []string, drop map[string]bool) string {
	var out []string
	for _, f := range list {
		if !drop[f] {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// TestCommandTableMatchesRedis checks every command and subcommand of Vigil's table against
// Redis 7.0.15's metadata (arity, flags, first/last/step) and reports every mismatch at once.
// Commands Redis does not have are only reported.
func TestCommandTableMatchesRedis(t *testing.T) {
	meta := redisCommandMeta()
	table := buildCommandTable()
	var all []*Command
	for _, cmd := range table {
		all = append(all, cmd)
		for _, sc := range cmd.Subs {
			all = append(all, sc)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	var mismatches, missing []string
	for _, cmd := range all {
		m := meta[cmd.Name]
		if m == nil {
			missing = append(missing, cmd.Name)
			continue
		}
		if got, want := cmd.Arity, m.arity(); got != want {
			mismatches = append(mismatches, fmt.Sprintf("%s: arity got %d, want %d", cmd.Name, got, want))
		}
		if got, want := sortedFlags(cmd.Flags.Names(), flagsVigilOnly), sortedFlags(m.flags(), flagsRedisOnly); got != want {
			mismatches = append(mismatches, fmt.Sprintf("%s: flags got [%s], want [%s]", cmd.Name, got, want))
		}
		f, l, s := m.keyPos()
		if cmd.FirstKey != f || cmd.LastKey != l || cmd.Step != s {
			mismatches = append(mismatches, fmt.Sprintf("%s: keys got %d/%d/%d, want %d/%d/%d",
				cmd.Name, cmd.FirstKey, cmd.LastKey, cmd.Step, f, l, s))
		}
	}
	if len(missing) > 0 {
		t.Logf("%d commands without Redis 7.0.15 metadata (not compared): %s", len(missing), strings.Join(missing, " "))
	}
	if len(mismatches) > 0 {
		t.Errorf("%d commands differ from Redis 7.0.15:\n%s", len(mismatches), strings.Join(mismatches, "\n"))
	}
}
