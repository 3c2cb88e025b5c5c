#!/usr/bin/env bash
# Tracker load: wrk sends announces with distinct peer ids to ezio-server on loopback.
# Prints announces/s (wrk's requests/s, checked against the server's own counter in /metrics)
# and the server's RSS before and after: memory is bounded by peers (maxPeersPerTorrent x
# swarms), not by the number of requests.
#
# Usage: bench/tracker/run.sh            (publishes ezio-server with AOT unless EZIO_SERVER_BIN is set)
# Env:   EZIO_SERVER_BIN  BENCH_PORT (a free one)  BENCH_SECONDS (10)  BENCH_THREADS (2)
#        BENCH_CONNECTIONS (64)  BENCH_SWARMS (16)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."

# A free loopback port unless BENCH_PORT says which.
port=${BENCH_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
seconds=${BENCH_SECONDS:-10}
threads=${BENCH_THREADS:-2}
connections=${BENCH_CONNECTIONS:-64}
export BENCH_SWARMS=${BENCH_SWARMS:-16}

if ! command -v wrk >/dev/null; then
    echo "wrk missing: apt-get install -y wrk" >&2
    exit 2
fi
bin=${EZIO_SERVER_BIN:-}
if [[ -z "$bin" ]]; then
    out=$(mktemp -d)
    dotnet publish src/Ezio.Server -c Release -r linux-x64 -o "$out" >/dev/null
    bin=$out/ezio-server
fi

work=$(mktemp -d)
mkdir -p "$work/repo" "$work/state"
"$bin" --repo "$work/repo" --state "$work/state" --listen "http://127.0.0.1:$port" --public-url "http://127.0.0.1:$port" \
    --peer-port 0 --ocsmgrd-port -1 >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/metrics" >/dev/null 2>&1 && break
    sleep 0.1
done
if ! kill -0 "$server" 2>/dev/null; then
    echo "ezio-server did not start:" >&2
    cat "$work/server.log" >&2
    exit 1
fi
rss() { awk '/^VmRSS/ {print $2 " kB"}' "/proc/$server/status"; }
hwm() { awk '/^VmHWM/ {print $2 " kB"}' "/proc/$server/status"; }
echo "ezio-server pid $server, RSS at start: $(rss)"

# Warm-up fills the swarms up to their peer cap.
wrk -t"$threads" -c"$connections" -d3s -s bench/tracker/announce.lua "http://127.0.0.1:$port" >/dev/null
echo "RSS after warm-up: $(rss)"
before=$(curl -fsS "http://127.0.0.1:$port/metrics" | awk '/^ezio_tracker_announces_total/ {print $2}')
wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s bench/tracker/announce.lua "http://127.0.0.1:$port" | tee "$work/wrk.txt"
after=$(curl -fsS "http://127.0.0.1:$port/metrics" | awk '/^ezio_tracker_announces_total/ {print $2}')
peers=$(curl -fsS "http://127.0.0.1:$port/metrics" | awk '/^ezio_tracker_peers/ {s += $2} END {print s}')

rate=$(awk '/^Requests\/sec/ {printf "%d", $2}' "$work/wrk.txt")
echo
echo "announces/s (wrk):          $rate"
echo "announces counted (server): $((after - before)) in ${seconds}s = $(((after - before) / seconds))/s"
echo "peers tracked:              $peers (cap: maxPeersPerTorrent x $BENCH_SWARMS swarms)"
echo "RSS at end:                 $(rss) (peak $(hwm))"
if (( rate < 20000 )); then
    echo "below the 20,000 announces/s target" >&2
fi
