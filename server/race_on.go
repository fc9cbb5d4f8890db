//go:build race

package server

// raceEnabled: built with -race (arrival_linux.go tells the detector what a read
// synchronizes with, as package syscall's Read does).
const raceEnabled = true
