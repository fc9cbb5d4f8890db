package testutil

import (
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Implementations a Node can run.
const (
	ImplRedis = "redis" // a real redis-server 7.0
	ImplVigil = "vigil" // `vigil server`
)

// RequireReplImpls checks that every impl is known.
func RequireReplImpls(t testing.TB, impls ...string) {
	t.Helper()
	for _, impl := range impls {
		switch impl {
		case ImplRedis, ImplVigil:
		default:
			t.Fatalf("unknown implementation %q (want %q or %q)", impl, ImplRedis, ImplVigil)
		}
	}
}

// Node is a redis-server or vigil server bound to a fixed loopback port and working
// directory, so that it can be stopped and started again on the same address with the
// same dump (kill -9 and restart tests). Every process it starts is killed at cleanup
// and its output logged if the test failed.
type Node struct {
	Impl string   // ImplRedis or ImplVigil
	Port int      // TCP port on 127.0.0.1
	Addr string   // "127.0.0.1:<Port>"
	Dir  string   // the working directory (dump.rdb, appendonlydir)
	Conf string   // a config file passed as first argument, "" = none
	Args []string // redis-server style arguments ("--key", "value", ...)
	Proc *Proc    // the current process; replaced by Start
}

// NewNode prepares a node on a free port with a fresh directory; it does not start it.
func NewNode(t testing.TB, impl string, args ...string) *Node {
	t.Helper()
	port := FreePort(t)
	return &Node{Impl: impl, Port: port, Addr: "127.0.0.1:" + strconv.Itoa(port), Dir: t.TempDir(), Args: args}
}

// StartNode starts a node of the given implementation and waits until it accepts
// connections.
func StartNode(t testing.TB, impl string, args ...string) *Node {
	t.Helper()
	n := NewNode(t, impl, args...)
	n.Start(t)
	return n
}

// Start (re)starts the node's process with its port, directory, config file and args.
func (n *Node) Start(t testing.TB) {
	t.Helper()
	var all []string
	if n.Conf != "" {
		all = append(all, n.Conf)
	}
	all = append(all, "--port", strconv.Itoa(n.Port), "--bind", "127.0.0.1", "--save", "", "--dir", n.Dir)
	all = append(all, n.Args...)
	switch n.Impl {
	case ImplRedis:
		bin := RequireRedis(t, "redis-server")
		n.Proc = Start(t, "redis-server:"+strconv.Itoa(n.Port), bin, append(all, "--daemonize", "no")...)
	case ImplVigil:
		n.Proc = Start(t, "vigil:"+strconv.Itoa(n.Port), VigilBinary(t), append([]string{"server"}, all...)...)
	default:
		t.Fatalf("unknown implementation %q", n.Impl)
	}
	WaitForPort(t, n.Addr, 10*time.Second, n.Proc)
}

// Kill9 sends SIGKILL and waits for the process to exit.
func (n *Node) Kill9() { n.Proc.Kill() }

// Stop sends SIGSTOP (the process stays alive but stops reading its sockets).
func (n *Node) Stop() error { return n.Proc.Signal(syscall.SIGSTOP) }

// Cont sends SIGCONT after Stop.
func (n *Node) Cont() error { return n.Proc.Signal(syscall.SIGCONT) }

// Pid returns the process id of the current process.
func (n *Node) Pid() int { return n.Proc.Cmd.Process.Pid }
