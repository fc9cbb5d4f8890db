package config

import "strings"

// ignoredDirectives are the directives redis-server 7.0 accepts that mean
// nothing in Vigil: threading, allocator, OS process tweaks, TLS, cluster,
// scripting limits, active defragmentation, syslog and debugging hooks. Their
// values live in Server.Extra (absent means the default) so that CONFIG GET,
// SET and REWRITE round-trip them with Redis's validation.
func ignoredDirectives() []Directive {
	ig := fIgnored
	b := func(name, alias string, f flag, def bool) Directive {
		return boolDir(name, alias, ig|f, xBool(name, def))
	}
	i := func(name, alias string, f flag, lo, hi, def int64) Directive {
		return intDir(name, alias, ig|f, KindInt, lo, hi, xInt(name, def), nil)
	}
	m := func(name string, lo, hi, def int64) Directive {
		return intDir(name, "", ig, KindMemory, lo, hi, xInt(name, def), nil)
	}
	s := func(name string, f flag, def string) Directive {
		return strDir(name, "", ig|f, xStr(name, def), nil)
	}
	e := func(name string, f flag, values []string, def string) Directive {
		return enumDir(name, "", ig|f, values, xStr(name, def))
	}
	t := []Directive{
		b("io-threads-do-reads", "", fImmutable, false),
		b("jemalloc-bg-thread", "", 0, true),
		b("activerehashing", "", 0, true),
		// the process title (server/proctitle.go): in effect, so not flagged ignored;
		// their values live in Extra like the others here
		boolDir("set-proc-title", "", fImmutable, xBool("set-proc-title", true)),
		strDir("proc-title-template", "", 0, xStr("proc-title-template", "{title} {listen-addr} {server-mode}"), validProcTitle),
		b("crash-log-enabled", "", 0, true),
		b("crash-memcheck-enabled", "", 0, true),
		b("disable-thp", "", fImmutable, true),
		b("use-exit-on-panic", "", fHidden, false),
		s("ignore-warnings", 0, ""),
		s("server_cpulist", fImmutable|fEmptyNull, ""),
		s("bio_cpulist", fImmutable|fEmptyNull, ""),
		s("aof_rewrite_cpulist", fImmutable|fEmptyNull, ""),
		s("bgsave_cpulist", fImmutable|fEmptyNull, ""),
		intDir("socket-mark-id", "", ig|fImmutable, KindInt, 0, uintMax, xInt("socket-mark-id", 0), nil),
		oomScoreAdj(),
		specialDir("oom-score-adj-values", "", ig|fMulti, getOOMValues, setOOMValues, rewriteOOMValues),
		b("syslog-enabled", "", fImmutable, false),
		s("syslog-ident", fImmutable, "redis"),
		e("syslog-facility", fImmutable, []string{"user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}, "local0"),
		e("enable-module-command", fImmutable, protectedValues(), "no"),
		intDir("busy-reply-threshold", "lua-time-limit", ig, KindInt, 0, longMax, xInt("busy-reply-threshold", 5000), nil),
		b("activedefrag", "", 0, false),
		i("active-defrag-cycle-min", "", 0, 1, 99, 1),
		i("active-defrag-cycle-max", "", 0, 1, 99, 25),
		i("active-defrag-threshold-lower", "", 0, 0, 1000, 10),
		i("active-defrag-threshold-upper", "", 0, 0, 1000, 100),
		m("active-defrag-ignore-bytes", 1, llongMax, 100<<20),
		i("active-defrag-max-scan-fields", "", 0, 1, longMax, 1000),
		i("watchdog-period", "", fHidden, 0, intMax, 0),
	}
	t = append(t, clusterDirectives()...)
	return append(t, tlsDirectives()...)
}

func clusterDirectives() []Directive {
	ig := fIgnored
	b := func(name, alias string, f flag, def bool) Directive {
		return boolDir(name, alias, ig|f, xBool(name, def))
	}
	i := func(name, alias string, f flag, lo, hi, def int64) Directive {
		return intDir(name, alias, ig|f, KindInt, lo, hi, xInt(name, def), nil)
	}
	return []Directive{
		b("cluster-enabled", "", fImmutable, false),
		strDir("cluster-config-file", "", ig|fImmutable, xStr("cluster-config-file", "nodes.conf"), nil),
		i("cluster-node-timeout", "", 0, 0, llongMax, 15000),
		i("cluster-port", "", fImmutable, 0, 65535, 0),
		strDir("cluster-announce-ip", "", ig|fEmptyNull, xStr("cluster-announce-ip", ""), nil),
		strDir("cluster-announce-hostname", "", ig|fEmptyNull, xStr("cluster-announce-hostname", ""), validHostname),
		i("cluster-announce-port", "", 0, 0, 65535, 0),
		i("cluster-announce-bus-port", "", 0, 0, 65535, 0),
		i("cluster-announce-tls-port", "", 0, 0, 65535, 0),
		i("cluster-replica-validity-factor", "cluster-slave-validity-factor", 0, 0, intMax, 10),
		i("cluster-migration-barrier", "", 0, 0, intMax, 1),
		b("cluster-replica-no-failover", "cluster-slave-no-failover", 0, false),
		b("cluster-require-full-coverage", "", 0, true),
		b("cluster-allow-reads-when-down", "", 0, false),
		b("cluster-allow-pubsubshard-when-down", "", 0, true),
		b("cluster-allow-replica-migration", "", 0, true),
		enumDir("cluster-preferred-endpoint-type", "", ig, []string{"ip", "hostname", "unknown-endpoint"}, xStr("cluster-preferred-endpoint-type", "ip")),
		intDir("cluster-link-sendbuf-limit", "", ig, KindMemory, 0, llongMax, xInt("cluster-link-sendbuf-limit", 0), nil),
	}
}

func tlsDirectives() []Directive {
	ig := fIgnored
	file := func(name string, f flag) Directive {
		return strDir(name, "", ig|fEmptyNull|f, xStr(name, ""), nil)
	}
	return []Directive{
		intDir("tls-port", "", ig, KindInt, 0, 65535, xInt("tls-port", 0), noTLSPort),
		intDir("tls-session-cache-size", "", ig, KindInt, 0, intMax, xInt("tls-session-cache-size", 20*1024), nil),
		intDir("tls-session-cache-timeout", "", ig, KindInt, 0, intMax, xInt("tls-session-cache-timeout", 300), nil),
		boolDir("tls-cluster", "", ig, xBool("tls-cluster", false)),
		refuseYes(boolDir("tls-replication", "", ig, xBool("tls-replication", false)), msgTLS),
		enumDir("tls-auth-clients", "", ig, []string{"no", "yes", "optional"}, xStr("tls-auth-clients", "yes")),
		boolDir("tls-prefer-server-ciphers", "", ig, xBool("tls-prefer-server-ciphers", false)),
		boolDir("tls-session-caching", "", ig, xBool("tls-session-caching", true)),
		file("tls-cert-file", 0),
		file("tls-key-file", 0),
		file("tls-key-file-pass", fSensitive),
		file("tls-client-cert-file", 0),
		file("tls-client-key-file", 0),
		file("tls-client-key-file-pass", fSensitive),
		file("tls-dh-params-file", 0),
		file("tls-ca-cert-file", 0),
		file("tls-ca-cert-dir", 0),
		file("tls-protocols", 0),
		file("tls-ciphers", 0),
		file("tls-ciphersuites", 0),
	}
}

// oomScoreAdj reads back "relative" as "yes", its first synonym, as Redis does.
func oomScoreAdj() Directive {
	v := xStr("oom-score-adj", "no")
	d := enumDir("oom-score-adj", "", fIgnored, []string{"no", "yes", "relative", "absolute"}, v)
	set := d.set
	d.set = func(s *Server, args []string) error {
		if err := set(s, args); err != nil {
			return err
		}
		if v.load(s) == "relative" {
			v.store(s, "yes")
		}
		return nil
	}
	return d
}

// validHostname is Redis's isValidAnnouncedHostname.
func validHostname(v string) error {
	if len(v) >= 256 {
		return reason("Hostnames must be less than 256 characters")
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return reason("Hostnames may only contain alphanumeric characters, hyphens or dots")
		}
	}
	return nil
}

// validProcTitle approximates Redis's validateProcTitleTemplate: not empty,
// balanced braces around known variables.
func validProcTitle(v string) error {
	if v == "" {
		return reason("template format is invalid or contains unknown variables")
	}
	known := []string{"{title}", "{listen-addr}", "{server-mode}", "{port}", "{tls-port}", "{unixsocket}", "{config-file}"}
	rest := v
	for {
		open := strings.IndexByte(rest, '{')
		close := strings.IndexByte(rest, '}')
		if open < 0 && close < 0 {
			return nil
		}
		if open < 0 || close < open {
			return reason("template format is invalid or contains unknown variables")
		}
		if !containsString(known, rest[open:close+1]) {
			return reason("template format is invalid or contains unknown variables")
		}
		rest = rest[close+1:]
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
