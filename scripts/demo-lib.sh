# shellcheck shell=bash
# Shared by the demos (demo.sh, demo-sentinel.sh), sourced from the repository's root:
# the ports (PORT..PORT+2 in data, SENTINEL_PORT..+2 in sents), the binary, a check that
# the ports are free, and demo_start, which makes the temporary directory $tmp and stops
# pid[p] for every p of stop_order (set by the caller) on exit.
PORT=${PORT:-6379}
SENTINEL_PORT=${SENTINEL_PORT:-26379}
BIN=${BIN:-bin/vigil}
[ -x "$BIN" ] || { echo "demo needs $BIN (make build)"; exit 1; }
data=("$PORT" $((PORT + 1)) $((PORT + 2)))
sents=("$SENTINEL_PORT" $((SENTINEL_PORT + 1)) $((SENTINEL_PORT + 2)))

# check_free port...: exit when one of them is in use
check_free() {
	for p in "$@"; do
		if (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null; then
			echo "port $p is already in use: stop what listens there, or run with PORT=... SENTINEL_PORT=..."
			exit 1
		fi
	done
}

declare -A pid
stopping=0
stop() {
	[ $stopping = 1 ] && return
	stopping=1
	trap '' INT TERM
	echo
	echo "stopping..."
	# SIGTERM, SIGKILL after 10 s
	for p in "${stop_order[@]}"; do
		[ -n "${pid[$p]:-}" ] || continue
		kill -TERM "${pid[$p]}" 2>/dev/null || continue
		for _ in $(seq 100); do kill -0 "${pid[$p]}" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "${pid[$p]}" 2>/dev/null || true
		wait "${pid[$p]}" 2>/dev/null || true
	done
	rm -rf "$tmp"
	echo "stopped; removed $tmp"
}
# demo_start name: the temporary directory and the traps
demo_start() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	trap stop EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# wait_port port: until something answers PING there (30 s)
wait_port() {
	for _ in $(seq 300); do
		if exec 3<>/dev/tcp/127.0.0.1/"$1"; then
			printf 'PING\r\n' >&3
			local line=""; read -r -t 1 line <&3 || true; exec 3>&-
			[ "${line%$'\r'}" = "+PONG" ] && return 0
		fi 2>/dev/null
		sleep 0.1
	done
	echo "nothing answers on port $1; the logs are in $tmp:"; tail -n 20 "$tmp"/*.log; exit 1
}

# demo_wait: until a signal; a process exiting (a killed master) is no reason to stop
demo_wait() {
	echo "Ctrl-C here stops everything."
	while :; do
		sleep 1 &
		wait $! 2>/dev/null || true
	done
}
