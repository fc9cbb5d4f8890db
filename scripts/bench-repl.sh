#!/usr/bin/env bash
# make bench: replication, Vigil→Vigil vs Redis→Redis on loopback (issue 4 §6).
#  1. full-sync time of KEYS keys (DEBUG POPULATE), from REPLICAOF until master_link_status:up;
#  2. replication lag under a redis-benchmark SET load: master_repl_offset minus the replica's
#     slave_repl_offset sampled every ~10 ms (p50/p99 bytes), and the time the replica takes to
#     reach each sampled master offset (p50/p99 ms);
#  3. SET throughput (-P 16) with two replicas attached vs none, the ratio per implementation.
# Medians over ROUNDS rounds. Until Vigil replicates, prints "vigil: replication unavailable"
# and the Redis numbers alone.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
KEYS=${KEYS:-1000000}
N=${N:-1000000}
LAGN=${LAGN:-2000000}
BASE=${BASE:-7430}
for b in redis-server redis-benchmark redis-cli; do
	command -v $b >/dev/null || { echo "bench-repl needs $b (apt-get install redis-server redis-tools)"; exit 1; }
done
[ -x bin/vigil ] || { echo "bench-repl needs bin/vigil (make build)"; exit 1; }
tmp=$(mktemp -d)
cli() { redis-cli -p "$1" "${@:2}"; }
cleanup() {
	for p in $(seq $BASE $((BASE + 5))); do cli $p shutdown nosave >/dev/null 2>&1 || true; done
	kill $(jobs -p) 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
now_ms() { echo $(($(date +%s%N) / 1000000)); }
field() { cli "$1" info replication | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2 }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# ports: <impl>_m, <impl>_r1, <impl>_r2
redis_m=$BASE; redis_r1=$((BASE + 1)); redis_r2=$((BASE + 2))
vigil_m=$((BASE + 3)); vigil_r1=$((BASE + 4)); vigil_r2=$((BASE + 5))
start() { # impl port
	local args=(--port "$2" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp/$2" --enable-debug-command yes
		--repl-diskless-sync-delay 0)
	mkdir -p "$tmp/$2"
	if [ "$1" = redis ]; then redis-server "${args[@]}" >"$tmp/$2.log" 2>&1 &
	else bin/vigil server "${args[@]}" >"$tmp/$2.log" 2>&1 & fi
	for _ in $(seq 100); do cli "$2" ping >/dev/null 2>&1 && return; sleep 0.1; done
	echo "$1 on port $2 did not start:"; cat "$tmp/$2.log"; exit 1
}
port() { eval echo \$"$1_$2"; }
# wait_up replica_port [seconds]: 0 once master_link_status is up
wait_up() {
	local deadline=$(($(now_ms) + ${2:-120} * 1000))
	while [ "$(now_ms)" -lt $deadline ]; do
		[ "$(field "$1" master_link_status 2>/dev/null)" = up ] && return 0
		sleep 0.01
	done
	return 1
}
wait_caught_up() { # master replica...
	local m=$1; shift
	for _ in $(seq 3000); do
		local mo ok=1; mo=$(field "$m" master_repl_offset)
		for r in "$@"; do [ "$(field "$r" slave_repl_offset)" = "$mo" ] || ok=0; done
		[ $ok = 1 ] && return 0; sleep 0.01
	done
	echo "replicas of $m did not catch up"; exit 1
}

# info_fd fd field: INFO replication over an open connection; sets val to the field
info_fd() {
	local hdr body len
	printf 'INFO replication\r\n' >&"$1"
	IFS= read -r hdr <&"$1"; len=${hdr#\$}; len=${len%$'\r'}
	IFS= read -r -N "$len" body <&"$1"; IFS= read -r -N 2 _ <&"$1"
	[[ $body =~ $2:([0-9]+) ]] && val=${BASH_REMATCH[1]} || val=""
}

impls="redis"
for who in redis vigil; do for n in m r1 r2; do start $who "$(port $who $n)"; done; done
# does vigil replicate yet?
if out=$(cli $vigil_r1 replicaof 127.0.0.1 $vigil_m 2>&1) && [ "$out" = OK ] && wait_up $vigil_r1 10; then
	impls="redis vigil"
else
	echo "vigil: replication unavailable (REPLICAOF: ${out:-no reply}); Redis numbers only"
fi
for who in $impls; do cli "$(port $who r1)" replicaof no one >/dev/null; done

echo "# 1. full sync of $KEYS keys (DEBUG POPULATE $KEYS), REPLICAOF -> master_link_status:up; $ROUNDS rounds, median ms"
for who in $impls; do cli "$(port $who m)" flushall >/dev/null; cli "$(port $who m)" debug populate "$KEYS" >/dev/null; done
for _ in $(seq "$ROUNDS"); do
	for who in $impls; do
		m=$(port $who m); r=$(port $who r1)
		cli $r replicaof no one >/dev/null; cli $r flushall >/dev/null
		t0=$(now_ms); cli $r replicaof 127.0.0.1 $m >/dev/null
		wait_up $r || { echo "$who: full sync did not finish"; exit 1; }
		echo "$who $(($(now_ms) - t0))" >>"$tmp/fullsync"
		[ "$(cli $r dbsize)" = "$KEYS" ] || { echo "$who: replica has $(cli $r dbsize) keys, want $KEYS"; exit 1; }
	done
done
for who in $impls; do eval "fs_$who=$(awk -v w=$who '$1 == w { print $2 }' "$tmp/fullsync" | median)"; done
printf "%-8s %10s\n" impl ms; for who in $impls; do printf "%-8s %10s\n" $who "$(eval echo \$fs_$who)"; done
[ "$impls" = "redis vigil" ] && awk -v v="$fs_vigil" -v r="$fs_redis" 'BEGIN { printf "ratio vigil/redis: %.2f (target <= 1.0)\n", v / r }'

echo
echo "# 2. replication lag under redis-benchmark -t set -n $LAGN -P 16 -c 50 -r 100000 (samples every ~10 ms, all rounds)"
printf "%-8s %8s %12s %12s %10s %10s\n" impl samples bytes_p50 bytes_p99 ms_p50 ms_p99
for who in $impls; do
	m=$(port $who m); r=$(port $who r1)
	cli $m flushall >/dev/null; wait_caught_up $m $r
	: >"$tmp/lag.$who"
	for _ in $(seq "$ROUNDS"); do
		redis-benchmark -p $m -t set -n "$LAGN" -P 16 -c 50 -r 100000 -q >/dev/null 2>&1 &
		bench=$!
		# persistent connections (no fork per sample): master, replica, master again; the
		# master offset is the mean of the two readings around the replica's
		exec 3<>/dev/tcp/127.0.0.1/$m 4<>/dev/tcp/127.0.0.1/$r
		while kill -0 $bench 2>/dev/null; do
			info_fd 3 master_repl_offset; mo1=$val
			t=${EPOCHREALTIME/[.,]/}; info_fd 4 slave_repl_offset; ro=$val
			info_fd 3 master_repl_offset; mo=$(((mo1 + val) / 2))
			echo "$((t / 1000)) $mo $ro" >>"$tmp/lag.$who"; sleep 0.01
		done
		exec 3>&- 4>&-
		wait $bench || true
		wait_caught_up $m $r
		echo "end" >>"$tmp/lag.$who"
	done
	# bytes: master offset minus replica offset per sample; ms: for each sample, time until a
	# later sample (same round) shows the replica at or past that master offset
	awk '
	function pct(a, n, p,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n ? a[int((n - 1) * p) + 1] : "nan" }
	function flush(   i, j) { for (i = 1; i <= k; i++) { b[++nb] = mo[i] - ro[i]
			for (j = i; j <= k; j++) if (ro[j] >= mo[i]) { ms[++nm] = t[j] - t[i]; break } }
		k = 0 }
	$1 == "end" { flush(); next }
	NF == 3 && $2 != "" && $3 != "" { k++; t[k] = $1; mo[k] = $2; ro[k] = $3 }
	END { flush(); nb2 = nb; nm2 = nm; for (i = 1; i <= nb; i++) c[i] = b[i]; for (i = 1; i <= nm; i++) d[i] = ms[i]
		printf "%-8s %8d %12s %12s %10s %10s\n", who, nb, pct(b, nb, 0.5), pct(c, nb2, 0.99), pct(ms, nm, 0.5), pct(d, nm2, 0.99) }
	' who=$who "$tmp/lag.$who"
done

echo
echo "# 3. throughput: redis-benchmark -t set -n $N -P 16 -c 50 -r 100000, no replica vs two replicas; $ROUNDS rounds, median ops/s"
for who in $impls; do cli "$(port $who r1)" replicaof no one >/dev/null; cli "$(port $who r2)" replicaof no one >/dev/null; done
ops() { redis-benchmark -p "$1" -t set -n "$N" -P 16 -c 50 -r 100000 --csv 2>/dev/null | awk -F'","' 'NR > 1 { gsub(/"/, "", $2); print $2 + 0 }'; }
for who in $impls; do
	m=$(port $who m); r1=$(port $who r1); r2=$(port $who r2)
	cli $m flushall >/dev/null
	for _ in $(seq "$ROUNDS"); do echo "$who none $(ops $m)" >>"$tmp/tput"; done
	cli $r1 replicaof 127.0.0.1 $m >/dev/null; cli $r2 replicaof 127.0.0.1 $m >/dev/null
	wait_up $r1; wait_up $r2
	for _ in $(seq "$ROUNDS"); do echo "$who two $(ops $m)" >>"$tmp/tput"; wait_caught_up $m $r1 $r2; done
	cli $r1 replicaof no one >/dev/null; cli $r2 replicaof no one >/dev/null
done
printf "%-8s %12s %12s %8s\n" impl none two_repl ratio
for who in $impls; do
	none=$(awk -v w=$who '$1 == w && $2 == "none" { print $3 }' "$tmp/tput" | median)
	two=$(awk -v w=$who '$1 == w && $2 == "two" { print $3 }' "$tmp/tput" | median)
	eval "tr_$who=$(awk -v a="$two" -v b="$none" 'BEGIN { printf "%.3f", a / b }')"
	printf "%-8s %12.0f %12.0f %8s\n" $who "$none" "$two" "$(eval echo \$tr_$who)"
done
[ "$impls" = "redis vigil" ] && awk -v v="$tr_vigil" -v r="$tr_redis" 'BEGIN { printf "ratio-of-ratios vigil/redis: %.2f (target >= 1.0)\n", v / r }'
exit 0
