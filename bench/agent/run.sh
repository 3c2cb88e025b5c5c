#!/bin/bash
# Agent figures for issue 6: binary size, time to READY=1 (loopback server, so the network
# share is one local round trip), peak RSS while deploying an image to a loop device.
# Needs root (loop device). Usage: bench/agent/run.sh [image MiB, default 512]
# Uses out/ezio (make publish) and the built ezio-server.dll; cleans up what it starts.
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
ezio="${EZIO_BIN:-$repo/out/ezio}"
server_dll="$(ls -t "$repo"/src/Ezio.Server/bin/{Release,Debug}/net10.0/ezio-server.dll 2>/dev/null | sed -n 1p || true)"
harness="$repo/tests/Ezio.Agent.Tests/Scenarios/fake-systemd.py"
size_mib="${1:-512}"
[ -x "$ezio" ] || { echo "no $ezio: run make publish"; exit 1; }
[ -n "$server_dll" ] || { echo "build src/Ezio.Server first"; exit 1; }

work="$(mktemp -d /tmp/ezio-agent-bench.XXXXXX)"
server_pid=""; agent_pid=""; loop=""
cleanup() {
    [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null || true
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    [ -n "$server_pid" ] && wait "$server_pid" 2>/dev/null || true
    [ -n "$loop" ] && losetup -d "$loop" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== binary"
printf "ezio (AOT, linux-x64): %.2f MB (%d bytes)\n" "$(echo "$(stat -c %s "$ezio") / 1000000" | bc -l)" "$(stat -c %s "$ezio")"

mkdir -p "$work/repo/bench" "$work/state" "$work/boot"
data="$work/repo/bench/data"
truncate -s "${size_mib}M" "$data"
sgdisk -o -n 1:2048:0 "$data" >/dev/null
head -c "$(( (size_mib - 2) * 1048576 ))" /dev/urandom | dd of="$data" bs=1M seek=1 conv=notrunc status=none
"$ezio" torrent create "$data" -o "$work/repo/bench/bench.torrent" --name bench >/dev/null
http="$(port)"; url="http://127.0.0.1:$http"
dotnet "$server_dll" --repo "$work/repo" --listen "$url" --public-url "$url" --state "$work/state" --boot-root "$work/boot" \
    --peer-port "$(port)" --ocsmgrd-port "$(port)" >"$work/server.log" 2>&1 &
server_pid=$!
# The admin token the server makes on its first start (state directory, 0600).
for _ in $(seq 150); do [ -s "$work/state/admin-token" ] && curl -sf -o /dev/null "$url/api/v1/dashboard" && break; sleep 0.2; done
auth="Authorization: Bearer $(cat "$work/state/admin-token")"

echo "== time to READY=1 (registration with a loopback server included)"
for i in 1 2 3 4 5; do
    python3 "$harness" "$work/notify$i.sock" "$work/notify$i.json" 0 10 "$ezio" agent --server "$url" \
        --mac "02:00:00:00:99:0$i" --status-tty none --trusted-key /nonexistent --cmdline-file /dev/null --journal-socket /nonexistent >/dev/null 2>&1
    python3 -c "import json,sys; m=json.load(open(sys.argv[1]))['messages']; print('%.0f' % (1000*next(t for t,x in m if 'READY=1' in x)))" "$work/notify$i.json"
done | sort -n | awk '{a[NR]=$1} END {printf "READY after: min %d ms, median %d ms, max %d ms (5 runs)\n", a[1], a[3], a[5]}'

echo "== RSS while deploying ${size_mib} MiB to a loop device"
truncate -s "$(( size_mib + 64 ))M" "$work/disk.img"
loop="$(losetup --find --show "$work/disk.img")"
curl -sf -X POST "$url/api/v1/deployments" -H "$auth" -H 'content-type: application/json' \
    -d '{"image":"bench","machines":["02:00:00:00:99:99"],"after":"reboot","seeding":{"untilAllDone":true,"maxMinutes":1}}' >/dev/null
start=$(date +%s.%N)
"$ezio" agent --server "$url" --disk "$loop" --mac 02:00:00:00:99:99 --status-tty none --trusted-key /nonexistent \
    --cmdline-file /dev/null --journal-socket /nonexistent --peer-port 0 --state-dir "$work/agent-state" \
    --after-command "true" >"$work/agent.log" 2>&1 &
agent_pid=$!
peak=0
while kill -0 "$agent_pid" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$agent_pid/status" 2>/dev/null || echo 0)
    if [ "${rss:-0}" -gt "$peak" ]; then peak=$rss; fi
    sleep 0.1
done
wait "$agent_pid" || true; agent_pid=""
end=$(date +%s.%N)
grep -q "complete and flushed" "$work/agent.log" || { echo "deployment failed:"; cat "$work/agent.log"; exit 1; }
printf "peak RSS: %.1f MiB; whole run (register .. after-action): %.1f s for %d MiB\n" "$(echo "$peak / 1024" | bc -l)" "$(echo "$end - $start" | bc -l)" "$size_mib"
grep -m 1 -o "fetched [0-9]* bytes in [0-9.]* s" "$work/agent.log"
