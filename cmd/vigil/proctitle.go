package main

import (
	"os"
	"strconv"
	"strings"
	"sync"
)

// The process title, as Redis's setproctitle.c sets it: the strings the kernel gave the
// process (argv, then the environment, one contiguous area) are overwritten with the
// title, so that /proc/PID/cmdline and ps show it. The Go runtime's os.Args and
// environment strings point into that area, so prepareTitle copies both first, before
// anything keeps a reference to them; the area is written through /proc/self/mem.

// titleArea is the argv+environment area of the process's memory.
type titleArea struct {
	mu     sync.Mutex
	ok     bool
	start  int64 // arg_start
	argEnd int64 // arg_end: one past the NUL of the last argument
	end    int64 // env_end, or arg_end when the environment does not follow argv
}

var title titleArea

// prepareTitle copies os.Args and the environment out of the area a title will
// overwrite and locates the area. It must run first in main.
func prepareTitle() {
	args := make([]string, len(os.Args))
	for i, a := range os.Args {
		args[i] = strings.Clone(a)
	}
	os.Args = args
	env := os.Environ()
	os.Clearenv()
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			os.Setenv(strings.Clone(k), strings.Clone(v))
		}
	}
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return
	}
	// fields after the command name, which is in parentheses and may hold spaces
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return
	}
	f := strings.Fields(string(stat[i+1:]))
	// proc(5): arg_start, arg_end, env_start, env_end are fields 48-51; f[0] is field 3
	if len(f) < 49 {
		return
	}
	var v [4]int64
	for j := range v {
		if v[j], err = strconv.ParseInt(f[45+j], 10, 64); err != nil {
			return
		}
	}
	title.start, title.argEnd, title.end = v[0], v[1], v[3]
	if v[2] != v[1] || v[3] < v[2] { // the kernel shows the environment part only if it follows argv
		title.end = v[1]
	}
	title.ok = title.argEnd > title.start
}

// setTitle writes t over the area (truncated to fit), as Redis's setproctitle: when the
// title ends before the original end of argv, the byte there is set to '.' so that the
// kernel reads /proc/PID/cmdline up to the title's NUL (its setproctitle convention).
func setTitle(t string) {
	title.mu.Lock()
	defer title.mu.Unlock()
	if !title.ok {
		return
	}
	size := title.end - title.start
	buf := make([]byte, size)
	n := copy(buf[:size-1], t)
	nul := int64(n)
	if last := title.argEnd - 1 - title.start; nul < last {
		buf[last] = '.'
	} else if nul == last && nul+1 < size {
		buf[last] = ' '
	}
	mem, err := os.OpenFile("/proc/self/mem", os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer mem.Close()
	mem.WriteAt(buf, title.start)
}
