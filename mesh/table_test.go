package mesh

import "testing"

func TestTableOpinions(t *testing.T) {
	tb := newTable()
	op := Opinion{Master: "m", Addr: "127.0.0.1:6379", Down: true}
	steps := []struct {
		name    string
		origin  string
		lamport uint64
		addr    string
		want    bool
	}{
		{"first", "a", 5, op.Addr, true},
		{"duplicate", "a", 5, op.Addr, false},
		{"older", "a", 4, op.Addr, false},
		{"newer", "a", 6, op.Addr, true},
		{"other origin, older clock", "b", 1, op.Addr, true},
		{"other instance, older clock", "a", 2, "127.0.0.1:6380", true},
	}
	for _, s := range steps {
		o := op
		o.Addr = s.addr
		if got := tb.acceptOpinion(s.origin, s.lamport, o, nil); got != s.want {
			t.Fatalf("%s: acceptOpinion(%s, %d, %s) = %v, want %v", s.name, s.origin, s.lamport, s.addr, got, s.want)
		}
	}
	if got := len(tb.snapshot()); got != 3 {
		t.Fatalf("snapshot has %d items, want 3", got)
	}
}

func TestTableConfigs(t *testing.T) {
	tb := newTable()
	steps := []struct {
		name string
		cfg  MasterConfig
		want configVerdict
	}{
		{"first", MasterConfig{"m", "a:1", 3}, configNew},
		{"same", MasterConfig{"m", "a:1", 3}, configSame},
		{"same epoch, other address", MasterConfig{"m", "b:1", 3}, configOld},
		{"older", MasterConfig{"m", "b:1", 2}, configOld},
		{"newer", MasterConfig{"m", "b:1", 4}, configNew},
		{"other master, epoch 0", MasterConfig{"n", "c:1", 0}, configNew},
	}
	for _, s := range steps {
		if got := tb.acceptConfig(s.cfg, nil); got != s.want {
			t.Fatalf("%s: acceptConfig(%+v) = %d, want %d", s.name, s.cfg, got, s.want)
		}
	}
	if got, _ := tb.config("m"); got != (MasterConfig{"m", "b:1", 4}) {
		t.Fatalf("config(m) = %+v, want epoch 4 at b:1", got)
	}
}

func TestTableLeaves(t *testing.T) {
	tb := newTable()
	if tb.leaving("a") {
		t.Fatalf("leaving(a) before any intent")
	}
	if !tb.acceptLeave("a", 7) || !tb.leaving("a") {
		t.Fatalf("intent at 7 not recorded")
	}
	tb.joined("a")
	if tb.leaving("a") {
		t.Fatalf("leaving(a) after it rejoined")
	}
	if tb.acceptLeave("a", 7) || tb.leaving("a") {
		t.Fatalf("a late copy of the old intent was accepted after the rejoin")
	}
	if !tb.acceptLeave("a", 9) || !tb.leaving("a") {
		t.Fatalf("a new intent after the rejoin was refused")
	}
}
