#!/usr/bin/env bash
# Persistence benchmark (part of make bench): Vigil vs redis-server with 1M keys.
#  - SAVE time and BGSAVE time (ratio vigil/redis; target <= 1.0)
#  - extra memory during BGSAVE under a steady SET load: Vigil's peak RSS growth vs
#    Redis's copy-on-write (rdb_last_cow_size reported by Redis after the BGSAVE)
#  - the longest SET latency a client sees during BGSAVE under that load (Redis: fork stall)
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${KEYS:-1000000}
VPORT=${VPORT:-7411}
RPORT=${RPORT:-7412}
tmp=$(mktemp -d)
cleanup() { redis-cli -p $VPORT shutdown nosave >/dev/null 2>&1 || true; redis-cli -p $RPORT shutdown nosave >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir -p "$tmp/v" "$tmp/r"
bin/vigil server --port $VPORT --bind 127.0.0.1 --save "" --dir "$tmp/v" ${VIGIL_ARGS:-} >"$tmp/vigil.log" 2>&1 &
VPID=$!
redis-server --port $RPORT --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp/r" >"$tmp/redis.log" 2>&1 &
RPID=$!
for p in $VPORT $RPORT; do for i in $(seq 100); do redis-cli -p $p ping >/dev/null 2>&1 && break; sleep 0.1; done; done
now_ms() { date +%s%3N; }
rss() { awk '/VmRSS/ {print $2*1024}' /proc/$1/status; }
echo "# vigil args: ${VIGIL_ARGS:-none}; persistence: $KEYS keys (SET key:<12-digit i> <16 bytes>, overwritten by redis-benchmark -r during BGSAVE)"
for who in vigil redis; do
	port=$VPORT; [ $who = redis ] && port=$RPORT
	awk -v n=$KEYS 'BEGIN { for (i=0;i<n;i++) printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$16\r\nvalue-0123456789\r\n", i }' | redis-cli -p $port --pipe >/dev/null
	t0=$(now_ms); redis-cli -p $port save >/dev/null; t1=$(now_ms)
	eval "save_$who=$((t1-t0))"
	t0=$(now_ms); redis-cli -p $port bgsave >/dev/null
	for _ in $(seq 6000); do [ "$(redis-cli -p $port info persistence | awk -F: '/^rdb_bgsave_in_progress/ {print $2+0}')" = 0 ] && break; sleep 0.01; done
	t1=$(now_ms)
	eval "bgsave_$who=$((t1-t0))"
done
printf "%-22s %10s %10s %7s\n" metric vigil redis ratio
awk -v v=$save_vigil -v r=$save_redis 'BEGIN { printf "%-22s %10d %10d %7.2f\n", "SAVE ms", v, r, v/r }'
awk -v v=$bgsave_vigil -v r=$bgsave_redis 'BEGIN { printf "%-22s %10d %10d %7.2f\n", "BGSAVE ms", v, r, v/r }'
# BGSAVE under a steady write load
for who in vigil redis; do
	port=$VPORT; pid=$VPID; [ $who = redis ] && { port=$RPORT; pid=$RPID; }
	before=$(rss $pid)
	redis-benchmark -p $port -t set -c 20 -n 400000 -r $KEYS -d 16 --csv >"$tmp/lat-$who.csv" 2>/dev/null &
	bpid=$!
	sleep 0.5
	redis-cli -p $port bgsave >/dev/null
	peak=$before
	while [ "$(redis-cli -p $port info persistence | awk -F: '/^rdb_bgsave_in_progress/ {print $2+0}')" != 0 ]; do
		cur=$(rss $pid); [ "$cur" -gt "$peak" ] && peak=$cur; sleep 0.02
	done
	wait $bpid || true
	maxlat=$(awk -F'","' 'NR==2 { gsub(/"/,"",$NF); print $NF }' "$tmp/lat-$who.csv")
	eval "maxlat_$who=$maxlat"
	if [ $who = redis ]; then
		eval "extra_$who=$(redis-cli -p $port info persistence | awk -F: '/^rdb_last_cow_size/ {print $2+0}')"
	else
		eval "extra_$who=$((peak-before))"
	fi
done
awk -v v=$extra_vigil -v r=$extra_redis 'BEGIN { printf "%-22s %10.1f %10.1f %7.2f\n", "extra MB in BGSAVE", v/1048576, r/1048576, (r>0? v/r : 0) }'
awk -v v=$maxlat_vigil -v r=$maxlat_redis 'BEGIN { printf "%-22s %10.2f %10.2f %7.2f\n", "max SET latency ms", v, r, v/r }'
