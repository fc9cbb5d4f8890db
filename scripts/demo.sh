#!/usr/bin/env bash
# make run: a local high-availability demo on loopback (issue 9 §4): three `vigil node`
# processes, each a data server, a sentinel agent, a gossip mesh and an HTTP endpoint, on
# embedded defaults. Data servers PORT..PORT+2 (PORT's node starts the group "vigil" and is its
# master, the others join it and become replicas), sentinel endpoints SENTINEL_PORT..+2, gossip
# on the sentinel port + 1000, HTTP on the sentinel port + 2000. Quorum 2 (size 3),
# down-after-milliseconds 5000. Each node's dir (data, state file) and log are in a temporary
# directory; Ctrl-C stops everything and removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=demo-lib.sh
. scripts/demo-lib.sh
check_free "${data[@]}" "${sents[@]}" $((SENTINEL_PORT + 1000)) $((SENTINEL_PORT + 1001)) $((SENTINEL_PORT + 1002))
# the replicas' nodes first, then the master's
stop_order=("${data[2]}" "${data[1]}" "${data[0]}")
demo_start vigil-nodes

for i in 0 1 2; do
	p=${data[$i]}
	mkdir -p "$tmp/$p"
	args=(node --port "$p" --sentinel-port "${sents[$i]}" --dir "$tmp/$p" --size 3
		--sentinel.down-after-milliseconds 5000 --sentinel.failover-timeout 60000)
	[ "$i" = 0 ] || args+=(--join "127.0.0.1:$((SENTINEL_PORT + 1000))")
	"$BIN" "${args[@]}" >"$tmp/$p.log" 2>&1 &
	pid[$p]=$!
done
for i in 0 1 2; do wait_port "${data[$i]}"; wait_port "${sents[$i]}"; done

cat <<EOF

Vigil node demo on 127.0.0.1: three nodes of the group "vigil" (dirs and logs in $tmp):
  node 1  data 127.0.0.1:${data[0]} (master)    sentinel ${sents[0]}  pid ${pid[${data[0]}]}
  node 2  data 127.0.0.1:${data[1]} (replica)   sentinel ${sents[1]}  pid ${pid[${data[1]}]}
  node 3  data 127.0.0.1:${data[2]} (replica)   sentinel ${sents[2]}  pid ${pid[${data[2]}]}
  quorum 2, down-after-milliseconds 5000; HTTP on 127.0.0.1:$((SENTINEL_PORT + 2000))..$((SENTINEL_PORT + 2002))

Watch a failover, from another terminal:
  redis-cli -p ${sents[0]} SENTINEL GET-MASTER-ADDR-BY-NAME vigil    # who is the master
  redis-cli -p ${sents[1]} SUBSCRIBE +switch-master                  # wait for the switch
  kill -9 ${pid[${data[0]}]}                                                # kill the master's node
  redis-cli -p ${sents[1]} SENTINEL GET-MASTER-ADDR-BY-NAME vigil    # another node, ~6 s later
  curl -s 127.0.0.1:$((SENTINEL_PORT + 2001))/v1/masters/vigil              # the same over HTTP
  tail -f $tmp/${data[1]}.log    # one node's log (component=server|sentinel|mesh|...)
Restart the killed node (it rejoins as a replica):
  $BIN node --port ${data[0]} --sentinel-port ${sents[0]} --dir $tmp/${data[0]} --size 3 --sentinel.down-after-milliseconds 5000

EOF
demo_wait
