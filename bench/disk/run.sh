#!/usr/bin/env bash
# Disk write benchmark: our storage path vs dd, onto the same loop device, in one run.
#
#   sudo bench/disk/run.sh            (SIZE_MIB=4096 PIECE=4194304 E2E=1 by default)
#
# 1. DATA: SIZE_MIB of incompressible bytes in /dev/shm (so reading it costs both sides
#    only a memcpy). The loop device's backing file is sparse, on /var/tmp.
# 2. an untimed dd pass allocates the backing file's blocks; then, timed:
#    dd:   dd if=DATA of=/dev/loopN bs=4M oflag=direct conv=fdatasync
# 3. ours: bench/disk/DiskBench (Native AOT): TargetStorage for an offset torrent, every
#          piece through RawTargetStorage (O_DIRECT body, 4096-aligned buffer), then
#          fdatasync. Prints MiB/s, ratio ours/dd (target >= 0.95) and our peak RSS
#          (target <= 64 MiB). A second pass with --hash adds SHA-1 per piece.
# 4. E2E=1: `ezio get` (the published out/ezio, or EZIO_BIN) of a single-file torrent of
#          DATA onto the device from a local `ezio seed` on 127.0.0.1, both --no-recheck;
#          wall time, MiB/s and peak RSS of the getter.
# Figures only; nothing here asserts a timing.
set -euo pipefail

SIZE_MIB=${SIZE_MIB:-4096}
PIECE=${PIECE:-4194304}
E2E=${E2E:-1}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
ezio=${EZIO_BIN:-$repo/out/ezio}

if [[ $(id -u) -ne 0 ]]; then
    echo "bench-disk: needs root (losetup)" >&2
    exit 2
fi

work=$(mktemp -d /var/tmp/ezio-bench-disk.XXXXXX)
shm=$(mktemp -d /dev/shm/ezio-bench-disk.XXXXXX)
loop=""
seed_pid=""
cleanup() {
    [[ -n $seed_pid ]] && kill "$seed_pid" 2>/dev/null && wait "$seed_pid" 2>/dev/null || true
    [[ -n $loop ]] && losetup -d "$loop" || true
    rm -rf "$work" "$shm"
}
trap cleanup EXIT

now() { date +%s.%N; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / s / 1048576 }'; }

echo "bench-disk: building DiskBench (Native AOT)"
dotnet publish "$here/DiskBench/DiskBench.csproj" -c Release -o "$here/out" --nologo -v quiet >/dev/null

data=$shm/disk.img
bytes=$((SIZE_MIB * 1048576))
echo "bench-disk: generating $SIZE_MIB MiB in $data"
# openssl dies of SIGPIPE once head has enough: expected, so not under pipefail.
{ openssl enc -aes-128-ctr -nosalt -pass pass:ezio-bench -pbkdf2 </dev/zero 2>/dev/null || true; } | head -c "$bytes" >"$data"
[[ $(stat -c %s "$data") -eq $bytes ]]
truncate -s "$bytes" "$work/backing.img"
loop=$(losetup --find --show "$work/backing.img")
echo "bench-disk: target $loop (backing $work/backing.img, sparse)"

# Untimed first pass: the sparse backing file gets its blocks allocated here, so neither
# timed run pays the allocation the other does not.
dd if="$data" of="$loop" bs=4M oflag=direct conv=fdatasync status=none
sync
t0=$(now)
dd if="$data" of="$loop" bs=4M oflag=direct conv=fdatasync status=none
t1=$(now)
dd_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
dd_rate=$(rate "$bytes" "$dd_s")
printf 'dd:             %8s MiB/s  (%.2f s)\n' "$dd_rate" "$dd_s"

run_ours() {
    local out
    out=$("$here/out/DiskBench" --target "$loop" --data "$data" --piece-size "$PIECE" "$@")
    local s rss
    s=$(sed -E 's/.*seconds=([0-9.]+).*/\1/' <<<"$out")
    rss=$(sed -E 's/.*peak_rss_kib=([0-9]+).*/\1/' <<<"$out")
    echo "$s $rss"
}

sync
read -r ours_s ours_rss < <(run_ours)
ours_rate=$(rate "$bytes" "$ours_s")
printf 'ours (storage): %8s MiB/s  (%.2f s), peak RSS %d MiB\n' "$ours_rate" "$ours_s" $((ours_rss / 1024))
sync
read -r hash_s hash_rss < <(run_ours --hash)
printf 'ours + SHA-1:   %8s MiB/s  (%.2f s), peak RSS %d MiB\n' "$(rate "$bytes" "$hash_s")" "$hash_s" $((hash_rss / 1024))
awk -v o="$ours_rate" -v d="$dd_rate" -v r="$ours_rss" 'BEGIN {
    ratio = o / d; rss = r / 1024
    rv = "NOT met"; if (ratio >= 0.95) rv = "met"
    mv = "NOT met"; if (rss <= 64) mv = "met"
    printf "ratio ours/dd:  %.3f (target >= 0.95: %s); peak RSS %.1f MiB (target <= 64: %s)\n", ratio, rv, rss, mv }'

if [[ $E2E != 0 ]]; then
    if [[ ! -x $ezio ]]; then
        echo "bench-disk: E2E skipped: no ezio binary at $ezio (make publish)" >&2
        exit 0
    fi
    port=$(( (RANDOM % 20000) + 30000 ))
    "$ezio" torrent create "$data" -o "$work/disk.torrent" --piece-size "$PIECE" >/dev/null
    "$ezio" seed "$work/disk.torrent" "$data" --port "$port" --no-recheck 2>"$work/seed.log" &
    seed_pid=$!
    for _ in $(seq 100); do
        grep -q "ezio: seeding" "$work/seed.log" 2>/dev/null && break
        sleep 0.1
    done
    sync
    t0=$(now)
    /usr/bin/time -f "%M" -o "$work/get.rss" "$ezio" get "$work/disk.torrent" "$loop" --port 0 \
        --peer "127.0.0.1:$port" --seed-after none --no-recheck 2>"$work/get.log"
    t1=$(now)
    e2e_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
    printf 'ezio get e2e:   %8s MiB/s  (%.2f s wall, from ezio seed on loopback), peak RSS %d MiB\n' \
        "$(rate "$bytes" "$e2e_s")" "$e2e_s" $(($(tail -1 "$work/get.rss") / 1024))
    grep "complete and verified" "$work/get.log" || { cat "$work/get.log"; exit 1; }
fi
