package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/config"
)

// TestLogTimestampsHaveMilliseconds checks that log lines carry the time to the
// millisecond, as Redis's do: the logged time lies between the clock read just before
// and just after the line (a whole-second stamp would lie before the first).
func TestLogTimestampsHaveMilliseconds(t *testing.T) {
	cfg := config.Default()
	cfg.Dir = t.TempDir()
	cfg.LogFile = "vigil.log"
	log, _, closeLog, err := newLogger(cfg)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Truncate(time.Millisecond)
	log.Info().Msg("hello")
	after := time.Now()
	closeLog()
	raw, err := os.ReadFile(filepath.Join(cfg.Dir, "vigil.log"))
	if err != nil {
		t.Fatal(err)
	}
	line := string(raw)
	stamp := line[:len(time.StampMilli)]
	got, err := time.ParseInLocation(time.StampMilli, stamp, time.Local)
	if err != nil {
		t.Fatalf("log line %q: timestamp: %v", line, err)
	}
	got = got.AddDate(before.Year(), 0, 0)
	if got.Before(before) || got.After(after) {
		t.Errorf("log line %q: time %v, want between %v and %v", line, got, before, after)
	}
}

// TestLogo checks the start-up banner: printed with always-show-logo yes, with the mode,
// the port and " PID: <pid>" (what Redis's test suite looks for to find the server).
func TestLogo(t *testing.T) {
	var b bytes.Buffer
	cfg := config.Default()
	if showLogo(cfg, &b) {
		t.Errorf("showLogo with always-show-logo no and a non-terminal log = true")
	}
	cfg.AlwaysShowLogo = true
	if !showLogo(cfg, &b) {
		t.Errorf("showLogo with always-show-logo yes = false")
	}
	printLogo(&b, "standalone", 6400)
	for _, want := range []string{"Running in standalone mode", "Port: 6400", " PID: " + strconv.Itoa(os.Getpid()) + "\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("logo %q lacks %q", b.String(), want)
		}
	}
}
