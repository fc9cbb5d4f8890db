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
			Hello{"127.0.0.1", 26379, id, 3, "mymaster", "127.0.0.1", 6380, 3}, nil},
		{"ipv6 and hostname", "::1,5000,x,0,m,redis.local,1,18446744073709551615",
			Hello{"::1", 5000, "x", 0, "m", "redis.local", 1, 1<<64 - 1}, nil},
		{"numbers are C atoi", "h,12x,id,junk,m,h,-5,7",
			Hello{"h", 12, "id", 0, "m", "h", -5, 7}, nil},
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
	h := Hello{"127.0.0.1", 26379, strings.Repeat("a", 40), 3, "mymaster", "127.0.0.1", 6380, 2}
	want := "127.0.0.1,26379," + strings.Repeat("a", 40) + ",3,mymaster,127.0.0.1,6380,2"
	if got := FormatHello(h); got != want {
		t.Errorf("FormatHello(%+v): got %q, want %q", h, got, want)
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
