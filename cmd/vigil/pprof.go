package main

import (
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on the default mux, served only when VIGIL_PPROF is set
	"os"
	"runtime"

	"github.com/rs/zerolog"
)

// startPprof serves net/http/pprof on $VIGIL_PPROF (e.g. 127.0.0.1:6060) when set.
func startPprof(log zerolog.Logger) {
	addr := os.Getenv("VIGIL_PPROF")
	if addr == "" {
		return
	}
	runtime.SetMutexProfileFraction(10) // /debug/pprof/mutex: who holds the execution lock
	runtime.SetBlockProfileRate(100000)
	go func() {
		if err := http.ListenAndServe(addr, nil); err != nil {
			log.Warn().Err(err).Str("addr", addr).Msg("pprof listener failed")
		}
	}()
}
