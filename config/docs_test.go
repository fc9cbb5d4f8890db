package config

import (
	goflag "flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateDocs = goflag.Bool("update", false, "rewrite docs/configuration.md from the directive table")

// referenceDoc renders docs/configuration.md from the directive table.
func referenceDoc() string {
	var b strings.Builder
	b.WriteString("# Configuration reference\n\n")
	b.WriteString("Generated from the directive table in `config/` by `go test ./config/ -run TestConfigurationDoc -update`;\n")
	b.WriteString("a test fails when this file is out of date.\n\n")
	b.WriteString("`vigil server [FILE] [--directive value ...]` reads redis.conf syntax (or YAML/TOML/JSON by file\n")
	b.WriteString("extension). Precedence: built-in defaults < file < environment `VIGIL_<DIRECTIVE>` (upper case,\n")
	b.WriteString("`-` as `_`) < `--directive` flags. Memory values accept b, k, kb, m, mb, g, gb (k = 1000, kb = 1024).\n")
	b.WriteString("A bad line exits with status 1 and Redis's `FATAL CONFIG FILE ERROR` text naming the line.\n\n")
	b.WriteString("`io-threads N` (default 1) sets how many cores run Vigil's goroutines (GOMAXPROCS), unless the\n")
	b.WriteString("GOMAXPROCS environment variable is set. A background save (BGSAVE, AOF rewrite, a replica's full\n")
	b.WriteString("sync) runs with one more, as Redis's forked child has a core of its own.\n\n")
	b.WriteString("`proto-max-reply-len` (Vigil's own, default 1gb, 0 = no limit; hidden from `CONFIG GET *` as\n")
	b.WriteString("Redis's test-only directives are) bounds one reply of a command that does not write:\n")
	b.WriteString("`SRANDMEMBER key -9223372036854775807` would otherwise build a reply until the machine runs out\n")
	b.WriteString("of memory (Redis 7.0 does). The reply is built until it passes the bound, then dropped and\n")
	b.WriteString("replaced by `-ERR reply exceeds maximum allowed size (proto-max-reply-len)`; inside MULTI/EXEC\n")
	b.WriteString("that error is the command's element of EXEC's reply. Commands that write (SPOP, LPOP with a\n")
	b.WriteString("count...) are not bounded, as their reply carries the data they removed; their replies are\n")
	b.WriteString("bounded by the dataset. Replies the socket does not take at once stay in memory while the\n")
	b.WriteString("connection keeps reading, as Redis's reply list: they count in `omem`/`tot-mem`, for\n")
	b.WriteString("`client-output-buffer-limit` and for `maxmemory-clients`, which close such a client as in\n")
	b.WriteString("Redis. When none of these bounds a normal client (Redis's defaults), Vigil applies\n")
	b.WriteString("backpressure instead of buffering without limit: once more than 12 MB of its replies is\n")
	b.WriteString("unsent (a batch ends once its replies pass 256 KB), the rest of its pipeline waits for the\n")
	b.WriteString("client to read. Output other clients produce for it (pub/sub, MONITOR) is bounded per class\n")
	b.WriteString("by `client-output-buffer-limit`, as in Redis.\n\n")
	b.WriteString("`fenced-mode yes` (Vigil's own, default no; with `fenced-replicas` and `fenced-lease-ms`) is for\n")
	b.WriteString("those who would rather refuse a write than lose it: a write is answered only once\n")
	b.WriteString("`fenced-replicas` replicas (default 1) acknowledged it, fails at once with `-NOREPLICAS` when fewer\n")
	b.WriteString("are online, fails with `-NOREPLICAS ... in time` when they do not acknowledge within the lease time,\n")
	b.WriteString("and fails with `-FENCED` while a majority of the sentinels does not renew the master's write lease\n")
	b.WriteString("(`fenced-lease-ms`, default 2000, capped at 90% of the sentinels' down-after-milliseconds; the\n")
	b.WriteString("sentinels renew it every quarter of that, 50 ms to 1 s; 0 turns the lease off, which gives up the\n")
	b.WriteString("partition guarantee). Cost: one replica round trip per write batch. docs/safety.md argues why it loses no\n")
	b.WriteString("acknowledged write and states the timing assumptions.\n")
	b.WriteString("Reads follow the same rules, so that they are linearizable: a read that could show a write not yet\n")
	b.WriteString("acknowledged waits for its ACKs (and fails as the write does), and reads fail with `-FENCED`\n")
	b.WriteString("without the lease (`-NOREPLICAS` while too few replicas are online to acknowledge what they could show).\n")
	b.WriteString("Without the lease the master closes the connection after the `-FENCED` reply (so that the client\n")
	b.WriteString("re-resolves the master), a sentinel that reaches no majority of the master's sentinels answers\n")
	b.WriteString("`SENTINEL GET-MASTER-ADDR-BY-NAME` with a null (so that the client asks another), and replication\n")
	b.WriteString("connections are dropped once data stays unacknowledged by TCP for `fenced-lease-ms`\n")
	b.WriteString("(`TCP_USER_TIMEOUT`); docs/safety.md, \"What a client sees when the lease is lost\".\n\n")
	b.WriteString("| directive | alias | type | default | CONFIG SET |\n|---|---|---|---|---|\n")
	def := Default()
	var ignored []string
	for _, d := range Directives() {
		if d.Ignored {
			ignored = append(ignored, d.Name)
			continue
		}
		val := ""
		if kv := Get(def, []string{d.Name}); len(kv) == 1 {
			val = kv[0].Value
		}
		if d.Name == "dir" {
			val = "(the working directory)" // machine-dependent; keep the doc stable
		}
		set := "yes"
		if !d.Mutable {
			set = "no (restart)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` | %s |\n", d.Name, code(d.Alias), d.Kind, val, set)
	}
	b.WriteString("\n## Accepted but without effect in Vigil\n\n")
	b.WriteString("Redis 7.0 accepts these; Vigil accepts them too (CONFIG GET/SET/REWRITE keep their values) and\n")
	b.WriteString("logs one warning per directive used, because they tune things Vigil does not have (threads,\n")
	b.WriteString("the allocator, TLS, cluster mode, defragmentation...). `io-threads` is the exception above.\n\n")
	for _, n := range ignored {
		fmt.Fprintf(&b, "- `%s`\n", n)
	}
	b.WriteString(refusedDoc())
	return b.String()
}

// refusedDoc describes the access rules Vigil refuses rather than ignores (refused.go);
// '|' stands for a backquote.
func refusedDoc() string {
	return strings.ReplaceAll(`
## Access rules

Vigil never runs with less protection than its configuration asks for: a directive that restricts
access and cannot be honoured stops the start-up with a |FATAL CONFIG FILE ERROR| naming the line.

- |user|: only the default user with all permissions (|on ~* &* +@all|, or |allkeys allchannels
  allcommands|) and either |nopass| or one password. |>password| becomes |requirepass| (Redis applies
  user lines after the other directives); |#<sha256>|, which redis-server's CONFIG REWRITE writes,
  must be the hash of |requirepass|. With |nopass| and |requirepass| Vigil keeps the password (Redis
  drops it). A second |user| line fails as in Redis.
- |aclfile|: refused.
- |tls-port| other than 0 and |tls-replication yes|: refused (Vigil has no TLS).
- |rename-command|: honoured as in Redis 7.0, also in sentinel.conf (for the sentinel's own commands).
`, "|", "`")
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}

func TestConfigurationDoc(t *testing.T) {
	path := filepath.Join("..", "docs", "configuration.md")
	want := referenceDoc()
	if *updateDocs {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Fatalf("docs/configuration.md is out of date: run go test ./config/ -run TestConfigurationDoc -update")
	}
}
