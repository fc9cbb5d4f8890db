package netns

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrUnavailable is returned by Available when this process cannot build a lab: not
// root, no `ip` command, or namespaces refused by the kernel or a sandbox.
var ErrUnavailable = errors.New("netns: network namespaces unavailable")

// ErrNoNft is returned by PartitionAvailable when the `nft` command is missing.
var ErrNoNft = errors.New("netns: nft not found (apt-get install nftables)")

// cmdTimeout bounds every ip/nft command.
const cmdTimeout = 10 * time.Second

// Lab is a bridge in the root namespace with hosts attached to it. The bridge itself
// holds the address .254 of the subnet, so that the process that built the lab (the
// test's client) reaches every host directly.
type Lab struct {
	Prefix string  // name prefix of every object ("vsafe")
	Bridge string  // bridge interface in the root namespace
	Subnet string  // the first three octets, "10.77.0"
	Hosts  []*Host // in creation order
}

// Host is one network namespace with one interface (eth0) on the lab's bridge.
type Host struct {
	NS   string // namespace name
	Addr string // IPv4 address inside the namespace
	veth string // the root-side end of its veth pair
	lab  *Lab
}

// Available reports whether this process can build labs.
func Available() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: not root (euid %d)", ErrUnavailable, os.Geteuid())
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("%w: no ip command (apt-get install iproute2)", ErrUnavailable)
	}
	probe := fmt.Sprintf("vnprobe%d", os.Getpid())
	if err := run("ip", "netns", "add", probe); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return run("ip", "netns", "del", probe)
}

// PartitionAvailable reports whether partitions can be made (the nft command).
func PartitionAvailable() error {
	if _, err := exec.LookPath("nft"); err != nil {
		return ErrNoNft
	}
	return nil
}

// Lock takes an exclusive lock named after prefix, waiting at most d; the returned
// function releases it. Two labs with one prefix (two test processes) would delete each
// other's objects as leftovers.
func Lock(prefix string, d time.Duration) (func(), error) {
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "netns-"+prefix+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("netns: lock: %w", err)
	}
	deadline := time.Now().Add(d)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("netns: lock %s: still held after %v: %w", prefix, d, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Leftovers deletes every namespace and link whose name starts with prefix: what an
// earlier run left when it was killed before its cleanup. It returns what it deleted.
func Leftovers(prefix string) ([]string, error) {
	var gone []string
	var errs []error
	out, err := output("ip", "netns", "list")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && strings.HasPrefix(f[0], prefix) {
			if err := delNS(f[0]); err != nil {
				errs = append(errs, err)
				continue
			}
			gone = append(gone, "netns "+f[0])
		}
	}
	out, err = output("ip", "-o", "link", "show")
	if err != nil {
		return gone, errors.Join(append(errs, err)...)
	}
	for _, line := range strings.Split(out, "\n") {
		// "12: vsafe-br: <BROADCAST,..." or "13: vsafe-h1@if2: ..."
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		if strings.HasPrefix(name, prefix) {
			if err := delLink(name); err != nil {
				errs = append(errs, err)
				continue
			}
			gone = append(gone, "link "+name)
		}
	}
	return gone, errors.Join(errs...)
}

// New builds a lab of n hosts named prefix-h1..hn with addresses subnet.1..n, and the
// bridge prefix-br holding subnet.254. On error whatever was created is removed.
func New(prefix, subnet string, n int) (*Lab, error) {
	if n < 1 || n > 200 {
		return nil, fmt.Errorf("netns: %d hosts: want 1..200", n)
	}
	l := &Lab{Prefix: prefix, Bridge: prefix + "-br", Subnet: subnet}
	if len(l.Bridge) > 15 {
		return nil, fmt.Errorf("netns: prefix %q too long for interface names (15 bytes)", prefix)
	}
	err := runAll(
		[]string{"ip", "link", "add", l.Bridge, "type", "bridge"},
		[]string{"ip", "addr", "add", subnet + ".254/24", "dev", l.Bridge},
		[]string{"ip", "link", "set", l.Bridge, "up"},
	)
	for i := 1; err == nil && i <= n; i++ {
		var h *Host
		h, err = l.addHost(i)
		if h != nil {
			l.Hosts = append(l.Hosts, h)
		}
	}
	if err != nil {
		return nil, errors.Join(err, l.Cleanup())
	}
	return l, nil
}

// addHost creates namespace prefix-h<i> with eth0 = subnet.<i>/24 on the bridge.
func (l *Lab) addHost(i int) (*Host, error) {
	h := &Host{NS: l.Prefix + "-h" + strconv.Itoa(i), Addr: l.Subnet + "." + strconv.Itoa(i), veth: l.Prefix + "-h" + strconv.Itoa(i), lab: l}
	if err := run("ip", "netns", "add", h.NS); err != nil {
		return nil, err
	}
	return h, runAll(
		[]string{"ip", "link", "add", h.veth, "type", "veth", "peer", "name", "eth0", "netns", h.NS},
		[]string{"ip", "link", "set", h.veth, "master", l.Bridge},
		[]string{"ip", "link", "set", h.veth, "up"},
		[]string{"ip", "-n", h.NS, "addr", "add", h.Addr + "/24", "dev", "eth0"},
		[]string{"ip", "-n", h.NS, "link", "set", "eth0", "up"},
		[]string{"ip", "-n", h.NS, "link", "set", "lo", "up"},
	)
}

// Cleanup deletes the hosts' namespaces (which takes their veth pairs with them) and
// the bridge. It is safe to call twice.
func (l *Lab) Cleanup() error {
	var errs []error
	for _, h := range l.Hosts {
		if exists("ip", "netns", "pids", h.NS) {
			errs = append(errs, delNS(h.NS))
		}
		// deleting the namespace deletes its end of the pair, and the kernel then
		// removes ours, perhaps not yet
		errs = append(errs, delLink(h.veth))
	}
	errs = append(errs, delLink(l.Bridge))
	return errors.Join(errs...)
}

// delNS kills the processes still inside a namespace (they would keep it alive, and
// keep running, after its name is gone), then deletes it.
func delNS(ns string) error {
	if pids, err := output("ip", "netns", "pids", ns); err == nil {
		for _, p := range strings.Fields(pids) {
			if pid, err := strconv.Atoi(p); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	return run("ip", "netns", "del", ns)
}

// delLink deletes a link if it (still) exists.
func delLink(name string) error {
	if !exists("ip", "link", "show", name) {
		return nil
	}
	if err := run("ip", "link", "del", name); err != nil && exists("ip", "link", "show", name) {
		return err
	}
	return nil
}

// Command returns a command that runs name with args inside the host's namespace.
// `ip netns exec` execs the program, so the command's process is the program itself
// (signals reach it directly).
func (h *Host) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", h.NS, name}, args...)...)
}

// Isolate drops every packet between h and the given hosts, in both directions, by
// nft rules in h's namespace; the bridge's own address (the client) still reaches h.
// Calling it again replaces the previous cut.
func (h *Host) Isolate(from ...*Host) error {
	if err := PartitionAvailable(); err != nil {
		return err
	}
	if len(from) == 0 {
		return h.Heal()
	}
	var addrs []string
	for _, o := range from {
		addrs = append(addrs, o.Addr)
	}
	set := strings.Join(addrs, ", ")
	ruleset := fmt.Sprintf("table inet %[1]s {\n"+
		"  chain in { type filter hook input priority 0; ip saddr { %[2]s } drop; }\n"+
		"  chain out { type filter hook output priority 0; ip daddr { %[2]s } drop; }\n}\n", h.lab.Prefix, set)
	_ = h.Heal()
	cmd := exec.Command("ip", "netns", "exec", h.NS, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(ruleset)
	_, err := runCmd(cmd)
	return err
}

// Heal removes h's partition rules, if any.
func (h *Host) Heal() error {
	if !exists("ip", "netns", "exec", h.NS, "nft", "list", "table", "inet", h.lab.Prefix) {
		return nil
	}
	return run("ip", "netns", "exec", h.NS, "nft", "delete", "table", "inet", h.lab.Prefix)
}

// String is the host's namespace and address.
func (h *Host) String() string { return h.NS + "(" + h.Addr + ")" }

func runAll(cmds ...[]string) error {
	for _, c := range cmds {
		if err := run(c[0], c[1:]...); err != nil {
			return err
		}
	}
	return nil
}

func run(name string, args ...string) error {
	_, err := output(name, args...)
	return err
}

func output(name string, args ...string) (string, error) {
	return runCmd(exec.Command(name, args...))
}

// runCmd runs cmd for at most cmdTimeout and returns its standard output; the error
// names the command and what it printed on standard error.
func runCmd(cmd *exec.Cmd) (string, error) {
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("netns: %s: %w", strings.Join(cmd.Args, " "), err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return "", fmt.Errorf("netns: %s: %w: %s", strings.Join(cmd.Args, " "), err, strings.TrimSpace(errOut.String()))
		}
		return out.String(), nil
	case <-time.After(cmdTimeout):
		_ = cmd.Process.Kill()
		<-done
		return "", fmt.Errorf("netns: %s: no exit within %v", strings.Join(cmd.Args, " "), cmdTimeout)
	}
}

// exists reports whether the command succeeds (a namespace, link or table is there).
func exists(name string, args ...string) bool {
	_, err := output(name, args...)
	return err == nil
}
