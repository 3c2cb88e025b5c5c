#!/usr/bin/env bash
# Server soak (`make bench-server`, issue 18): one ezio-server on loopback, 300 simulated
# agents registering and reporting progress every 2 s for 60 s, plus a flood of announces from
# made-up peers. Prints the p99 latency of the agents' calls, their failures (must be 0) and
# the size of the server's state directory. Not part of `make test`.
# Env: AGENTS (300) SECONDS_RUN (60) INTERVAL (2) FLOOD (announces/s, 200)
#      EZIO_SERVER_DLL (default: the newest built ezio-server.dll)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
agents=${AGENTS:-300}
seconds=${SECONDS_RUN:-60}
interval=${INTERVAL:-2}
flood=${FLOOD:-200}

server_dll=${EZIO_SERVER_DLL:-}
if [[ -z $server_dll ]]; then
    dotnet build "$repo/src/Ezio.Server" -c Release --nologo -v quiet >/dev/null
    server_dll=$repo/src/Ezio.Server/bin/Release/net10.0/ezio-server.dll
fi
dotnet build "$here/SoakBench/SoakBench.csproj" -c Release -o "$here/out" --nologo -v quiet >/dev/null

work=$(mktemp -d)
server_pid=""
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
mkdir -p "$work/repo" "$work/state"
dotnet "$here/out/SoakBench.dll" image "$work/repo" soak
dotnet "$server_dll" --repo "$work/repo" --listen "$url" --public-url "$url" --state "$work/state" \
    --peer-port 0 --ocsmgrd-port -1 >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 150); do
    [[ -s $work/state/admin-token ]] && curl -fsS -o /dev/null "$url/api/v1/dashboard" 2>/dev/null && break
    sleep 0.2
done
if ! curl -fsS -o /dev/null "$url/api/v1/dashboard"; then
    echo "ezio-server did not start:" >&2
    cat "$work/server.log" >&2
    exit 1
fi

echo "bench-server: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
dotnet "$here/out/SoakBench.dll" run "$url" "$(cat "$work/state/admin-token")" soak \
    --agents "$agents" --seconds "$seconds" --interval "$interval" --flood "$flood" || status=$?
echo "server RSS: $(awk '/^VmRSS/ {print $2 " kB"}' "/proc/$server_pid/status") (peak $(awk '/^VmHWM/ {print $2 " kB"}' "/proc/$server_pid/status"))"
echo "state: $(du -sb "$work/state" | cut -f1) bytes in $work/state:"
find "$work/state" -type f -printf '  %f %s bytes\n' | sort
exit "$status"
