#!/usr/bin/env bash
# LAN benchmark (`make bench-lan`): the same image to N machines on the same emulated LAN
# (bench/lan/lan.sh: namespaces, a switch, htb-shaped symmetric links, loop-device disks),
# with four tools, one after another:
#
#   ezio        opentracker + `ezio seed` on the server; `ezio get --no-recheck` of the
#               offset-layout torrent (3 extents) onto every machine's loop device. Time =
#               the "complete and verified" line (every piece is SHA-1 checked before it is
#               written, and the disk flushed). Afterwards, untimed: `ezio verify` + byte
#               compare of every extent; a failure marks the row FAIL.
#   http        `python3 -m http.server` on the server; `curl | dd conv=fdatasync` onto
#               every machine's loop device at once, then sha256 of the disk (timed).
#   udpcast     udpcast as its users run it: `udp-sender --full-duplex --min-receivers N`,
#               no bitrate cap (on a full-duplex port it paces itself on its shaped link);
#               `udp-receiver` onto every loop device, fdatasync, sha256 (timed).
#   udpcast-capped  the same with `--max-bitrate (UDPCAST_FRACTION x RATE)` instead of
#               --full-duplex (a cap no user sets; kept for comparison with older figures).
#   libtorrent  opentracker + python3-libtorrent seeder and leechers (TCP only). libtorrent
#               truncates its files, so it cannot write a block device: it writes each
#               machine's sparse backing file instead. Time = every piece hash-checked and
#               flushed; sha256 of the file afterwards (untimed; libtorrent hashed it).
#
# For each (rate, N, tool): seconds until the LAST machine is complete and verified, and
# that divided by the line-rate bound (image bytes x 8 / RATE). Also the busiest link of the
# run (a host's upload or download) and the floor it set: the bytes its shaper charged
# (payload, headers, the ACKs of what flows the other way, retransmissions, duplicates) x 8 /
# RATE; time / floor is how well the tool kept that link busy; and the same floor for the
# busiest machine download alone (the last machine can finish no sooner). CPU: user + system
# seconds the machines' own processes spent (their kernel accounting, /proc/PID/stat or
# time(1)) until the last machine finished, per GiB each machine received, and the server's
# (seeder or sender) seconds. Results: a table
# on stdout, bench/results/lan-<timestamp>.csv and .png (python3-matplotlib; without it, no
# plot).
#
# Settings: NS="1 2 4 8 16"  RATES="25mbit 100mbit"  SIZE_MIB=128  PIECE="auto gbe:16M"
#           PIECE is a list; each entry gives rows of its own (every tool gets the same
#           torrents): a size (256K), auto (a piece takes ~40 ms at the rate: 128K at 25mbit,
#           512K at 100mbit) or gbe:SIZE (the piece whose time on this link is that of SIZE
#           on 1 Gbit/s, as a power of two: what `ezio image` picks, 1-16 MiB, for an image
#           sent over GbE; gbe:16M is 512K at 25mbit and 2M at 100mbit)
#           TOOLS="ezio http udpcast libtorrent" (also udpcast-capped, ezio-base)  UDPCAST_FRACTION=0.95
#           EZIO_BIN
#           EZIO_BASE_BIN (tool ezio-base: the same run with another ezio build, for a
#           before/after comparison on the same LAN, row by row)
#           LIMIT_S (a run's time limit; default 90 s + 2 x (N + 2) x bound)
# server_up_copies: what the server's link uploaded (its shaper's bytes) over the image size.
# Hundreds of machines: LAN_DISK_FILE=1 (sparse files instead of loop devices), e.g.
#   LAN_DISK_FILE=1 NS="32 64 128" RATES=5mbit SIZE_MIB=32 TOOLS="ezio udpcast"
# Duration: about (sum of N for http + 4 x count of N) x bound per rate; with the defaults
# (128 MiB: bound 43 s at 25mbit, 10.7 s at 100mbit) a full run takes ~45 min unloaded.
# Quick look: NS="1 2 4" RATES=100mbit SIZE_MIB=32 bench/run.sh
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=lan/lan.sh
source "$here/lan/lan.sh"
# shellcheck source=lan/image.sh
source "$here/lan/image.sh"
# shellcheck source=lan/swarm.sh
source "$here/lan/swarm.sh"

NS=${NS:-1 2 4 8 16}
RATES=${RATES:-25mbit 100mbit}
SIZE_MIB=${SIZE_MIB:-128}
PIECE=${PIECE:-auto gbe:16M}
TOOLS=${TOOLS:-ezio http udpcast libtorrent}
UDPCAST_FRACTION=${UDPCAST_FRACTION:-0.95}
EZIO=${EZIO_BIN:-$repo/out/ezio}
export LIVE=0

[[ $(id -u) -eq 0 ]] || { echo "bench-lan: needs root (network namespaces, loop devices)" >&2; exit 2; }
[[ -x $EZIO ]] || { echo "bench-lan: $EZIO not found; run 'make publish' first" >&2; exit 2; }

# Bench-only tools are installed here when missing (CI installs only what tests need).
need=()
command -v udp-sender >/dev/null || need+=(udpcast)
[[ -x /usr/bin/time ]] || need+=(time)
command -v curl >/dev/null || need+=(curl)
command -v opentracker >/dev/null || need+=(opentracker)
/usr/bin/python3 -c 'import libtorrent' 2>/dev/null || need+=(python3-libtorrent)
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null || need+=(python3-matplotlib)
if ((${#need[@]})); then
    echo "bench-lan: installing ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null ||
        echo "bench-lan: could not install ${need[*]}; those tools will fail or be skipped" >&2
fi

stamp=$(date +%Y%m%d-%H%M%S)
results=$here/results
mkdir -p "$results"
csv=$results/lan-$stamp.csv
png=$results/lan-$stamp.png
echo "rate,n,tool,seconds,bound_seconds,ratio,status,image_bytes,piece,busiest_link,busiest_link_bytes,link_floor_seconds,ratio_to_floor,down_floor_seconds,server_up_copies,machine_cpu_s_per_gib,server_cpu_s" >"$csv"

work=$(mktemp -d /var/tmp/ezio-bench-lan.XXXXXX)
LAN_ID=bl$$
cleanup() {
    lan_down
    [[ -n ${BENCH_KEEP:-} ]] && echo "bench-lan: kept $work" || rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "bench-lan: interrupted"; exit 130' INT
trap 'echo "bench-lan: terminated"; exit 143' TERM

announce_url="http://$LAN_NET.1:$TRACKER_PORT/announce"

# piece_for ENTRY BITS_PER_SECOND: the piece size an entry of PIECE stands for on that link.
piece_for() {
    local entry=$1 bps=$2
    case $entry in
    auto) image_piece_for_rate "$bps" ;;
    gbe:*)
        local at_gbe
        at_gbe=$(numfmt --from=iec "${entry#gbe:}") || return 1
        awk -v s="$at_gbe" -v bps="$bps" 'BEGIN {
            want = s * bps / 1e9; p = 16384
            while (p < 16777216 && p * 1.5 < want) p *= 2
            printf "%dK", p / 1024 }'
        ;;
    *) echo "$entry" ;;
    esac
}

# time_seconds FILE...: the user + system seconds time(1) wrote ("CPU U S") into each file.
time_seconds() {
    cat "$@" 2>/dev/null | awk '$1 == "CPU" { s += $2 + $3 } END { printf "%.2f", s }'
}

# The torrents are made per (rate, PIECE entry) below; made_piece is the size they have now.
made_piece=$(piece_for "${PIECE%% *}" "$(lan_rate_bps "${RATES%% *}")") || { echo "bench-lan: bad PIECE '$PIECE'" >&2; exit 2; }
image_make "$work" "$SIZE_MIB" "$announce_url" "$made_piece" >/dev/null || exit 1
image_bytes=$(stat -c %s "$work/image.bin")
echo "bench-lan: $SIZE_MIB MiB incompressible image; N in {$NS}; rates {$RATES}; tools {$TOOLS}"

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# Waits for the per-machine jobs in JOB_PID[1..N] (each prints "DONE <epoch>" on success),
# at most $1 seconds; sets LAST_DONE to the latest DONE, returns 1 if any failed.
declare -a JOB_PID=() JOB_LOG=()
wait_jobs() {
    local limit=$1 start i ok=0
    start=$(lan_now)
    LAST_DONE=0
    for ((i = 1; i <= LAN_N; i++)); do
        while kill -0 "${JOB_PID[i]}" 2>/dev/null; do
            if awk -v e="$(elapsed "$start" "$(lan_now)")" -v l="$limit" 'BEGIN { exit !(e > l) }'; then
                echo "bench-lan: m$i still running after ${limit}s" >&2
                ok=1
                break 2
            fi
            sleep 0.2
        done
        wait "${JOB_PID[i]}" 2>/dev/null || ok=1
        local d
        d=$(grep -o '^DONE [0-9.]*' "${JOB_LOG[i]}" | tail -n 1 | cut -d' ' -f2)
        [[ -n $d ]] || { ok=1; tail -n 3 "${JOB_LOG[i]}" >&2; continue; }
        LAST_DONE=$(awk -v a="$LAST_DONE" -v b="$d" 'BEGIN { print (b > a ? b : a) }')
    done
    for ((i = 1; i <= LAN_N; i++)); do lan_stop "${JOB_PID[i]}" 2; done
    return $ok
}

run_ezio() {
    local limit=$1 t0 status=0 i last=0
    tracker_start "$work" || return 1
    seeder_start "$work" --no-recheck ${EZIO_EXTRA:-} || { tracker_stop; return 1; }
    SEED_UPLOADED=0
    M_PID=() M_LOG=() M_START=() M_DONE=() M_RC=() M_SKIP=() M_VERIFIED=()
    t0=$(lan_now)
    for ((i = 1; i <= LAN_N; i++)); do
        EZIO_GET_ARGS="--no-recheck ${EZIO_EXTRA:-}" machine_start "$i" "$work"
    done
    swarm_watch "$limit" >/dev/null || status=1
    MACHINE_CPU=$(lan_cpu_seconds "${M_PID[@]}") SERVER_CPU=$(lan_cpu_seconds "$SEED_PID")
    for ((i = 1; i <= LAN_N; i++)); do
        [[ -n ${M_DONE[i]} ]] && last=$(awk -v a="$last" -v b="${M_DONE[i]}" 'BEGIN { print (b > a ? b : a) }')
    done
    swarm_stop_machines 15
    seeder_stop
    tracker_stop
    swarm_verify "$work" || { status=1; echo "bench-lan: ezio verify failed: ${M_VERIFIED[*]}" >&2; }
    ((status == 0)) && RESULT=$(elapsed "$t0" "$last")
    NOTE="server uploaded $(awk -v s="$SEED_UPLOADED" -v b="$image_bytes" 'BEGIN { printf "%.2f", s / b }') images"
    return $status
}

# The ezio rows again with the build in EZIO_BASE_BIN (a before/after pair in one run).
run_ezio_base() {
    [[ -x ${EZIO_BASE_BIN:-} ]] || { echo "bench-lan: ezio-base needs EZIO_BASE_BIN" >&2; return 1; }
    local EZIO=$EZIO_BASE_BIN
    run_ezio "$@"
}

run_http() {
    local limit=$1 t0 i status=0 sha
    sha=$(cat "$work/image.sha256")
    lan_spawn srv "$work/http.log" python3 -m http.server -b "$(lan_ip srv)" -d "$work" 8000
    local srv=$LAN_PID
    swarm_wait_port srv 8000 30 || { lan_stop "$srv"; return 1; }
    t0=$(lan_now)
    for ((i = 1; i <= LAN_N; i++)); do
        local disk
        disk=$(lan_disk "$i")
        JOB_LOG[i]=$work/http-m$i.log
        lan_spawn "m$i" "${JOB_LOG[i]}" bash -c "set -o pipefail
            curl -sS --fail http://$(lan_ip srv):8000/image.bin | dd of=$disk bs=1M iflag=fullblock conv=fdatasync status=none &&
            [[ \$(head -c $image_bytes $disk | sha256sum | cut -d' ' -f1) == $sha ]] && echo DONE \${EPOCHREALTIME/,/.}"
        JOB_PID[i]=$LAN_PID
    done
    wait_jobs "$limit" || status=1
    lan_stop "$srv" 2
    ((status == 0)) && RESULT=$(elapsed "$t0" "$LAST_DONE")
    NOTE=
    return $status
}

run_udpcast_capped() {
    local kbit
    kbit=$(awk -v r="$(lan_rate_bps "$LAN_RATE")" -v f="$UDPCAST_FRACTION" 'BEGIN { printf "%d", r * f / 1000 }')
    # The sender waits for all N receivers, then sends at most UDPCAST_FRACTION of the line
    # rate (above it the shaper drops and udpcast spends its time on retransmissions).
    udpcast_run "$1" --max-bitrate "${kbit}k"
}

run_udpcast() {
    udpcast_run "$1" --full-duplex
}

udpcast_run() {
    local limit=$1 t0 i status=0 sha
    shift
    local pace=("$@")
    sha=$(cat "$work/image.sha256")
    rm -f "$work"/udp-m*.cpu
    rm -f "$work/udp-sender.cpu"
    lan_spawn srv "$work/udp-sender.log" /usr/bin/time -f 'CPU %U %S' -o "$work/udp-sender.cpu" udp-sender --file "$work/image.bin" --interface eth0 \
        --min-receivers "$LAN_N" "${pace[@]}" --nokbd --no-progress --max-wait 600 --portbase 9000
    local srv=$LAN_PID
    sleep 0.5
    t0=$(lan_now)
    for ((i = 1; i <= LAN_N; i++)); do
        local disk
        disk=$(lan_disk "$i")
        JOB_LOG[i]=$work/udp-m$i.log
        lan_spawn "m$i" "${JOB_LOG[i]}" bash -c "
            /usr/bin/time -f 'CPU %U %S' -o $work/udp-m$i.cpu \\
                udp-receiver --file $disk --interface eth0 --nokbd --no-progress --portbase 9000 &&
            dd if=/dev/null of=$disk conv=notrunc,fdatasync status=none &&
            [[ \$(head -c $image_bytes $disk | sha256sum | cut -d' ' -f1) == $sha ]] && echo DONE \${EPOCHREALTIME/,/.}"
        JOB_PID[i]=$LAN_PID
    done
    wait_jobs "$limit" || status=1
    MACHINE_CPU=$(time_seconds "$work"/udp-m*.cpu)
    lan_stop "$srv" 2
    SERVER_CPU=$(time_seconds "$work/udp-sender.cpu")
    ((status == 0)) && RESULT=$(elapsed "$t0" "$LAST_DONE")
    NOTE=
    return $status
}

run_libtorrent() {
    local limit=$1 t0 i status=0 sha
    sha=$(cat "$work/image.sha256")
    tracker_start "$work" || return 1
    rm -rf "$work/lt"
    mkdir -p "$work/lt/srv"
    ln -s "$work/image.bin" "$work/lt/srv/image.bin"
    # The seeder has been seen to die at start, silently, now and then: report how, retry once.
    local srv n attempt
    for attempt in 1 2; do
        lan_spawn srv "$work/lt-srv.log" /usr/bin/python3 "$here/lan/lt_peer.py" seed \
            --torrent "$work/single.torrent" --save-path "$work/lt/srv"
        srv=$LAN_PID
        for ((n = 0; n < 600; n++)); do
            grep -q '^SEEDING' "$work/lt-srv.log" 2>/dev/null && break 2
            kill -0 "$srv" 2>/dev/null || break
            sleep 0.2
        done
        local how=timeout
        if kill -0 "$srv" 2>/dev/null; then lan_stop "$srv" 2; else wait "$srv" 2>/dev/null; how="exit status $?"; fi
        echo "bench-lan: libtorrent seeder did not start (attempt $attempt, $how):" >&2
        tail -n 5 "$work/lt-srv.log" >&2
    done
    grep -q '^SEEDING' "$work/lt-srv.log" || { tracker_stop; return 1; }
    t0=$(lan_now)
    for ((i = 1; i <= LAN_N; i++)); do
        mkdir -p "$work/lt/m$i"
        ln -s "$(lan_disk_backing "$i")" "$work/lt/m$i/image.bin"
        JOB_LOG[i]=$work/lt-m$i.log
        lan_spawn "m$i" "${JOB_LOG[i]}" /usr/bin/python3 "$here/lan/lt_peer.py" leech \
            --torrent "$work/single.torrent" --save-path "$work/lt/m$i" --timeout "$limit"
        JOB_PID[i]=$LAN_PID
    done
    # Leechers keep seeding after DONE; wait for every DONE line, then stop them all.
    local start
    start=$(lan_now)
    while true; do
        local done_count=0
        for ((i = 1; i <= LAN_N; i++)); do grep -q '^DONE' "${JOB_LOG[i]}" 2>/dev/null && done_count=$((done_count + 1)); done
        ((done_count == LAN_N)) && break
        if awk -v e="$(elapsed "$start" "$(lan_now)")" -v l="$limit" 'BEGIN { exit !(e > l) }'; then status=1; break; fi
        sleep 0.2
    done
    MACHINE_CPU=$(lan_cpu_seconds "${JOB_PID[@]:1:LAN_N}") SERVER_CPU=$(lan_cpu_seconds "$srv")
    LAST_DONE=0
    for ((i = 1; i <= LAN_N; i++)); do
        lan_stop "${JOB_PID[i]}" 5
        local d
        d=$(grep -o '^DONE [0-9.]*' "${JOB_LOG[i]}" | cut -d' ' -f2)
        [[ -n $d ]] || { status=1; continue; }
        LAST_DONE=$(awk -v a="$LAST_DONE" -v b="$d" 'BEGIN { print (b > a ? b : a) }')
        [[ $(head -c "$image_bytes" "$(lan_disk_backing "$i")" | sha256sum | cut -d' ' -f1) == "$sha" ]] ||
            { echo "bench-lan: libtorrent m$i: wrong bytes" >&2; status=1; }
    done
    lan_stop "$srv" 5
    tracker_stop
    ((status == 0)) && RESULT=$(elapsed "$t0" "$LAST_DONE")
    NOTE=
    return $status
}

overall=0
for rate in $RATES; do
    bps=$(lan_rate_bps "$rate") || exit 2
    bound=$(awk -v b="$image_bytes" -v r="$bps" 'BEGIN { printf "%.2f", b * 8 / r }')
    for entry in $PIECE; do
    piece=$(piece_for "$entry" "$bps") || { echo "bench-lan: bad PIECE entry '$entry'" >&2; exit 2; }
    if [[ $piece != "$made_piece" ]]; then
        image_torrents "$work" "$announce_url" "$piece" >/dev/null || exit 1
        made_piece=$piece
    fi
    echo "bench-lan: $rate with $piece pieces ($entry)"
    for n in $NS; do
        LAN_ID=bl$$
        lan_up "$n" "$rate" 2>/dev/null || { echo "bench-lan: cannot build the LAN" >&2; exit 1; }
        cp "$work/disk_bytes" "$LAN_DIR/disk_bytes"
        for tool in $TOOLS; do
            lan_fresh_disks || exit 1
            limit=${LIMIT_S:-$(awk -v b="$bound" -v n="$n" 'BEGIN { printf "%d", 90 + 2 * (n + 2) * b }')}
            RESULT='' NOTE='' MACHINE_CPU='' SERVER_CPU='' status=ok
            links_before=$(lan_link_bytes)
            if ! "run_${tool//-/_}" "$limit"; then status=FAIL; overall=1; fi
            # The busiest link of the run (an upload or a download): what it carried, as its
            # shaper charged it, sets a floor no schedule can beat with those bytes. The
            # busiest machine download alone: what the last machine to finish needed at least.
            read -r busiest busiest_bytes floor down_floor server_up <<<"$(
                paste -d' ' <(echo "$links_before") <(lan_link_bytes) |
                    awk -v bps="$bps" -v img="$image_bytes" '{ up = $5 - $2; down = $6 - $3
                        if (up > best) { best = up; link = $1 "-up" }
                        if (down > best) { best = down; link = $1 "-down" }
                        if ($1 != "srv" && down > mdown) mdown = down
                        if ($1 == "srv") sup = up }
                        END { printf "%s %d %.2f %.2f %.2f", link, best, best * 8 / bps, mdown * 8 / bps, sup / img }')"
            ratio='' to_floor=''
            [[ -n $RESULT ]] && ratio=$(awk -v t="$RESULT" -v b="$bound" 'BEGIN { printf "%.2f", t / b }')
            [[ -n $RESULT ]] && to_floor=$(awk -v t="$RESULT" -v f="$floor" 'BEGIN { if (f > 0) printf "%.2f", t / f }')
            # CPU per GiB each machine received: the machines' seconds / N / image GiB.
            cpu_gib=''
            [[ -n $MACHINE_CPU ]] && cpu_gib=$(awk -v c="$MACHINE_CPU" -v n="$n" -v b="$image_bytes" 'BEGIN { printf "%.2f", c / n / (b / 1073741824) }')
            echo "$rate,$n,$tool,$RESULT,$bound,$ratio,$status,$image_bytes,$piece,$busiest,$busiest_bytes,$floor,$to_floor,$down_floor,$server_up,$cpu_gib,$SERVER_CPU" >>"$csv"
            printf '  %-8s %-5s N=%-3s %-14s %8s s  %5sx bound  %5sx floor (%s s, %s; busiest download %s s)  server up %s copies  CPU %s s/GiB per machine, server %s s  %s %s\n' \
                "$rate" "$piece" "$n" "$tool" "${RESULT:--}" "${ratio:--}" "${to_floor:--}" "$floor" "$busiest" "$down_floor" "$server_up" "${cpu_gib:--}" "${SERVER_CPU:--}" "$status" "$NOTE"
        done
        lan_down 2>/dev/null
    done
    done
done

echo
echo "bench-lan: results in $csv"
column -s, -t <"$csv"
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
    /usr/bin/python3 "$here/lan/plot.py" "$csv" "$png" && echo "bench-lan: plot in $png"
else
    echo "bench-lan: python3-matplotlib is not installed (apt-get install python3-matplotlib); no plot"
fi
exit $overall
