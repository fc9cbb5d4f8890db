package server

import (
	"bytes"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// fakeNofile is a limit that can be raised up to hard (0 = not at all).
type fakeNofile struct {
	cur, hard uint64
	getErr    error
	sets      int
}

func (f *fakeNofile) get() (uint64, error) { return f.cur, f.getErr }

func (f *fakeNofile) set(n uint64) error {
	f.sets++
	if n > f.hard {
		return syscall.EPERM
	}
	f.cur = n
	return nil
}

func TestAdjustOpenFiles(t *testing.T) {
	tests := []struct {
		name       string
		maxclients int
		lim        fakeNofile
		want       int
		wantCur    uint64
		wantErr    string
		wantLog    []string
	}{
		{"enough already", 10000, fakeNofile{cur: 20000}, 10000, 20000, "", nil},
		{"raised", 10000, fakeNofile{cur: 256, hard: 1 << 20}, 10000, 10032, "",
			[]string{"Increased maximum number of open files to 10032 (it was originally set to 256)."}},
		{"not permitted", 10000, fakeNofile{cur: 256}, 224, 256, "", []string{
			"You requested maxclients of 10000 requiring at least 10032 max file descriptors.",
			"Server can't set maximum open files to 10032 because of OS error: Operation not permitted.",
			"Current maximum open files is 256. maxclients has been reduced to 224 to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'."}},
		// 10032 - 16k steps: 288 is the highest value at most 300
		{"raised part of the way", 10000, fakeNofile{cur: 256, hard: 300}, 256, 288, "",
			[]string{"Current maximum open files is 288. maxclients has been reduced to 256"}},
		{"too low to start", 10000, fakeNofile{cur: 20}, 0, 20, "Your current 'ulimit -n' of 20 is not enough for the server to start. Please increase your open file limit to at least 10032. Exiting.", nil},
		{"unknown limit", 10000, fakeNofile{getErr: syscall.EINVAL}, 992, 0, "",
			[]string{"Unable to obtain the current NOFILE limit (Invalid argument), assuming 1024 and setting the max clients configuration accordingly."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			lim := tt.lim
			got, err := adjustOpenFiles(tt.maxclients, &lim, zerolog.New(&buf))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("adjustOpenFiles(%d, limit %d): got error %v, want %q", tt.maxclients, tt.lim.cur, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want || lim.cur != tt.wantCur {
				t.Fatalf("adjustOpenFiles(%d, limit %d): got %d, limit %d, %v; want %d, limit %d",
					tt.maxclients, tt.lim.cur, got, lim.cur, err, tt.want, tt.wantCur)
			}
			for _, w := range tt.wantLog {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("log lacks %q:\n%s", w, buf.String())
				}
			}
			if tt.wantLog == nil && buf.Len() > 0 {
				t.Errorf("got log %q, want none", buf.String())
			}
		})
	}
}

func TestAcceptErrorLogRateLimited(t *testing.T) {
	var buf bytes.Buffer
	log := zerolog.New(&buf)
	var a acceptErrorLog
	start := time.Unix(1000, 0)
	err := errors.New("accept tcp: too many open files")
	for i := 0; i < 1000; i++ {
		a.failed(log, err, start.Add(time.Duration(i)*time.Millisecond)) // 1000 failures in one second
	}
	a.failed(log, err, start.Add(acceptLogEvery))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], `"suppressed":999`) {
		t.Fatalf("1001 failures over one second: got %d lines %q, want 2, the second with suppressed 999", len(lines), lines)
	}
}
