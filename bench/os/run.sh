#!/usr/bin/env bash
# OS-image benchmark (`make bench-os`, issue 9): a real Debian userland (debootstrap, ext4 in
# partition 1 of a GPT disk; bench/os/image.sh builds and caches it under out/bench-os) to N
# machines on the emulated LAN of bench/lan/lan.sh, in the same run:
#
#   multicast   Clonezilla's pipeline as drbl-ocs runs it: `udp-sender --full-duplex
#               --min-receivers N` (no bitrate cap: drbl-ocs.conf sets none) streams the
#               partclone image compressed with zstd -3; each machine
#               writes the partition table (sfdisk), then `udp-receiver | zstd -dc |
#               partclone.ext4 -r` onto its partition (a loop device over the partition's
#               byte range of the machine's disk), then fdatasync.
#   ezio        opentracker + `ezio seed` from the image repository (pieces.ezp: stored
#               compressed pieces sent as they are) + `ezio get --no-recheck` onto each
#               machine's disk; pieces travel compressed between Ezio peers (ezio_zpiece).
#   ezio-raw    the same with --no-compression on every peer (plain BEP 3 blocks).
#   libtorrent  opentracker + python3-libtorrent seeder and leechers, uncompressed, on the
#               same torrent (the leechers write files under /var/tmp, not a disk).
#
# Time = until the LAST machine is complete and verified (ezio: every piece SHA-1 checked
# and the disk flushed; libtorrent: every piece hash-checked and flushed; multicast:
# partclone done and fdatasync). Every machine's disk is checked afterwards, untimed, with
# `ezio verify` against the image's torrent (libtorrent: byte compare of its files).
#
# Per row (CSV in bench/results/os-<stamp>.csv, plot .png beside it):
#   seconds, ratio_raw = seconds / (used bytes x 8 / RATE), ratio_zst = seconds / (partclone
#   .zst bytes x 8 / RATE); bytes on the wire from the veth counters: the server's eth0 TX,
#   the machines' eth0 RX (mean and max) and TX (mean); cpu_s = CPU seconds per machine
#   (mean, max): ezio and libtorrent = the whole client process when it reports done;
#   multicast = the `zstd -dc` process only (decompression); load = 1-min load average
#   at the start of the row; piece, level: the torrent's piece size and the pieces' zstd
#   level; decompress_cpu_mean_s: ezio rows, the CPU time its decompressions took per machine
#   (comparable to multicast's cpu_s). The host is shared: rerun before trusting one number.
#   For ezio rows the note adds what the seeder uploaded (in copies of the image) and when
#   its link had carried one copy (the server's uplink is the floor of every tool), and
#   os-<stamp>-trace-<N>-<tool>.txt has the server's TX and each machine's RX every 0.5 s.
#
# Settings: NS="1 2 4 8 16"  RATE=50mbit  VARIANT=minbase|full  TOOLS="multicast ezio
#           libtorrent ezio-raw"; multicast-capped is multicast at UDPCAST_FRACTION=0.95 of
#           RATE (--max-bitrate, a cap Clonezilla does not set)  LAN_NET=10.79.0  EZIO_BIN
#           EZIO_SEED_ARGS (extra `ezio seed` options, e.g. --no-super-seed)
#           BENCH_OS_DETAIL=1 (per-machine lines for ezio rows)  BENCH_OS_KEEP=1 (keep the
#           work directory with every tool's logs)
#           OSIMAGE_PIECE: the torrent's piece size; default (empty) `ezio image capture`'s
#           own choice (1 MiB for these images); auto = the size that takes ~40 ms at RATE,
#           as bench-lan's PIECE=auto (256K at 50 Mbit/s: a 1 MiB piece at 50 Mbit/s takes
#           as long as a 20 MiB piece at 1 GbE)
#           OSIMAGE_LEVEL: the pieces' zstd level (default: ezio's, 9; 3 = Clonezilla's)
# Duration (minbase, 232 MiB used, 50mbit: bound 39 s raw, 13.5 s compressed): ~15 min for
# the default N set, plus ~5 min for debootstrap on the first run; full (1.25 GiB used) is
# about five times that (TOOLS="multicast ezio" keeps it near 15 min for N in {1 4 8}).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
export LAN_NET=${LAN_NET:-10.79.0}
# shellcheck source=../lan/lan.sh
source "$here/../lan/lan.sh"
# shellcheck source=../lan/swarm.sh
source "$here/../lan/swarm.sh"
# shellcheck source=image.sh
source "$here/image.sh"
# shellcheck source=../lan/image.sh
source "$here/../lan/image.sh"

NS=${NS:-1 2 4 8 16}
RATE=${RATE:-50mbit}
VARIANT=${VARIANT:-minbase}
TOOLS=${TOOLS:-multicast ezio libtorrent ezio-raw}
UDPCAST_FRACTION=${UDPCAST_FRACTION:-0.95}
EZIO=${EZIO_BIN:-$repo/out/ezio}
export LIVE=0

[[ $(id -u) -eq 0 ]] || { echo "bench-os: needs root (debootstrap, namespaces, loop devices)" >&2; exit 2; }
[[ -x $EZIO ]] || { echo "bench-os: $EZIO not found; run 'make publish' first" >&2; exit 2; }
need=()
for t in debootstrap:debootstrap udp-sender:udpcast opentracker:opentracker partclone.ext4:partclone \
    zstd:zstd sgdisk:gdisk; do
    command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
/usr/bin/python3 -c 'import libtorrent' 2>/dev/null || need+=(python3-libtorrent)
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null || need+=(python3-matplotlib)
if ((${#need[@]})); then
    echo "bench-os: installing ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null ||
        echo "bench-os: could not install ${need[*]}; those tools will fail" >&2
fi

announce=http://$LAN_NET.1:$TRACKER_PORT/announce
OSIMAGE_PIECE=${OSIMAGE_PIECE:-}
[[ $OSIMAGE_PIECE == auto ]] && OSIMAGE_PIECE=$(image_piece_for_rate "$(lan_rate_bps "$RATE")")
osimage_make "$VARIANT" "$announce" || exit 1
osdir=$OSIMAGE_CACHE/$VARIANT${OSIMAGE_PIECE:+-$OSIMAGE_PIECE}${OSIMAGE_LEVEL:+-L$OSIMAGE_LEVEL}
# shellcheck disable=SC1091
source "$osdir/facts"

stamp=$(date +%Y%m%d-%H%M%S)
results=$repo/bench/results
mkdir -p "$results"
csv=$results/os-$VARIANT-$stamp.csv
png=$results/os-$VARIANT-$stamp.png
echo "rate,n,tool,seconds,bound_seconds,ratio,status,image_bytes,bound_zst_seconds,ratio_zst,srv_tx_bytes,rx_mean_bytes,rx_max_bytes,tx_mean_bytes,cpu_mean_s,cpu_max_s,load,piece,level,decompress_cpu_mean_s" >"$csv"

work=$(mktemp -d /var/tmp/ezio-bench-os.XXXXXX)
# swarm.sh's names: the torrent, the tracker whitelist, and what the seeder seeds (the
# image directory: `ezio seed` serves pieces.ezp).
ln -s "$TORRENT" "$work/ezio.torrent"
ln -s "$(dirname "$TORRENT")" "$work/slices"
echo "$INFOHASH" >"$work/infohashes"
LAN_ID=zb$$
cleanup() {
    lan_down 2>/dev/null
    [[ -n ${BENCH_OS_KEEP:-} ]] && echo "bench-os: kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "bench-os: interrupted"; exit 130' INT
trap 'echo "bench-os: terminated"; exit 143' TERM

now() { echo "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# "rx tx" byte counters of HOST's eth0.
link_bytes() {
    ip -n "$(lan_ns "$1")" -s link show eth0 | awk '/RX:/ { getline; rx = $1 } /TX:/ { getline; tx = $1 } END { print rx, tx }'
}
declare -a RX0=() TX0=() RX1=() TX1=() CPU=() DONE_AT=() JOB=() JOBLOG=()
counters_start() {
    local i
    read -r _ SRV_TX0 <<<"$(link_bytes srv)"
    for ((i = 1; i <= LAN_N; i++)); do read -r "RX0[i]" "TX0[i]" <<<"$(link_bytes "m$i")"; done
}
counters_end() {
    local i
    read -r _ SRV_TX1 <<<"$(link_bytes srv)"
    for ((i = 1; i <= LAN_N; i++)); do read -r "RX1[i]" "TX1[i]" <<<"$(link_bytes "m$i")"; done
}

# Follows LOG (inotify, no polling) until a line starting with PATTERN, then writes
# "<epoch> <cpu seconds of PID>" to OUT. Bounded by LIMIT seconds.
watch_done() {
    local log=$1 pattern=$2 pid=$3 out=$4 limit=$5
    (
        exec 3< <(exec timeout "$limit" tail -n +1 -F "$log" 2>/dev/null)
        follower=$!
        while IFS= read -r -u 3 line; do
            if [[ $line == "$pattern"* ]]; then
                echo "$(now) $(lan_cpu_seconds "$pid")" >"$out"
                break
            fi
        done
        kill "$follower" 2>/dev/null
    ) &
    echo $! >>"$LAN_DIR/pids"
}

# Waits until every machine I has $work/done.I (or LIMIT seconds); fills DONE_AT, CPU.
wait_done() {
    local limit=$1 start i n
    start=$(now)
    while true; do
        n=0
        for ((i = 1; i <= LAN_N; i++)); do [[ -s $work/done.$i ]] && n=$((n + 1)); done
        ((n == LAN_N)) && break
        if awk -v e="$(elapsed "$start" "$(now)")" -v l="$limit" 'BEGIN { exit !(e > l) }'; then
            echo "bench-os: $((LAN_N - n)) machine(s) not done after ${limit}s" >&2
            return 1
        fi
        sleep 0.2
    done
    counters_end
    LAST_DONE=0
    for ((i = 1; i <= LAN_N; i++)); do
        read -r "DONE_AT[i]" "CPU[i]" <"$work/done.$i"
        LAST_DONE=$(awk -v a="$LAST_DONE" -v b="${DONE_AT[i]}" 'BEGIN { print (b > a ? b : a) }')
    done
}

# Every 0.5 s until stopped (at most LIMIT s): "<seconds since t0> <server TX> <m1 RX> ...
# <mN RX>" (bytes since counters_start) to $work/trace, kept as
# bench/results/os-...-trace-<N>-<tool>.txt. trace_first_copy tells when the server had sent
# BYTES (one copy of the image); the machines' columns show how each one's tail went.
trace_start() {
    local t0=$1 limit=$2
    (
        local end=$((SECONDS + limit)) tx rx i line
        while ((SECONDS < end)); do
            read -r _ tx <<<"$(link_bytes srv)"
            line="$(elapsed "$t0" "$(now)") $((tx - SRV_TX0))"
            for ((i = 1; i <= LAN_N; i++)); do
                read -r rx _ <<<"$(link_bytes "m$i")"
                line+=" $((rx - RX0[i]))"
            done
            echo "$line"
            sleep 0.5
        done
    ) >"$work/trace" &
    TRACE_PID=$!
    echo "$TRACE_PID" >>"$LAN_DIR/pids"
}
trace_stop() {
    kill "$TRACE_PID" 2>/dev/null
    wait "$TRACE_PID" 2>/dev/null
    cp "$work/trace" "${csv%.csv}-trace-$LAN_N-$1.txt"
}
trace_first_copy() { awk -v b="$1" '$2 >= b { print $1; found = 1; exit } END { if (!found) print "-" }' "$work/trace"; }

# Whatever a tool left running (a failed run returns early) must not hold the next one's
# ports: stop every process this LAN recorded, by PID.
stop_leftovers() {
    local pid
    while read -r pid; do
        [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && lan_stop "$pid" 2
    done <"$LAN_DIR/pids"
    : >"$LAN_DIR/pids"
}

verify_disks() {
    local i status=0 out
    for ((i = 1; i <= LAN_N; i++)); do
        out=$("$EZIO" verify "$TORRENT" "$(lan_disk "$i")" 2>&1) || { echo "bench-os: m$i: $out" >&2; status=1; }
    done
    return $status
}

run_ezio() {
    local limit=$1 extra=${2:-} t0 i status=0
    tracker_start "$work" || return 1
    # shellcheck disable=SC2086
    seeder_start "$work" --no-recheck --tracker "$announce" $extra ${EZIO_SEED_ARGS:-} || { tracker_stop; return 1; }
    SEED_UPLOADED=0
    M_PID=() M_LOG=() M_START=() M_DONE=() M_RC=() M_SKIP=()
    counters_start
    t0=$(now)
    trace_start "$t0" "$limit"
    T0=$t0
    for ((i = 1; i <= LAN_N; i++)); do
        EZIO_GET_ARGS="--no-recheck --tracker $announce $extra" machine_start "$i" "$work"
        watch_done "${M_LOG[i]}" "ezio: complete and verified" "${M_PID[i]}" "$work/done.$i" "$limit"
    done
    wait_done "$limit" || status=1
    trace_stop "ezio${extra:+-raw}"
    local copy=$EZP_BYTES
    [[ -n $extra ]] && copy=$USED_BYTES
    swarm_stop_machines 15
    seeder_stop
    tracker_stop
    local decomp=()
    for ((i = 1; i <= LAN_N; i++)); do
        FETCHED[i]=$(swarm_fetched_bytes "${M_LOG[i]}")
        # `ezio get`: "decompressed X MiB in S s of CPU" (the decompressing threads' CPU time).
        decomp+=("$(grep -o 'in [0-9.]* s of CPU' "${M_LOG[i]}" | tail -n 1 | cut -d' ' -f2)")
    done
    DECOMP_MEAN=$(printf '%s\n' "${decomp[@]}" | awk 'NF { s += $1; k++ } END { if (k) printf "%.2f", s / k }')
    ((status == 0)) && { verify_disks || status=1; }
    ((status == 0)) && RESULT=$(elapsed "$t0" "$LAST_DONE")
    NOTE="decompression ${DECOMP_MEAN:-?} s CPU per machine; seed uploaded $(awk -v s="$SEED_UPLOADED" -v c="$copy" 'BEGIN { printf "%.1f MiB (%.2f copies)", s / 1048576, s / c }'), one copy out by $(trace_first_copy "$copy") s"
    return $status
}

run_ezio-raw() { run_ezio "$1" --no-compression; }

run_multicast-capped() {
    local kbit
    kbit=$(awk -v r="$(lan_rate_bps "$LAN_RATE")" -v f="$UDPCAST_FRACTION" 'BEGIN { printf "%d", r * f / 1000 }')
    run_multicast "$1" --max-bitrate "${kbit}k"
}

# run_multicast LIMIT [PACING...]: without PACING, udp-sender --full-duplex as drbl-ocs -x.
run_multicast() {
    local limit=$1 t0 i status=0
    shift
    local pace=("$@")
    ((${#pace[@]})) || pace=(--full-duplex)
    lan_spawn srv "$work/udp-sender.log" udp-sender --file "$osdir/sda1.ext4-ptcl-img.zst" --interface eth0 \
        --min-receivers "$LAN_N" "${pace[@]}" --nokbd --no-progress --max-wait 600 --portbase 9000
    local srv=$LAN_PID
    sleep 0.5
    counters_start
    t0=$(now)
    for ((i = 1; i <= LAN_N; i++)); do
        local disk
        disk=$(lan_disk "$i")
        JOBLOG[i]=$work/mc-m$i.log
        # The partition is a loop device over its byte range of the disk (no udev here);
        # its name goes to LAN_DIR/loops so lan_down detaches it whatever happens.
        lan_spawn "m$i" "${JOBLOG[i]}" bash -c "set -o pipefail
            sfdisk -q --no-reread --no-tell-kernel $disk <$osdir/sda-pt.sf >/dev/null || exit 1
            part=\$(losetup -o $PART_OFFSET --sizelimit $PART_BYTES --show -f $disk) || exit 1
            echo \$part >>$LAN_DIR/loops
            echo \$part >$work/part.$i
            udp-receiver --interface eth0 --nokbd --no-progress --portbase 9000 2>$work/udp-receiver.$i.log |
                { TIMEFORMAT='%U %S'; time zstd -q -dc; } 2>$work/zstd-cpu.$i |
                partclone.ext4 -r -q -s - -o \$part >$work/partclone.$i.log 2>&1 || exit 1
            dd if=/dev/null of=\$part conv=notrunc,fdatasync status=none || exit 1
            echo \"DONE \${EPOCHREALTIME/,/.}\""
        JOB[i]=$LAN_PID
    done
    local start n
    start=$(now)
    while true; do
        n=0
        for ((i = 1; i <= LAN_N; i++)); do kill -0 "${JOB[i]}" 2>/dev/null || n=$((n + 1)); done
        ((n == LAN_N)) && break
        if awk -v e="$(elapsed "$start" "$(now)")" -v l="$limit" 'BEGIN { exit !(e > l) }'; then status=1; break; fi
        sleep 0.2
    done
    counters_end
    LAST_DONE=0
    for ((i = 1; i <= LAN_N; i++)); do
        lan_stop "${JOB[i]}" 2
        local d
        d=$(grep -o '^DONE [0-9.]*' "${JOBLOG[i]}" | cut -d' ' -f2)
        [[ -n $d ]] || { status=1; echo "bench-os: multicast m$i failed:" >&2; tail -n 3 "${JOBLOG[i]}" "$work/partclone.$i.log" >&2; continue; }
        LAST_DONE=$(awk -v a="$LAST_DONE" -v b="$d" 'BEGIN { print (b > a ? b : a) }')
        CPU[i]=$(awk '{ printf "%.2f", $1 + $2 }' "$work/zstd-cpu.$i" 2>/dev/null)
    done
    lan_stop "$srv" 2
    for ((i = 1; i <= LAN_N; i++)); do
        [[ -s $work/part.$i ]] && losetup -d "$(cat "$work/part.$i")" 2>/dev/null
        rm -f "$work/part.$i"
    done
    ((status == 0)) && { verify_disks || status=1; }
    ((status == 0)) && RESULT=$(elapsed "$t0" "$LAST_DONE")
    NOTE=
    return $status
}

run_libtorrent() {
    local limit=$1 t0 i status=0 srv
    tracker_start "$work" || { echo "bench-os: no tracker" >&2; return 1; }
    rm -rf "$work/lt"
    # The seeder has been seen to die at start now and then (bench/run.sh): retry once.
    local attempt
    for attempt in 1 2; do
        lan_spawn srv "$work/lt-srv.log" /usr/bin/python3 "$here/../lan/lt_peer.py" seed \
            --torrent "$TORRENT" --save-path "$osdir/slices" --tracker "$announce"
        srv=$LAN_PID
        for ((i = 0; i < 600; i++)); do
            grep -q '^SEEDING' "$work/lt-srv.log" 2>/dev/null && break 2
            kill -0 "$srv" 2>/dev/null || break
            sleep 0.2
        done
        echo "bench-os: libtorrent seeder did not start (attempt $attempt):" >&2
        tail -n 5 "$work/lt-srv.log" >&2
        lan_stop "$srv" 2
    done
    grep -q '^SEEDING' "$work/lt-srv.log" || { echo "bench-os: no libtorrent seeder" >&2; tracker_stop; return 1; }
    counters_start
    t0=$(now)
    for ((i = 1; i <= LAN_N; i++)); do
        mkdir -p "$work/lt/m$i"
        JOBLOG[i]=$work/lt-m$i.log
        lan_spawn "m$i" "${JOBLOG[i]}" /usr/bin/python3 "$here/../lan/lt_peer.py" leech \
            --torrent "$TORRENT" --save-path "$work/lt/m$i" --timeout "$limit" --tracker "$announce"
        JOB[i]=$LAN_PID
        watch_done "${JOBLOG[i]}" "DONE" "${JOB[i]}" "$work/done.$i" "$limit"
    done
    wait_done "$limit" || status=1
    for ((i = 1; i <= LAN_N; i++)); do lan_stop "${JOB[i]}" 5; done
    lan_stop "$srv" 5
    tracker_stop
    if ((status == 0)); then
        for ((i = 1; i <= LAN_N; i++)); do
            diff -rq "$osdir/slices" "$work/lt/m$i" >/dev/null || { echo "bench-os: libtorrent m$i: wrong bytes" >&2; status=1; }
        done
    fi
    rm -rf "$work/lt"
    ((status == 0)) && RESULT=$(elapsed "$t0" "$LAST_DONE")
    NOTE=
    return $status
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
bps=$(lan_rate_bps "$RATE") || exit 2
bound=$(awk -v b="$USED_BYTES" -v r="$bps" 'BEGIN { printf "%.2f", b * 8 / r }')
bound_zst=$(awk -v b="$ZST_BYTES" -v r="$bps" 'BEGIN { printf "%.2f", b * 8 / r }')
echo "bench-os: Debian $OSIMAGE_SUITE $VARIANT: $(mib "$USED_BYTES") MiB used (torrent), pieces.ezp $(mib "$EZP_BYTES") MiB" \
    "($(awk -v a="$EZP_BYTES" -v b="$USED_BYTES" 'BEGIN { printf "%.3f", a / b }')), partclone.zst $(mib "$ZST_BYTES") MiB" \
    "($(awk -v a="$ZST_BYTES" -v b="$USED_BYTES" 'BEGIN { printf "%.3f", a / b }'))"
echo "bench-os: $RATE; bound ${bound}s uncompressed, ${bound_zst}s for the .zst; N in {$NS}; tools {$TOOLS}; $(nproc) cores"
printf '  %-4s %-11s %8s %7s %7s  %9s %9s %9s %9s %11s %5s  %s\n' N tool seconds x_raw x_zst "srv_tx" "rx_mean" "rx_max" "tx_mean" "cpu_s" load status

overall=0
for n in $NS; do
    LAN_ID=zb$$
    lan_up "$n" "$RATE" "$DISK_BYTES" 2>/dev/null || { echo "bench-os: cannot build the LAN" >&2; exit 1; }
    for tool in $TOOLS; do
        lan_fresh_disks || exit 1
        rm -f "$work"/done.*
        CPU=() DONE_AT=() RX0=() TX0=() RX1=() TX1=() FETCHED=() SRV_TX0=0 SRV_TX1=0
        limit=$(awk -v b="$bound" -v n="$n" 'BEGIN { printf "%d", 90 + 2 * (n + 2) * b }')
        load=$(cut -d' ' -f1 /proc/loadavg)
        RESULT='' NOTE='' DECOMP_MEAN='' status=ok
        if ! "run_$tool" "$limit"; then status=FAIL; overall=1; fi
        stop_leftovers
        ratio='' ratio_zst=''
        if [[ -n $RESULT ]]; then
            ratio=$(awk -v t="$RESULT" -v b="$bound" 'BEGIN { printf "%.2f", t / b }')
            ratio_zst=$(awk -v t="$RESULT" -v b="$bound_zst" 'BEGIN { printf "%.2f", t / b }')
        fi
        srv_tx=$((${SRV_TX1:-0} - ${SRV_TX0:-0}))
        read -r rx_mean rx_max tx_mean cpu_mean cpu_max <<<"$(
            for ((i = 1; i <= n; i++)); do echo "$((${RX1[i]:-0} - ${RX0[i]:-0})) $((${TX1[i]:-0} - ${TX0[i]:-0})) ${CPU[i]:-0}"; done |
                awk '{ rx += $1; if ($1 > rxm) rxm = $1; tx += $2; c += $3; if ($3 > cm) cm = $3; k++ }
                     END { printf "%d %d %d %.2f %.2f", rx / k, rxm, tx / k, c / k, cm }')"
        echo "$RATE,$n,$tool,$RESULT,$bound,$ratio,$status,$USED_BYTES,$bound_zst,$ratio_zst,$srv_tx,$rx_mean,$rx_max,$tx_mean,$cpu_mean,$cpu_max,$load,${OSIMAGE_PIECE:-capture},${OSIMAGE_LEVEL:-default},$DECOMP_MEAN" >>"$csv"
        printf '  %-4s %-11s %8s %7s %7s  %9s %9s %9s %9s %5s/%-5s %5s  %s %s\n' "$n" "$tool" "${RESULT:--}" "${ratio:--}" "${ratio_zst:--}" \
            "$(mib "$srv_tx")M" "$(mib "$rx_mean")M" "$(mib "$rx_max")M" "$(mib "$tx_mean")M" "$cpu_mean" "$cpu_max" "$load" "$status" "$NOTE"
        if [[ $tool == ezio* && -n ${BENCH_OS_DETAIL:-} ]]; then
            for ((i = 1; i <= n; i++)); do
                echo "      m$i rx $(mib $((RX1[i] - RX0[i])))M tx $(mib $((TX1[i] - TX0[i])))M fetched(payload) $(mib "${FETCHED[i]:-0}")M cpu ${CPU[i]:-} done at $(elapsed "$T0" "${DONE_AT[i]:-$T0}") s"
            done
        fi
    done
    lan_down 2>/dev/null
done

echo
echo "bench-os: results in $csv"
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
    /usr/bin/python3 "$here/../lan/plot.py" "$csv" "$png" && echo "bench-os: plot in $png"
fi
exit $overall
