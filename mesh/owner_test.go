package mesh

import (
	"strconv"
	"testing"

	"github.com/vigil-db/vigil/internal/testutil"
)

func TestAnnounceConfig(t *testing.T) {
	tests := []struct {
		name                 string
		bind, advertise, ip  string
		wantBind, wantAdvert string
	}{
		{"defaults: every interface, no announce", "", "", "", "0.0.0.0", ""},
		{"every interface, announce-ip", "", "", "10.0.0.5", "0.0.0.0", "10.0.0.5"},
		{"IPv6 any, announce-ip", "::", "", "10.0.0.5", "::", "10.0.0.5"},
		{"specific bind keeps its address", "127.0.0.2", "", "10.0.0.5", "127.0.0.2", ""},
		{"explicit advertise wins", "0.0.0.0", "10.9.9.9", "10.0.0.5", "0.0.0.0", "10.9.9.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Config{BindAddr: tt.bind, AdvertiseAddr: tt.advertise, Meta: Meta{IP: tt.ip}}.AnnounceConfig()
			if got.BindAddr != tt.wantBind || got.AdvertiseAddr != tt.wantAdvert {
				t.Fatalf("AnnounceConfig(bind %q, advertise %q, ip %q): got bind %q advertise %q, want %q %q",
					tt.bind, tt.advertise, tt.ip, got.BindAddr, got.AdvertiseAddr, tt.wantBind, tt.wantAdvert)
			}
		})
	}
}

func TestDefaultPort(t *testing.T) {
	for _, tt := range []struct{ port, want int }{{26379, 27379}, {64535, 65535}, {64536, 0}, {0, 0}} {
		if got := DefaultPort(tt.port); got != tt.want {
			t.Errorf("DefaultPort(%d): got %d, want %d", tt.port, got, tt.want)
		}
	}
}

// TestOwnerHelpers: a background join makes both nodes members of each
// other's mesh; AdvertisedAddr is LocalAddr's parts; Close leaves
// gracefully (the other sees a leave, not a failure) and is safe twice.
func TestOwnerHelpers(t *testing.T) {
	a, b := newNode(t, 0, nil), newNode(t, 1, nil)
	if host, port := a.AdvertisedAddr(); host+":"+strconv.Itoa(port) != a.LocalAddr() {
		t.Fatalf("AdvertisedAddr: got %s:%d, want %s", host, port, a.LocalAddr())
	}
	if a.IsMember(b.name) || !a.IsMember(a.name) {
		t.Fatalf("before the join: IsMember(b) %v, IsMember(self) %v; want false, true", a.IsMember(b.name), a.IsMember(a.name))
	}
	b.JoinInBackground([]string{a.LocalAddr()})
	testutil.CheckFor(t, waitTotal, waitEvery, "a and b to see each other", func() bool {
		return a.IsMember(b.name) && b.IsMember(a.name)
	})
	if err := b.Close(0); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Close(0); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	testutil.CheckFor(t, waitTotal, waitEvery, "a to see b leave", func() bool {
		evs := a.events(b.name)
		return len(evs) > 0 && evs[len(evs)-1] == MemberLeave
	})
	if a.IsMember(b.name) {
		t.Fatal("b is still a member after it left")
	}
}
