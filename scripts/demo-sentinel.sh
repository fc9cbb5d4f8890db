#!/usr/bin/env bash
# make run-sentinel: the drop-in high-availability demo on loopback (issue 5 §7), with embedded defaults.
# Three Vigil data servers (PORT the master, PORT+1 and PORT+2 its replicas) and three Vigil
# sentinels (SENTINEL_PORT..SENTINEL_PORT+2) monitoring them as "mymaster" with quorum 2
# (down-after-milliseconds 5000, failover-timeout 60000). The config files are generated in a
# temporary directory, which also holds the logs and the sentinels' rewritten state; Ctrl-C stops
# everything (sentinels first, so they don't fail over during the shutdown) and removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=demo-lib.sh
. scripts/demo-lib.sh
check_free "${data[@]}" "${sents[@]}"
# sentinels first, then the replicas, then the master
stop_order=("${sents[@]}" "${data[2]}" "${data[1]}" "${data[0]}")
demo_start vigil-demo
# link_up port: until the replica there reports master_link_status:up (30 s)
link_up() {
	for _ in $(seq 300); do
		if exec 3<>/dev/tcp/127.0.0.1/"$1"; then
			printf 'INFO replication\r\n' >&3
			local hdr="" body=""; read -r -t 1 hdr <&3 || true; hdr=${hdr%$'\r'}
			[[ $hdr =~ ^\$([0-9]+)$ ]] && read -r -t 1 -N "${BASH_REMATCH[1]}" body <&3 || true
			exec 3>&-
			[[ $body == *master_link_status:up* ]] && return 0
		fi 2>/dev/null
		sleep 0.1
	done
	echo "the replica on port $1 did not sync; its log:"; cat "$tmp/$1.log"; exit 1
}

for p in "${data[@]}"; do
	mkdir -p "$tmp/$p"
	{
		echo "port $p"
		echo "bind 127.0.0.1"
		echo "dir $tmp/$p"
		echo 'save ""'
		echo "appendonly no"
		[ "$p" = "${data[0]}" ] || echo "replicaof 127.0.0.1 ${data[0]}"
	} >"$tmp/$p.conf"
	"$BIN" server "$tmp/$p.conf" >"$tmp/$p.log" 2>&1 &
	pid[$p]=$!
	wait_port "$p"
done
link_up "${data[1]}"
link_up "${data[2]}"
for p in "${sents[@]}"; do
	mkdir -p "$tmp/s$p"
	cat >"$tmp/s$p/sentinel.conf" <<-EOF
		port $p
		bind 127.0.0.1
		dir $tmp/s$p
		sentinel monitor mymaster 127.0.0.1 ${data[0]} 2
		sentinel down-after-milliseconds mymaster 5000
		sentinel failover-timeout mymaster 60000
	EOF
	"$BIN" sentinel "$tmp/s$p/sentinel.conf" >"$tmp/s$p.log" 2>&1 &
	pid[$p]=$!
	wait_port "$p"
done

cat <<EOF

Vigil HA demo on 127.0.0.1 (files and logs in $tmp):
  master    127.0.0.1:${data[0]}   pid ${pid[${data[0]}]}
  replica   127.0.0.1:${data[1]}   pid ${pid[${data[1]}]}
  replica   127.0.0.1:${data[2]}   pid ${pid[${data[2]}]}
  sentinels 127.0.0.1:${sents[0]} ${sents[1]} ${sents[2]}   (pids ${pid[${sents[0]}]} ${pid[${sents[1]}]} ${pid[${sents[2]}]}), monitoring "mymaster", quorum 2

Watch a failover, from another terminal:
  redis-cli -p ${sents[0]} SENTINEL GET-MASTER-ADDR-BY-NAME mymaster    # who is the master
  redis-cli -p ${sents[0]} SUBSCRIBE +switch-master                     # wait for the switch
  kill -9 ${pid[${data[0]}]}                                                   # kill the master
  redis-cli -p ${sents[0]} SENTINEL GET-MASTER-ADDR-BY-NAME mymaster    # a replica, ~5 s later
  tail -f $tmp/s${sents[0]}.log    # the sentinel's events

EOF
demo_wait
