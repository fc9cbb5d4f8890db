// Command gencommands captures the command metadata of a running redis-server (COMMAND INFO,
// COMMAND DOCS and COMMAND HELP, in RESP3) into server/commanddata, which the server embeds to answer
// COMMAND for the commands Vigil implements.
//
// Usage (from the server directory, with a Redis 7.0.15 listening on -addr):
//
//	go run ./internal/gencommands -addr 127.0.0.1:6379 -out commanddata
//
// Pointed at a redis-sentinel 7.0.15 it captures the sentinel's own table (COMMAND on the
// sentinel port), which the sentinel embeds:
//
//	go run ./internal/gencommands -addr 127.0.0.1:26379 -out ../sentinel/commanddata
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "address of a redis-server 7.0.15")
	out := flag.String("out", "commanddata", "output directory")
	flag.Parse()
	if err := run(*addr, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gencommands:", err)
		os.Exit(1)
	}
}

func run(addr, out string) error {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	r := bufio.NewReaderSize(conn, 1<<20)
	version, err := request(conn, r, "HELLO", "3")
	if err != nil {
		return err
	}
	if !bytes.Contains(version, []byte("\r\n7.0.15\r\n")) {
		return fmt.Errorf("server at %s is not redis 7.0.15", addr)
	}
	for file, args := range map[string][]string{
		"info.resp3": {"COMMAND"},
		"docs.resp3": {"COMMAND", "DOCS"},
		"help.resp3": {"COMMAND", "HELP"},
	} {
		reply, err := request(conn, r, args...)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, file), reply, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// request sends args and returns the raw reply.
func request(w io.Writer, r *bufio.Reader, args ...string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := readReply(r, &out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func readReply(r *bufio.Reader, out *bytes.Buffer) error {
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	out.WriteString(line)
	if len(line) < 3 {
		return io.ErrUnexpectedEOF
	}
	n, _ := strconv.Atoi(line[1 : len(line)-2])
	switch line[0] {
	case '-':
		return fmt.Errorf("error reply: %s", line)
	case '$', '=':
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		out.Write(buf)
	case '*', '~', '>', '%', '|':
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := readReply(r, out); err != nil {
				return err
			}
		}
	}
	return nil
}
