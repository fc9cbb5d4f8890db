// Package netns builds small laboratories of network namespaces for partition tests:
// a Linux bridge in the root namespace, one namespace per simulated host joined to it
// by a veth pair, addresses from a private /24 that exist only on the bridge and inside
// those namespaces, and partitions made with nftables rules inside a host's namespace.
//
// It is test support (issue 10's safety harness, integration/safety_*_test.go) and
// imports nothing of Vigil. It drives the `ip` and `nft` commands rather than netlink,
// so that what a test does can be replayed by hand from its log.
//
// Every object it creates carries the lab's name prefix; Cleanup removes all of them
// (namespaces, the bridge and the host-side veth ends), and Leftovers lets a test remove
// those of an earlier run that crashed before cleaning up. Partitions drop packets
// silently (nft drop in the input and output hooks), as a cut cable would: TCP
// connections stay open and time out, connects hang.
//
// Concurrency: a Lab is used by one goroutine at a time; Lock serialises labs of the
// same prefix across processes (a flock on a file under the temporary directory).
//
// Main types: Lab (the bridge and its hosts) and Host (one namespace, one address).
package netns
