package server

import "testing"

// TestLoadPacingCrossed: a load publishes what it loaded whenever the dump bytes it
// decoded cross a multiple of loading-process-events-interval-bytes, as Redis's
// rdbLoadProgressCallback processes events.
func TestLoadPacingCrossed(t *testing.T) {
	tests := []struct {
		name                string
		interval            int64
		published, consumed int64
		want                bool
	}{
		{"same interval", 1024, 100, 1000, false},
		{"boundary reached", 1024, 100, 1024, true},
		{"several intervals at once", 1024, 1023, 5000, true},
		{"published on a boundary", 1024, 1024, 2047, false},
		{"no interval", 0, 0, 1 << 20, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := loadPacing{interval: tt.interval}
			if got := p.crossed(tt.published, tt.consumed); got != tt.want {
				t.Errorf("interval %d, published %d, consumed %d: got %v, want %v", tt.interval, tt.published, tt.consumed, got, tt.want)
			}
		})
	}
}
