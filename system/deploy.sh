#!/usr/bin/env bash
# One ezio deployment on an emulated LAN (bench/lan/lan.sh): a server running opentracker
# and `ezio seed`, N machines running `ezio get` onto their own loop-device disks, then
# every disk verified (`ezio verify` + byte compare of every extent) and a summary table.
# Used by `make demo` (system/demo.sh) and by the system tests (tests/Ezio.System.Tests).
#
#   system/deploy.sh            settings from the environment:
#     N=4 RATE=100mbit SIZE_MIB=64 PIECE=1M    shape of the LAN and the image
#     NETEM="loss 1% delay 20ms"               netem on every host's link
#     FAULT=none | kill-machine | seeder-restart
#         kill-machine    m1 is SIGKILLed at KILL_AT (default 40%) of the line-rate bound;
#                         the others must finish; m1 is then restarted and must resume
#                         (fetch less than the whole image) and finish
#         seeder-restart  the seeder is SIGKILLed at KILL_AT (default 30%) of the bound and
#                         restarted 2 s later; every machine must finish
#         corrupt-peer    m1 does not deploy: it serves a copy of the image with a byte
#                         flipped in every fourth MiB (`ezio seed --no-recheck`, every piece
#                         offered at once); every other machine must finish with a correct
#                         disk and at least one must have banned m1
#     LIVE=1 (live lines when stdout is a terminal)   TIMEOUT (s, default 120 + 8 x bound)
#     EZIO_BIN (default out/ezio)  LAN_ID  LAN_NET  LAN_DISK_FILE=1 (sparse files, no loop)
#
# Exit 0 only when every machine finished and every disk verified. The last line is
#   deploy: PASS|FAIL n=N rate=RATE last=SECONDS bound=SECONDS ratio=X [fault=...]
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=../bench/lan/lan.sh
source "$repo/bench/lan/lan.sh"
# shellcheck source=../bench/lan/image.sh
source "$repo/bench/lan/image.sh"
# shellcheck source=../bench/lan/swarm.sh
source "$repo/bench/lan/swarm.sh"

N=${N:-4}
RATE=${RATE:-100mbit}
SIZE_MIB=${SIZE_MIB:-64}
PIECE=${PIECE:-1M}
FAULT=${FAULT:-none}
EZIO=${EZIO_BIN:-$repo/out/ezio}
[[ -x $EZIO ]] || { echo "deploy: $EZIO not found; run 'make publish' first" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "deploy: needs root (network namespaces, loop devices)" >&2; exit 2; }
for tool in ip tc losetup opentracker openssl cmp; do
    command -v "$tool" >/dev/null || { echo "deploy: $tool is missing" >&2; exit 2; }
done

rate_bps=$(lan_rate_bps "$RATE") || exit 2
bound=$(awk -v m="$SIZE_MIB" -v r="$rate_bps" 'BEGIN { printf "%.2f", m * 1048576 * 8 / r }')
TIMEOUT=${TIMEOUT:-$(awk -v b="$bound" 'BEGIN { printf "%d", 120 + 8 * b }')}

lan_trap
lan_watchdog "$TIMEOUT"
lan_up "$N" "$RATE" || exit 1
work=$LAN_DIR/image
echo "deploy: $SIZE_MIB MiB image (incompressible, 3 extents), $N machines at $RATE; line-rate bound ${bound} s"
image_make "$work" "$SIZE_MIB" "$(swarm_announce_url)" "$PIECE" >/dev/null || exit 1
cp "$work/disk_bytes" "$LAN_DIR/disk_bytes"
SWARM_IMAGE_BYTES=$(stat -c %s "$work/image.bin")
lan_fresh_disks || exit 1
tracker_start "$work" || exit 1
seeder_start "$work" || exit 1
echo "deploy: server $(lan_ip srv): opentracker :$TRACKER_PORT, ezio seed :$SWARM_PORT"

fault_state=0
fault_note=""
kill_at=$(awk -v b="$bound" -v f="${KILL_AT:-$([[ $FAULT == kill-machine ]] && echo 0.4 || echo 0.3)}" 'BEGIN { printf "%.2f", b * f }')
restart_at=
fault_hook() {
    local elapsed=$1
    case $FAULT in
        kill-machine)
            if ((fault_state == 0)) && awk -v e="$elapsed" -v k="$kill_at" 'BEGIN { exit !(e >= k) }'; then
                fault_state=1
                if [[ -n ${M_DONE[1]} ]]; then
                    fault_note="m1 finished before ${kill_at}s: too late to kill"
                    return
                fi
                echo "deploy: FAULT: killing m1 (pid ${M_PID[1]}) at ${elapsed}s"
                M_SKIP[1]=1
                kill -KILL "${M_PID[1]}" 2>/dev/null
            fi
            ;;
        seeder-restart)
            if ((fault_state == 0)) && awk -v e="$elapsed" -v k="$kill_at" 'BEGIN { exit !(e >= k) }'; then
                fault_state=1
                echo "deploy: FAULT: killing the seeder (pid $SEED_PID) at ${elapsed}s"
                seeder_stop 1
                restart_at=$(awk -v e="$elapsed" 'BEGIN { print e + 2 }')
            elif ((fault_state == 1)) && awk -v e="$elapsed" -v k="$restart_at" 'BEGIN { exit !(e >= k) }'; then
                fault_state=2
                echo "deploy: FAULT: restarting the seeder at ${elapsed}s"
                seeder_start "$work" || fault_note="the seeder did not restart"
            fi
            ;;
    esac
}
WATCH_HOOK=fault_hook

# The corrupting peer: the image's slices with one byte flipped in every fourth MiB, served
# by m1 as if they were good. Receivers hash every piece, so what it sends can only cost
# them time; after two bad pieces they ban it.
corrupt_start() {
    local bad=$LAN_DIR/slices.bad f size off
    cp -r "$work/slices" "$bad" || return 1
    for f in "$bad"/*; do
        size=$(stat -c %s "$f")
        for ((off = 524288; off < size; off += 4194304)); do
            printf '\xa5' | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
        done
    done
    M_LOG[1]=$work/m1.corrupt.log
    M_START[1]=$(lan_now)
    M_DONE[1]=
    M_RC[1]=
    M_SKIP[1]=1
    lan_spawn m1 "${M_LOG[1]}" "$EZIO" seed "$work/ezio.torrent" "$bad" --port "$SWARM_PORT" --no-recheck --no-super-seed
    M_PID[1]=$LAN_PID
    echo "deploy: FAULT: m1 serves a corrupted copy (pid ${M_PID[1]})"
}

t0=$(lan_now)
for ((i = 1; i <= N; i++)); do
    if [[ $FAULT == corrupt-peer && $i == 1 ]]; then
        corrupt_start || exit 1
        continue
    fi
    machine_start "$i" "$work"
done
status=0
swarm_watch "$TIMEOUT" || status=1

if [[ $FAULT == kill-machine && $status == 0 && -z $fault_note ]]; then
    if ((fault_state == 0)); then
        fault_note="m1 was never killed"
    else
        echo "deploy: the other machines are done; restarting m1 (it must resume)"
        WATCH_HOOK=
        swarm_stop_machines 30
        machine_start 1 "$work"
        swarm_watch "$TIMEOUT" || status=1
        fetched=$(swarm_fetched_bytes "${M_LOG[1]}")
        image_bytes=$(stat -c %s "$work/image.bin")
        echo "deploy: restarted m1 fetched $fetched of $image_bytes bytes"
        if ((fetched <= 0 || fetched >= image_bytes * 95 / 100)); then
            fault_note="restarted m1 did not resume (fetched $fetched of $image_bytes bytes)"
        fi
    fi
fi
if [[ $FAULT == corrupt-peer && -z $fault_note ]]; then
    banned=0
    for ((i = 2; i <= N; i++)); do
        grep -q "Banned peer $(lan_ip m1):" "${M_LOG[i]}" 2>/dev/null && banned=$((banned + 1))
    done
    echo "deploy: $banned of $((N - 1)) machines banned the corrupting peer m1"
    ((banned > 0)) || fault_note="no machine banned the corrupting peer m1"
fi
if [[ $FAULT == seeder-restart && $fault_state != 2 && -z $fault_note ]]; then
    fault_note="the seeder was not killed and restarted (machines finished first?)"
fi

last=0
for ((i = 1; i <= N; i++)); do
    [[ -n ${M_DONE[i]} ]] && last=$(awk -v a="$last" -v b="${M_DONE[i]}" -v t="$t0" 'BEGIN { d = b - t; print (d > a ? d : a) }')
done
swarm_stop_machines 20
seeder_stop
echo "deploy: verifying every disk (ezio verify + byte compare of every extent)"
swarm_verify "$work" || status=1
swarm_summary "$work"
[[ -n $fault_note ]] && { echo "deploy: fault scenario failed: $fault_note"; status=1; }
verdict=PASS
((status == 0)) || verdict=FAIL
if ((status != 0)); then
    for ((i = 1; i <= N; i++)); do
        [[ -n ${M_DONE[i]} ]] && continue
        echo "--- m$i log (tail) ---"
        tail -n 8 "${M_LOG[i]}" 2>/dev/null
    done
fi
echo "deploy: $verdict n=$N rate=$RATE last=$(printf '%.1f' "$last") bound=$bound ratio=$(awk -v l="$last" -v b="$bound" 'BEGIN { printf "%.2f", l / b }')${FAULT:+ fault=$FAULT}${NETEM:+ netem='$NETEM'}"
exit $status
