package server

import (
	"os"
	"testing"
)

// TestMain lets this test binary serve as a background save's writer child: the servers
// the tests run re-execute their own binary (/proc/self/exe) for it (savechild.go).
func TestMain(m *testing.M) {
	if IsSaveWriter() {
		os.Exit(RunSaveWriter())
	}
	os.Exit(m.Run())
}
