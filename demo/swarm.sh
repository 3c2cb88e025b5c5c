#!/usr/bin/env bash
# Local swarm demo: one seeder and N leechers on 127.0.0.1, each a real `ezio` process.
# A random multi-file payload is seeded; every leecher downloads it, verifies every piece,
# serves the others, and the result is compared byte for byte with the source.
#
#   demo/swarm.sh [N] [SIZE_MIB]        (defaults: 4 leechers, 256 MiB)
set -euo pipefail

n=${1:-4}
size_mib=${2:-256}
root=$(cd "$(dirname "$0")/.." && pwd)
ezio=${EZIO_BIN:-$root/out/ezio}
work=$(mktemp -d /var/tmp/ezio-demo.XXXXXX)
pids=()

cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

[[ -x $ezio ]] || { echo "demo: $ezio not found; run 'make publish' first" >&2; exit 1; }

base_port=$((20000 + RANDOM % 20000))
echo "== making a ${size_mib} MiB payload in $work/src"
mkdir -p "$work/src/system/lib" "$work/src/home"
head -c $((size_mib * 1024 * 1024 * 3 / 4)) /dev/urandom > "$work/src/system/lib/rootfs.img"
head -c $((size_mib * 1024 * 1024 / 4 - 12345)) /dev/urandom > "$work/src/home/user.img"
echo "hello from ezio" > "$work/src/README"
"$ezio" torrent create "$work/src" -o "$work/demo.torrent" --piece-size 1M

echo "== seeder on port $base_port"
"$ezio" seed "$work/demo.torrent" "$work/src" --port "$base_port" 2> "$work/seed.log" &
pids+=($!)
sleep 1

echo "== $n leechers"
start=$(date +%s.%N)
leechers=()
for i in $(seq 1 "$n"); do
    port=$((base_port + i))
    peers=(--peer "127.0.0.1:$base_port")
    for j in $(seq 1 $((i - 1))); do peers+=(--peer "127.0.0.1:$((base_port + j))"); done
    "$ezio" get "$work/demo.torrent" "$work/dst$i" --port "$port" "${peers[@]}" --seed-after "done" \
        2> "$work/get$i.log" &
    leechers+=($!)
    pids+=($!)
done

status=0
for i in $(seq 1 "$n"); do
    if ! timeout 600 tail --pid="${leechers[$((i - 1))]}" -f /dev/null; then status=1; fi
    wait "${leechers[$((i - 1))]}" || status=1
done
end=$(date +%s.%N)

echo "== results"
printf '%-8s %-8s %s\n' machine result summary
for i in $(seq 1 "$n"); do
    if diff -qr "$work/src" "$work/dst$i" > /dev/null; then result=identical; else result=DIFFERENT; status=1; fi
    printf '%-8s %-8s %s\n' "leech$i" "$result" "$(grep -o 'fetched.*' "$work/get$i.log" | tail -1)"
done
awk -v s="$start" -v e="$end" -v m="$size_mib" -v n="$n" \
    'BEGIN { t = e - s; printf "%d machines got %d MiB each in %.1f s (%.0f MiB/s aggregate)\n", n, m, t, n * m / t }'
exit $status
