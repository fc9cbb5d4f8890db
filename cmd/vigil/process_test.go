package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestProcessExtraProc checks that nested background snapshots add one P in all and
// that the last release restores the base.
func TestProcessExtraProc(t *testing.T) {
	base := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(base)
	p := &process{}
	r1 := p.ExtraProc()
	r2 := p.ExtraProc()
	if got := runtime.GOMAXPROCS(0); got != base+1 {
		t.Fatalf("GOMAXPROCS with two snapshots: got %d, want %d", got, base+1)
	}
	r1()
	if got := runtime.GOMAXPROCS(0); got != base+1 {
		t.Fatalf("GOMAXPROCS with one snapshot left: got %d, want %d", got, base+1)
	}
	r2()
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Fatalf("GOMAXPROCS after both: got %d, want %d", got, base)
	}
}

// TestProcessLoadGCPercent checks the load's GC target against the operator's.
func TestProcessLoadGCPercent(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	tests := []struct {
		name           string
		operator, wish int
		during         int
	}{
		{"raised for the load", 100, 400, 400},
		{"a higher operator target is kept", 800, 400, 800},
		{"GOGC=off is kept", -1, 400, -1},
	}
	p := &process{}
	cur := func() int { v := debug.SetGCPercent(-1); debug.SetGCPercent(v); return v } // reads, changes nothing
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetGCPercent(tt.operator)
			restore := p.LoadGCPercent(tt.wish)
			if got := cur(); got != tt.during {
				t.Errorf("GC percent during the load: got %d, want %d", got, tt.during)
			}
			restore()
			if got := cur(); got != tt.operator {
				t.Errorf("GC percent after the load: got %d, want %d", got, tt.operator)
			}
		})
	}
}
