package link

import (
	"strings"
	"testing"
)

func TestParseHello(t *testing.T) {
	id := strings.Repeat("4f2c", 10)
	tests := []struct {
		name    string
		payload string
		want    Hello
		err     error
	}{
		{"redis example", "127.0.0.1,26379," + id + ",3,mymaster,127.0.0.1,6380,3",
			Hello{IP: "127.0.0.1", Port: 26379, RunID: id, CurrentEpoch: 3, MasterName: "mymaster", MasterIP: "127.0.0.1", MasterPort: 6380, ConfigEpoch: 3}, nil},
		{"ipv6 and hostname", "::1,5000,x,0,m,redis.local,1,18446744073709551615",
			Hello{IP: "::1", Port: 5000, RunID: "x", MasterName: "m", MasterIP: "redis.local", MasterPort: 1, ConfigEpoch: 1<<64 - 1}, nil},
		{"numbers are C atoi", "h,12x,id,junk,m,h,-5,7",
			Hello{IP: "h", Port: 12, RunID: "id", MasterName: "m", MasterIP: "h", MasterPort: -5, ConfigEpoch: 7}, nil},
		{"7 fields", "a,1,id,0,m,h,1", Hello{}, ErrHelloFields},
		{"9 fields", "a,1,id,0,m,h,1,2,3", Hello{}, ErrHelloFields},
		{"empty", "", Hello{}, ErrHelloFields},
		{"empty fields", ",,,,,,,", Hello{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseHello(tc.payload)
			if got != tc.want || err != tc.err {
				t.Errorf("ParseHello(%q): got %+v, %v, want %+v, %v", tc.payload, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestFormatHello(t *testing.T) {
	h := Hello{IP: "127.0.0.1", Port: 26379, RunID: strings.Repeat("a", 40), CurrentEpoch: 3, MasterName: "mymaster", MasterIP: "127.0.0.1", MasterPort: 6380, ConfigEpoch: 2}
	want := "127.0.0.1,26379," + strings.Repeat("a", 40) + ",3,mymaster,127.0.0.1,6380,2"
	if got := FormatHello(h); got != want {
		t.Errorf("FormatHello(%+v): got %q, want %q", h, got, want)
	}
}

func TestGossipAnnouncement(t *testing.T) {
	id := strings.Repeat("a", 40)
	tests := []struct {
		name    string
		payload string
		runID   string
		addr    string
		err     error
	}{
		{"ipv4", id + ",10.0.0.1,27379", id, "10.0.0.1:27379", nil},
		{"ipv6", id + ",::1,27379", id, "[::1]:27379", nil},
		{"port 0", id + ",10.0.0.1,0", "", "", ErrGossipPayload},
		{"port too large", id + ",10.0.0.1,65536", "", "", ErrGossipPayload},
		{"no ip", id + ",,27379", "", "", ErrGossipPayload},
		{"hello payload", "127.0.0.1,26379," + id + ",3,m,127.0.0.1,6380,3", "", "", ErrGossipPayload},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runID, addr, err := ParseGossip(tc.payload)
			if runID != tc.runID || addr != tc.addr || err != tc.err {
				t.Errorf("ParseGossip(%q): got %q, %q, %v, want %q, %q, %v", tc.payload, runID, addr, err, tc.runID, tc.addr, tc.err)
			}
		})
	}
	h := Hello{IP: "10.0.0.9", Port: 26379, RunID: id, GossipPort: 27000}
	if got, want := FormatGossip(h), id+",10.0.0.9,27000"; got != want {
		t.Errorf("FormatGossip without GossipIP: got %q, want %q (the hello's IP)", got, want)
	}
	h.GossipIP = "10.0.0.8"
	if got, want := FormatGossip(h), id+",10.0.0.8,27000"; got != want {
		t.Errorf("FormatGossip: got %q, want %q", got, want)
	}
}

func FuzzHello(f *testing.F) {
	f.Add("127.0.0.1,26379,id,3,mymaster,127.0.0.1,6380,3")
	f.Add(",,,,,,,")
	f.Add("a,b")
	f.Fuzz(func(t *testing.T, payload string) {
		h, err := ParseHello(payload)
		if (err == nil) != (strings.Count(payload, ",") == 7) {
			t.Fatalf("ParseHello(%q): err %v with %d commas", payload, err, strings.Count(payload, ","))
		}
		if err != nil {
			return
		}
		// what we format parses back to the same hello
		again, err := ParseHello(FormatHello(h))
		if err != nil || again != h {
			t.Errorf("ParseHello(FormatHello(%+v)): got %+v, %v", h, again, err)
		}
	})
}
