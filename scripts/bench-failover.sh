#!/usr/bin/env bash
# make bench: client-visible unavailability when the master is killed with kill -9 (issue 5 §9,
# issue 9 §6 for the nodes).
# Three data servers (a master, two replicas) and three sentinels (quorum 2, down-after-milliseconds
# 1000, failover-timeout 10000) on loopback: Vigil servers + Vigil sentinels vs real redis-server +
# real redis-sentinel, same client, same script. The client writes every ~5 ms to the master it gets
# from SENTINEL GET-MASTER-ADDR-BY-NAME, asking again (next sentinel) after any error; a round's
# number is the gap between its last successful write before the kill and its first one after.
# A fresh group per round (the old master is not restarted). Medians over ROUNDS rounds, the ratio.
# IMPLS picks the implementations (default "redis vigil node"); KEEP=1 keeps the logs of every round.
# If Vigil's sentinels do not fail over within TIMEOUT s, prints "vigil: failover unavailable" and
# the Redis numbers alone.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
TIMEOUT=${TIMEOUT:-30}
BASE=${BASE:-7460}
for b in redis-server redis-cli; do
	command -v $b >/dev/null || { echo "bench-failover needs $b (apt-get install redis-server redis-tools)"; exit 1; }
done
[ -x bin/vigil ] || { echo "bench-failover needs bin/vigil (make build)"; exit 1; }
tmp=$(mktemp -d)
pids=()
stop_group() {
	{ for p in "${pids[@]}"; do kill -9 "$p" || true; done
	for p in "${pids[@]}"; do wait "$p" || true; done; } 2>/dev/null
	pids=()
}
cleanup() {
	touch "$tmp/stop"
	stop_group
	kill $(jobs -p) 2>/dev/null || true
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
cli() { redis-cli -p "$1" "${@:2}"; }
now_us() { echo "${EPOCHREALTIME/[.,]/}"; }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# ports: data BASE..BASE+2 (BASE is the first master), sentinels BASE+10..BASE+12 (Vigil's sentinels
# also gossip on port+1000)
data=($BASE $((BASE + 1)) $((BASE + 2)))
sents=($((BASE + 10)) $((BASE + 11)) $((BASE + 12)))

# start_group impl: a fresh group (impl redis|vigil: 3 servers + 3 sentinels; node: 3 vigil
# nodes); 0 once every sentinel sees a healthy group
start_group() {
	local who=$1 dir p i
	# KEEP=1 keeps every round's logs (g.<n>, rounds in order; g the last), else only the last round's
	if [ -n "${KEEP:-}" ] && [ -d "$tmp/g" ]; then mv "$tmp/g" "$tmp/g.$(ls -d "$tmp"/g.* 2>/dev/null | wc -l)"; else rm -rf "$tmp/g"; fi
	mkdir -p "$tmp/g"
	if [ "$who" = node ]; then start_nodes; else start_servers "$who"; fi
	wait_healthy
}

# start_nodes: three `vigil node` processes (server data[i], sentinel endpoint sents[i], gossip
# sents[i]+1000, no HTTP); the first one's server is the master, the others join it
start_nodes() {
	local i p dir
	for i in 0 1 2; do
		p=${data[i]}; dir="$tmp/g/$p"; mkdir -p "$dir"
		local args=(node --port "$p" --sentinel-port "${sents[i]}" --http-port 0 --dir "$dir" --group mymaster --size 3
			--save "" --appendonly no --repl-diskless-sync-delay 0
			--sentinel.down-after-milliseconds 1000 --sentinel.failover-timeout 10000)
		[ $i = 0 ] || args+=(--join "127.0.0.1:$((sents[0] + 1000))")
		bin/vigil "${args[@]}" >"$tmp/g/$p.log" 2>&1 &
		pids+=($!); eval "pid_$p=$!"
		# the first node is the master before the others ask it
		[ $i = 0 ] && for _ in $(seq 100); do cli "${sents[0]}" ping >/dev/null 2>&1 && break; sleep 0.05; done
	done
}

# start_servers impl: three data servers (redis-server or vigil server) and three sentinels
start_servers() {
	local who=$1 dir p
	for p in "${data[@]}"; do
		dir="$tmp/g/$p"; mkdir -p "$dir"
		local args=(--port "$p" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --repl-diskless-sync-delay 0)
		if [ "$who" = redis ]; then redis-server "${args[@]}" >"$tmp/g/$p.log" 2>&1 &
		else bin/vigil server "${args[@]}" >"$tmp/g/$p.log" 2>&1 & fi
		pids+=($!); eval "pid_$p=$!"
		for _ in $(seq 100); do cli "$p" ping >/dev/null 2>&1 && break; sleep 0.05; done
	done
	for p in "${data[@]:1}"; do cli "$p" replicaof 127.0.0.1 "${data[0]}" >/dev/null; done
	for _ in $(seq 200); do
		[ "$(cli "${data[1]}" info replication | tr -d '\r' | grep -c master_link_status:up)$(cli "${data[2]}" info replication | tr -d '\r' | grep -c master_link_status:up)" = 11 ] && break
		sleep 0.05
	done
	for p in "${sents[@]}"; do
		dir="$tmp/g/s$p"; mkdir -p "$dir"
		printf 'port %s\nbind 127.0.0.1\ndir %s\nsentinel monitor mymaster 127.0.0.1 %s 2\nsentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 10000\n' \
			"$p" "$dir" "${data[0]}" >"$dir/sentinel.conf"
		if [ "$who" = redis ]; then redis-server "$dir/sentinel.conf" --sentinel >"$tmp/g/s$p.log" 2>&1 &
		else bin/vigil sentinel "$dir/sentinel.conf" >"$tmp/g/s$p.log" 2>&1 & fi
		pids+=($!)
	done
}

# wait_healthy: 0 once each sentinel knows the 2 replicas and the 2 other sentinels
wait_healthy() {
	local p deadline=$(($(now_us) + TIMEOUT * 1000000)) ok
	while [ "$(now_us)" -lt $deadline ]; do
		ok=1
		for p in "${sents[@]}"; do
			cli "$p" sentinel master mymaster 2>/dev/null | tr -d '\r' |
				awk 'NR % 2 { k = $0; next } { m[k] = $0 } END { exit !(m["flags"] == "master" && m["num-slaves"] == 2 && m["num-other-sentinels"] == 2) }' || ok=0
		done
		[ $ok = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

# client out: writes SET fo:<i> <i> every ~5 ms to the master a sentinel names, asking again after
# any error; logs the time (µs) of each successful write. No fork per write: bash /dev/tcp.
client() {
	local out=$1 si=0 i=0 up=0 line ip port sfd mfd nap logfd cmd
	exec {nap}<> <(:) {logfd}>"$out"
	local ask=$'*3\r\n$8\r\nSENTINEL\r\n$23\r\nGET-MASTER-ADDR-BY-NAME\r\n$8\r\nmymaster\r\n'
	while [ ! -e "$tmp/stop" ]; do
		if [ $up = 0 ]; then
			local s=${sents[si]}; si=$(((si + 1) % ${#sents[@]}))
			if exec {sfd}<>/dev/tcp/127.0.0.1/"$s"; then
				printf '%s' "$ask" >&$sfd
				if read -r -t 1 -u $sfd line && [ "${line%$'\r'}" = '*2' ] &&
					read -r -t 1 -u $sfd _ && read -r -t 1 -u $sfd ip && read -r -t 1 -u $sfd _ && read -r -t 1 -u $sfd port; then
					exec {mfd}<>/dev/tcp/"${ip%$'\r'}"/"${port%$'\r'}" && up=1
				fi
				exec {sfd}>&-
			fi 2>/dev/null
			[ $up = 1 ] || { read -r -t 0.005 -u $nap || true; continue; }
		fi
		i=$((i + 1))
		printf -v cmd '*3\r\n$3\r\nSET\r\n$%d\r\nfo:%s\r\n$%d\r\n%s\r\n' $((${#i} + 3)) "$i" ${#i} "$i"
		if printf '%s' "$cmd" >&$mfd 2>/dev/null && read -r -t 1 -u $mfd line 2>/dev/null && [ "${line%$'\r'}" = '+OK' ]; then
			printf '%s\n' "${EPOCHREALTIME/[.,]/}" >&$logfd
		else
			exec {mfd}>&-; up=0
		fi
		read -r -t 0.005 -u $nap || true
	done
}

# round impl: one failover; appends "impl ms" to $tmp/gaps, or returns 1 if none within TIMEOUT
round() {
	local who=$1 log="$tmp/writes.$1" t_kill deadline gap last
	start_group "$who" || { why="the sentinels did not see a healthy group within ${TIMEOUT}s"; stop_group; return 1; }
	rm -f "$tmp/stop"; : >"$log"
	client "$log" &
	local cpid=$!
	for _ in $(seq 200); do [ "$(wc -l <"$log")" -ge 50 ] && break; sleep 0.02; done
	# the kill is over once the process is reaped: a write answered until then was before it
	local mpid; eval "mpid=\$pid_${data[0]}"
	{ kill -9 "$mpid"; wait "$mpid"; } 2>/dev/null || true
	t_kill=$(now_us)
	deadline=$((t_kill + TIMEOUT * 1000000))
	while [ "$(now_us)" -lt $deadline ]; do
		last=$(tail -n 1 "$log"); [ "${last:-0}" -gt "$t_kill" ] && break
		sleep 0.05
	done
	touch "$tmp/stop"; wait $cpid 2>/dev/null || true
	stop_group
	gap=$(awk -v k="$t_kill" '$1 <= k { last = $1 } $1 > k && !first { first = $1 } END { if (first && last) printf "%d", (first - last) / 1000 }' "$log")
	[ -n "$gap" ] || { why="no successful write within ${TIMEOUT}s of the kill"; return 1; }
	echo "$who $gap" >>"$tmp/gaps"
}

impls=${IMPLS:-redis vigil node}
echo "# failover: client-visible unavailability after kill -9 of the master (redis, vigil: 3 servers + 3 sentinels;"
echo "# node: 3 vigil nodes, the master's node killed; quorum 2, down-after-milliseconds 1000); gap between the last"
echo "# write before the kill and the first after; $ROUNDS rounds, ms"
for r in $(seq "$ROUNDS"); do
	for who in $impls; do
		if ! round "$who"; then
			[ "$who" != redis ] || { echo "redis: $why"; exit 1; }
			echo "$who: failover unavailable ($why); left out"
			impls=$(echo $impls | tr ' ' '\n' | grep -vx "$who" | tr '\n' ' ')
		fi
	done
done
printf "%-8s %10s   %s\n" impl median_ms rounds
for who in $impls; do
	all=$(awk -v w=$who '$1 == w { printf "%s ", $2 }' "$tmp/gaps")
	eval "gap_$who=$(awk -v w=$who '$1 == w { print $2 }' "$tmp/gaps" | median)"
	printf "%-8s %10s   %s\n" $who "$(eval echo \$gap_$who)" "$all"
done
has() { case " $impls " in *" $1 "*) return 0 ;; esac; return 1; }
if has redis && has vigil; then awk -v v="$gap_vigil" -v r="$gap_redis" 'BEGIN { printf "ratio vigil/redis: %.2f (target: vigil <= 1250 ms)\n", v / r }'; fi
if has redis && has node; then awk -v n="$gap_node" -v r="$gap_redis" 'BEGIN { printf "ratio node/redis: %.2f\n", n / r }'; fi
if has vigil && has node; then awk -v n="$gap_node" -v v="$gap_vigil" 'BEGIN { printf "ratio node/vigil: %.2f (target: node <= vigil)\n", n / v }'; fi
exit 0
