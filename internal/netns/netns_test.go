package netns

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The lab's own test: hosts reach each other and the bridge, a cut host loses its
// peers but not the bridge, Heal restores it, and Cleanup and Leftovers remove every
// object. A listener inside a namespace is this test binary run again there with
// NETNS_TEST_LISTEN set (TestMain).

const (
	testPrefix = "vnstest"
	testSubnet = "10.78.0"
	testPort   = "7070"
)

func TestMain(m *testing.M) {
	if addr := os.Getenv("NETNS_TEST_LISTEN"); addr != "" {
		os.Exit(listen(addr))
	}
	os.Exit(m.Run())
}

// listen accepts and closes connections on addr for at most a minute.
func listen(addr string) int {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	time.AfterFunc(time.Minute, func() { os.Exit(0) })
	for {
		c, err := l.Accept()
		if err != nil {
			return 1
		}
		c.Close()
	}
}

func TestLab(t *testing.T) {
	if err := Available(); err != nil {
		if os.Getenv("VIGIL_REQUIRE_NETNS") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	if err := PartitionAvailable(); err != nil {
		if os.Getenv("VIGIL_REQUIRE_NETNS") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	unlock, err := Lock(testPrefix, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := Leftovers(testPrefix); err != nil {
		t.Fatal(err)
	}
	lab, err := New(testPrefix, testSubnet, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lab.Cleanup() })
	h1, h2 := lab.Hosts[0], lab.Hosts[1]

	srv := h1.Command(os.Args[0])
	srv.Env = append(os.Environ(), "NETNS_TEST_LISTEN="+h1.Addr+":"+testPort)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })

	fromRoot := func() error {
		c, err := net.DialTimeout("tcp", h1.Addr+":"+testPort, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}
	fromH2 := func() error { return dialFrom(h2, h1.Addr+":"+testPort) }
	deadline := time.Now().Add(10 * time.Second)
	for fromRoot() != nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := fromRoot(); err != nil {
		t.Fatalf("the bridge does not reach %s: %v", h1, err)
	}
	if err := fromH2(); err != nil {
		t.Fatalf("%s does not reach %s: %v", h2, h1, err)
	}

	if err := h1.Isolate(h2); err != nil {
		t.Fatal(err)
	}
	if err := fromH2(); err == nil {
		t.Fatalf("%s reaches %s across the partition", h2, h1)
	}
	if err := fromRoot(); err != nil {
		t.Fatalf("the bridge (the client) lost %s with the partition: %v", h1, err)
	}
	if err := h1.Heal(); err != nil {
		t.Fatal(err)
	}
	if err := fromH2(); err != nil {
		t.Fatalf("%s does not reach %s after healing: %v", h2, h1, err)
	}

	if err := lab.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if left := objects(t); left != "" {
		t.Fatalf("after Cleanup: %s", left)
	}
	// a crashed run's objects are found and removed by name
	if _, err := New(testPrefix, testSubnet, 1); err != nil {
		t.Fatal(err)
	}
	gone, err := Leftovers(testPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if left := objects(t); left != "" || len(gone) == 0 {
		t.Fatalf("Leftovers removed %v; still there: %q", gone, left)
	}
}

// dialFrom connects to addr from inside h (bash's /dev/tcp) with a 2 s bound.
func dialFrom(h *Host, addr string) error {
	host, port, _ := strings.Cut(addr, ":")
	cmd := h.Command("timeout", "2", "bash", "-c", "exec 3<>/dev/tcp/"+host+"/"+port)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// objects lists the namespaces and links with the test prefix ("" = none).
func objects(t *testing.T) string {
	t.Helper()
	var found []string
	for _, args := range [][]string{{"netns", "list"}, {"-o", "link", "show"}} {
		out, err := exec.Command("ip", args...).Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, testPrefix) {
				found = append(found, strings.TrimSpace(l))
			}
		}
	}
	return strings.Join(found, "; ")
}
