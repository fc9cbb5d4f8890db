//go:build !linux

package server

import "syscall"

// arrivalReader exists on Linux only (arrival_linux.go); elsewhere blocked clients queue
// in the order their commands ran.
type arrivalReader struct{ at int64 }

func newArrivalReader(syscall.RawConn) *arrivalReader { return nil }

func (r *arrivalReader) read(syscall.RawConn, []byte) (int, error) { return 0, syscall.EINVAL }
