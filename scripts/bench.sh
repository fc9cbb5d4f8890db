#!/usr/bin/env bash
# make bench: Vigil vs a real redis-server on loopback, side by side, with redis-benchmark.
# Prints median ops/s of each over ROUNDS alternating rounds, the ratio vigil/redis per test,
# the geometric mean per pipeline depth, and used_memory_rss after loading 1M small keys.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
N=${N:-200000}
TESTS=${TESTS:-set,get,incr,lpush,rpop,sadd,hset,zadd,lrange_100,mset}
KEYS=${KEYS:-1000000}
VPORT=${VPORT:-7401}
RPORT=${RPORT:-7402}
for b in redis-server redis-benchmark redis-cli; do
	command -v $b >/dev/null || { echo "bench needs $b (apt-get install redis-server redis-tools)"; exit 1; }
done
tmp=$(mktemp -d)
cleanup() { redis-cli -p $VPORT shutdown nosave >/dev/null 2>&1 || true; redis-cli -p $RPORT shutdown nosave >/dev/null 2>&1 || true; kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
start() {
	bin/vigil server --port $VPORT --bind 127.0.0.1 --save "" >"$tmp/vigil.log" 2>&1 &
	redis-server --port $RPORT --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" >"$tmp/redis.log" 2>&1 &
	for p in $VPORT $RPORT; do
		for i in $(seq 100); do redis-cli -p $p ping >/dev/null 2>&1 && break; sleep 0.1; done
	done
}
stop() {
	redis-cli -p $VPORT shutdown nosave >/dev/null 2>&1 || true
	redis-cli -p $RPORT shutdown nosave >/dev/null 2>&1 || true
	wait 2>/dev/null || true
}
start
echo "# redis-benchmark -c 50 -n $N, $ROUNDS alternating rounds, median ops/s"
for P in 1 16; do
	for r in $(seq $ROUNDS); do
		for who in vigil redis; do
			port=$VPORT; [ $who = redis ] && port=$RPORT
			redis-cli -p $port flushall >/dev/null
			redis-benchmark -p $port -c 50 -n $N -P $P -t "$TESTS" --csv 2>/dev/null |
				awk -F'","' -v who=$who -v P=$P 'NR>1 && $1 !~ /needed/ { gsub(/"/,"",$1); sub(/ .*/,"",$1); print P, who, $1, $2 }' >>"$tmp/results"
		done
	done
done
awk '
function median(arr, n,   i, j, t) { for (i=1;i<=n;i++) for (j=i+1;j<=n;j++) if (arr[j]<arr[i]) {t=arr[i];arr[i]=arr[j];arr[j]=t}; return (n%2)? arr[(n+1)/2] : (arr[n/2]+arr[n/2+1])/2 }
{ key=$1 SUBSEP $2 SUBSEP $3; cnt[key]++; vals[key, cnt[key]]=$4; tests[$1 SUBSEP $3]=1; order[$3]=(order[$3]?order[$3]:++no) }
END {
	for (P=1; P<=16; P+=15) {
		printf "\n-P %d\n%-12s %12s %12s %7s\n", P, "test", "vigil", "redis", "ratio"
		lg=0; k=0
		for (t in order) names[order[t]]=t
		for (i=1;i<=no;i++) { t=names[i]; if (!((P SUBSEP t) in tests)) continue
			n=cnt[P SUBSEP "vigil" SUBSEP t]; for (j=1;j<=n;j++) a[j]=vals[P SUBSEP "vigil" SUBSEP t, j]; v=median(a,n)
			n=cnt[P SUBSEP "redis" SUBSEP t]; for (j=1;j<=n;j++) a[j]=vals[P SUBSEP "redis" SUBSEP t, j]; r=median(a,n)
			printf "%-12s %12.0f %12.0f %7.2f\n", t, v, r, v/r; lg+=log(v/r); k++ }
		printf "%-12s %33.2f\n", "geomean", exp(lg/k)
	}
}' "$tmp/results"
echo
echo "# memory: used_memory_rss after loading $KEYS keys (SET key:<i> xxx) via redis-cli --pipe"
for who in vigil redis; do
	port=$VPORT; [ $who = redis ] && port=$RPORT
	redis-cli -p $port flushall >/dev/null
	awk -v n=$KEYS 'BEGIN { for (i=0;i<n;i++) printf "*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$3\r\nxxx\r\n", length("key:" i), i }' | redis-cli -p $port --pipe >/dev/null
	sleep 2
	rss=$(redis-cli -p $port info memory | awk -F: '/^used_memory_rss:/ {print $2+0}')
	[ -n "$rss" ] && [ "$rss" -gt 0 ] || rss=$(ps -o rss= -p "$(pgrep -f "port $port" | head -1)" | awk '{print $1*1024}')
	echo "$who used_memory_rss=$rss"
	eval "rss_$who=$rss"
done
awk -v v="$rss_vigil" -v r="$rss_redis" 'BEGIN { printf "rss ratio vigil/redis: %.2f (target <= 1.30)\n", v/r }'
stop
