#!/usr/bin/env bash
# Pair benchmark: one seeder -> one leecher over 127.0.0.1, 2 GiB single-file
# torrent, 4 MiB pieces.
#   (a) libtorrent seed -> libtorrent leech   (reference, python3-libtorrent)
#   (b) ezio seed       -> ezio get
# Reports throughput (MiB/s, wall time of the leecher from start to verified
# completion), CPU seconds per GiB of each side (seeder: /proc/PID/stat delta
# during the transfer; leecher: rusage), the leecher's peak RSS, and the
# ezio/libtorrent throughput ratio.
#
#   bench/pair/run.sh [GIB]          (default 2; EZIO_BIN defaults to out/ezio)
#   BENCH_CACHE=/var/tmp/ezio-bench  data cache;  BENCH_VERIFY=0 skips the cmp
set -uo pipefail
source "$(dirname "$0")/lib.sh"

gib=${1:-2}
[[ -x $EZIO_BIN ]] || log "warning: $EZIO_BIN not found (run make publish); the ezio row will fail"

results=()
for kind in libtorrent ezio; do
    log "running $kind pair, $gib GiB"
    results+=("$(run_pair "$kind" "$gib")")
done

printf '%s\n' "${results[@]}" | awk -v gib="$gib" '
    {
        kind = $1; status[kind] = $3; wall = $4
        mibs[kind] = (status[kind] == "ok" && wall > 0) ? gib * 1024 / wall : 0
        row[NR] = sprintf("%-11s %-12s %9.1f %9.1f %13.2f %13.2f %14.1f", kind, status[kind], wall,
            mibs[kind], $5 / gib, $6 / gib, $7 / 1024)
    }
    END {
        printf "%-11s %-12s %9s %9s %13s %13s %14s\n", "pair", "status", "wall s", "MiB/s",
            "seed CPU s/GiB", "leech CPU s/GiB", "leech RSS MiB"
        for (i = 1; i <= NR; i++) print row[i]
        if (mibs["libtorrent"] > 0 && mibs["ezio"] > 0)
            printf "ezio/libtorrent throughput ratio: %.2f\n", mibs["ezio"] / mibs["libtorrent"]
        else
            print "ezio/libtorrent throughput ratio: n/a (a run failed)"
    }'
