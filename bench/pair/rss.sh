#!/usr/bin/env bash
# Leecher memory scaling: peak RSS of `ezio get` for a 2 GiB and an 8 GiB
# torrent (ezio seed -> ezio get on 127.0.0.1). A streaming engine should stay
# roughly flat; RSS that grows with the torrent size points at buffering.
# The 8 GiB case runs only if the cache has room for its data (plus margin) and
# the leecher has a place to write it; the script says which cases it ran.
#
#   bench/pair/rss.sh                (EZIO_BIN defaults to out/ezio)
set -uo pipefail
source "$(dirname "$0")/lib.sh"

mkdir -p "$BENCH_CACHE"
sizes=(2)
gib8_kib=$((8 * 1024 * 1024))
have_8g_data=0
[[ -f $BENCH_CACHE/data-8g/content/bench-8g.bin ]] && have_8g_data=1
cache_free=$(free_kib "$BENCH_CACHE")
# Needed: the 8 GiB data (unless cached) plus the leecher copy if it cannot go to /dev/shm.
need=$(( (1 - have_8g_data) * gib8_kib + 1024 * 1024 ))
[[ $(leech_root $((8 << 30))) == /dev/shm/* ]] || need=$((need + gib8_kib))
if ((cache_free > need)); then
    sizes+=(8)
    log "8 GiB case: enabled (free ${cache_free} KiB in $BENCH_CACHE, need ${need} KiB)"
else
    log "8 GiB case: SKIPPED, not enough disk (free ${cache_free} KiB in $BENCH_CACHE, need ${need} KiB)"
fi

printf '%-6s %-12s %9s %14s\n' "size" "status" "MiB/s" "leech RSS MiB"
declare -A rss
for gib in "${sizes[@]}"; do
    read -r _ _ status wall _ _ maxrss < <(run_pair ezio "$gib")
    rss[$gib]=$maxrss
    awk -v g="$gib" -v s="$status" -v w="$wall" -v r="$maxrss" 'BEGIN {
        printf "%-6s %-12s %9.1f %14.1f\n", g "G", s, (w > 0 && s == "ok") ? g * 1024 / w : 0, r / 1024 }'
done
if [[ -n ${rss[8]:-} && ${rss[2]:-0} -gt 0 ]]; then
    awk -v a="${rss[2]}" -v b="${rss[8]}" 'BEGIN { printf "peak RSS 8G/2G: %.2f\n", b / a }'
fi
