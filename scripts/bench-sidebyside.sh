#!/usr/bin/env bash
# Side-by-side SET throughput of two binaries (issue 10): vigil builds, or real Redis (a path
# ending in redis-server runs without the `server` subcommand). For each round and each
# binary, a master with REPLICAS replicas (same binary) on loopback, then
#   redis-benchmark -t set -P 16 -c 50 -n N
# rounds alternate the order (A B, B A, ...); prints each round and the medians of
# requests/s and of the p50/p99 latency (ms) as redis-benchmark reports them.
# usage: scripts/bench-sidebyside.sh BIN_A BIN_B [extra master args for B ...]
#   ROUNDS (5) N (1000000) REPLICAS (2) BASE port (7460); MASTER_ARGS_A/MASTER_ARGS_B extra
#   master directives for each side (e.g. MASTER_ARGS_B="--fenced-mode yes").
set -euo pipefail
A=$1 B=$2
ROUNDS=${ROUNDS:-5}
N=${N:-1000000}
REPLICAS=${REPLICAS:-2}
BASE=${BASE:-7460}
tmp=$(mktemp -d)
cleanup() {
	for p in $(seq $BASE $((BASE + REPLICAS))); do redis-cli -p $p shutdown nosave >/dev/null 2>&1 || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
start() { # bin port extra...
	local bin=$1 port=$2; shift 2
	mkdir -p "$tmp/$port"
	local sub=(server)
	[[ $bin == *redis-server ]] && sub=()
	"$bin" "${sub[@]}" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp/$port" \
		--repl-diskless-sync-delay 0 "$@" >"$tmp/$port.log" 2>&1 &
	lastpid=$!
	for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && return; sleep 0.1; done
	echo "$bin on port $port did not start:"; cat "$tmp/$port.log"; exit 1
}
run() { # bin extra-master-args → "rps p50 p99"
	local bin=$1; shift
	start "$bin" $BASE "$@"
	local mpid=$lastpid
	for i in $(seq 1 $REPLICAS); do
		start "$bin" $((BASE + i)) --replicaof 127.0.0.1 $BASE
	done
	for _ in $(seq 200); do
		[ "$(redis-cli -p $BASE info replication | tr -d '\r' | grep -c 'state=online')" = "$REPLICAS" ] && break
		sleep 0.05
	done
	local out t0 t1
	t0=$(cputicks $mpid); w0=$(syscw $mpid)
	out=$(redis-benchmark -p $BASE -t set -P 16 -c 50 -n "$N" 2>/dev/null | tr '\r' '\n')
	t1=$(cputicks $mpid); w1=$(syscw $mpid)
	if ! echo "$out" | grep -q "throughput summary"; then
		{ echo "round failed: redis-benchmark said:"; echo "$out" | tail -5; echo "master log:"; tail -5 "$tmp/$BASE.log"; } >&2
	fi
	local rps p50 p99
	rps=$(echo "$out" | awk '/throughput summary/ { print $3; exit }')
	# the summary table: avg min p50 p95 p99 max
	read -r p50 p99 < <(echo "$out" | awk '/latency summary/ { getline; getline; print $3, $5; exit }')
	for p in $(seq $BASE $((BASE + REPLICAS))); do redis-cli -p $p shutdown nosave >/dev/null 2>&1 || true; done
	wait 2>/dev/null || true
	# the master's CPU time (user+sys) per request, in microseconds: under a shared
	# machine's noise this is the steadier measure of what the change costs
	# and its write(2) calls per 1000 requests (replies and replica streams): how well
	# writes are batched
	echo "$rps $p50 $p99 $(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$N" 'BEGIN { printf "%.3f", d / hz * 1e6 / n }')" \
		"$(awk -v d=$((w1 - w0)) -v n="$N" 'BEGIN { printf "%.1f", d * 1000 / n }')"
}
cputicks() { awk '{ print $14 + $15 }' /proc/$1/stat; }
syscw() { awk '/^syscw/ { print $2 }' /proc/$1/io; }
read -r -a argsA <<<"${MASTER_ARGS_A:-}"
read -r -a argsB <<<"${MASTER_ARGS_B:-}"
: >"$tmp/a" ; : >"$tmp/b"
for r in $(seq 1 "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then order="a b"; else order="b a"; fi
	for w in $order; do
		if [ $w = a ]; then res=$(run "$A" "${argsA[@]}"); else res=$(run "$B" "${argsB[@]}"); fi
		echo "$res" >>"$tmp/$w"
		echo "round $r $w: rps p50_ms p99_ms master_cpu_us/req writes/1000req = $res"
	done
done
for w in a b; do
	rps=$(awk '{ print $1 }' "$tmp/$w" | median)
	p50=$(awk '{ print $2 }' "$tmp/$w" | median)
	p99=$(awk '{ print $3 }' "$tmp/$w" | median)
	cpu=$(awk '{ print $4 }' "$tmp/$w" | median)
	wr=$(awk '{ print $5 }' "$tmp/$w" | median)
	echo "median $w: $rps rps, p50 $p50 ms, p99 $p99 ms, master cpu $cpu us/req, $wr write(2)/1000 req"
	echo "$cpu" >"$tmp/$w.cpu"
	echo "$rps" >"$tmp/$w.med"
done
awk -v a="$(cat "$tmp/a.med")" -v b="$(cat "$tmp/b.med")" -v ca="$(cat "$tmp/a.cpu")" -v cb="$(cat "$tmp/b.cpu")" \
	'BEGIN { printf "throughput b/a = %.3f, master cpu per request b/a = %.3f\n", b / a, cb / ca }'
