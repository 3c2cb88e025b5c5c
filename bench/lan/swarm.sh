#!/usr/bin/env bash
# An ezio deployment on the emulated LAN (source it after lan.sh and image.sh).
#
#   tracker_start DIR             opentracker on the server, whitelisting DIR/infohashes
#   seeder_start DIR [ARGS...]    `ezio seed` of DIR/ezio.torrent from DIR/slices (waits
#                                 until it serves); seeder_stop prints what it uploaded
#   machine_start I DIR [ARGS...] the machine side: `ezio get` onto machine I's disk.
#                                 The one function the agent replaces later.
#   swarm_watch SECONDS           waits for every machine (live lines on a terminal,
#                                 plain lines otherwise); calls $WATCH_HOOK each round
#   swarm_verify DIR              `ezio verify` + extent byte compare on every disk
#   swarm_summary DIR             per machine: time, MB/s, fetched; server vs peers
#
# State lives in arrays indexed by machine: M_PID, M_LOG, M_START, M_DONE (epoch seconds
# of the "complete and verified" line), M_RC (exit status once exited), M_SKIP (a machine
# the caller killed on purpose: not waited for).

SWARM_PORT=${SWARM_PORT:-6881}
TRACKER_PORT=${TRACKER_PORT:-6969}
declare -a M_PID=() M_LOG=() M_START=() M_DONE=() M_RC=() M_SKIP=() M_VERIFIED=()
SEED_PID=
SEED_LOG=
SEED_UPLOADED=0
TRACKER_PID=

swarm_announce_url() { echo "http://$(lan_ip srv):$TRACKER_PORT/announce"; }

# "32.0 MiB" -> bytes
swarm_bytes() {
    awk -v v="$1" -v u="$2" 'BEGIN {
        m = 1; if (u == "KiB") m = 1024; else if (u == "MiB") m = 1048576; else if (u == "GiB") m = 1073741824
        printf "%d", v * m }'
}

# Waits until HOST accepts TCP connections on PORT (bash /dev/tcp inside the namespace).
swarm_wait_port() {
    local host=$1 port=$2 seconds=${3:-30} i
    for ((i = 0; i < seconds * 5; i++)); do
        if lan_exec "$host" timeout 1 bash -c "exec 3<>/dev/tcp/$(lan_ip "$host")/$port" 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    echo "swarm: nothing listens on $host:$port after ${seconds}s" >&2
    return 1
}

# One HTTP/1.0 GET of PATH from HOST:PORT inside HOST's namespace; prints the whole answer
# (NUL bytes of compact peer lists dropped).
swarm_http_get() {
    local host=$1 port=$2 path=$3
    # shellcheck disable=SC2016 # expanded by the inner bash
    lan_exec "$host" timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf "GET %s HTTP/1.0\r\n\r\n" "$3" >&3 && cat <&3' \
        _ "$(lan_ip "$host")" "$port" "$path" 2>/dev/null | tr -d '\0'
}

# Waits until the tracker tracks: a started announce of the first listed torrent is answered
# without a failure reason. opentracker answers once its loop runs but reads its whitelist in
# another thread, refusing every announce until then; a socket that accepts is not enough.
# The probe peer (the tracker's own address and port) stops again, so no machine is told of it.
swarm_wait_tracker() {
    local dir=$1 seconds=${2:-30} query answer i
    query="/announce?info_hash=$(head -n 1 "$dir/infohashes" | sed 's/../%&/g')&peer_id=-EZ0000-readiness000"
    query+="&port=$TRACKER_PORT&uploaded=0&downloaded=0&left=1&compact=1&event="
    for ((i = 0; i < seconds * 5; i++)); do
        answer=$(swarm_http_get srv "$TRACKER_PORT" "${query}started")
        if [[ $answer == "HTTP/1.1 200"* && $answer == *interval* && $answer != *"failure reason"* ]]; then
            swarm_http_get srv "$TRACKER_PORT" "${query}stopped" >/dev/null
            return 0
        fi
        kill -0 "$TRACKER_PID" 2>/dev/null || break
        sleep 0.2
    done
    echo "swarm: the tracker on srv:$TRACKER_PORT does not track (last answer: ${answer:-none})" >&2
    return 1
}

tracker_start() {
    local dir=$1
    local root=$dir/tracker
    mkdir -p "$root"
    cp "$dir/infohashes" "$root/whitelist"
    # Debian's opentracker is built with a whitelist; -d chroots, so the path is inside it.
    lan_spawn srv "$dir/tracker.log" opentracker -i "$(lan_ip srv)" -p "$TRACKER_PORT" -P "$TRACKER_PORT" \
        -d "$root" -w /whitelist
    TRACKER_PID=$LAN_PID
    swarm_wait_tracker "$dir" 30
}

tracker_stop() {
    [[ -n $TRACKER_PID ]] && lan_stop "$TRACKER_PID" 2
    TRACKER_PID=
}

seeder_start() {
    local dir=$1
    shift
    SEED_LOG=$dir/seed.$(date +%s%N).log
    lan_spawn srv "$SEED_LOG" "$EZIO" seed "$dir/ezio.torrent" "$dir/slices" --port "$SWARM_PORT" "$@"
    SEED_PID=$LAN_PID
    local i
    for ((i = 0; i < 1200; i++)); do
        grep -q '^ezio: seeding' "$SEED_LOG" 2>/dev/null && return 0
        kill -0 "$SEED_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "swarm: the seeder did not start:" >&2
    tail -n 5 "$SEED_LOG" >&2
    return 1
}

# Stops the seeder (SIGTERM: it announces 'stopped' and prints its total) and adds what it
# uploaded to SEED_UPLOADED. kill=1 kills it instead (a crash: nothing is counted).
seeder_stop() {
    local kill=${1:-0}
    [[ -n $SEED_PID ]] || return 0
    if [[ $kill == 1 ]]; then
        kill -KILL "$SEED_PID" 2>/dev/null
        wait "$SEED_PID" 2>/dev/null
    else
        lan_stop "$SEED_PID" 10
        local line
        line=$(grep -o 'uploaded [0-9.]* [KMG]*i*B' "$SEED_LOG" | tail -n 1)
        if [[ -n $line ]]; then
            read -r _ v u <<<"$line"
            SEED_UPLOADED=$((SEED_UPLOADED + $(swarm_bytes "$v" "$u")))
        fi
    fi
    SEED_PID=
}

# The machine side of a deployment: fetch the image onto machine I's disk and keep serving
# it to the others until none needs it. EZIO_GET_ARGS adds options (e.g. --no-recheck).
machine_start() {
    local i=$1 dir=$2
    shift 2
    M_LOG[i]=$dir/m$i.$(date +%s%N).log
    M_START[i]=$(lan_now)
    M_DONE[i]=
    M_RC[i]=
    M_SKIP[i]=
    M_RX0[i]=
    # shellcheck disable=SC2086  # EZIO_GET_ARGS is a list of options
    lan_spawn "m$i" "${M_LOG[i]}" "$EZIO" get "$dir/ezio.torrent" "$(lan_disk "$i")" \
        --port "$SWARM_PORT" --seed-after "done" ${EZIO_GET_ARGS:-} "$@"
    M_PID[i]=$LAN_PID
}

# Percent and download rate from a machine's last progress line.
swarm_progress() {
    local log=$1
    tail -n 3 "$log" 2>/dev/null | tr '\r' '\n' | grep -E '[0-9.]+% down' | tail -n 1 |
        sed -E 's/.*[] ]([a-z]+) +([0-9.]+)% down ([0-9.]+ [KMG]iB\/s).*peers ([0-9]+).*/\2 \3 \4/'
}

# Bytes machine I's link has received so far (live, unlike the 5-second progress lines).
swarm_rx_bytes() {
    ip -n "$(lan_ns "m$1")" -s link show eth0 2>/dev/null | awk 'f { print $1; exit } /RX:/ { f = 1 }'
}

# One live line: the bar follows the bytes the link received (capped below 100% until
# ezio reports the disk complete and verified), the rate is over the last round.
declare -a M_RX0=() M_RXPREV=() M_TPREV=()
swarm_machine_line() {
    local i=$1 now=$2 pct=0 rate="" peers="" bar state rx image_bytes=$3
    rx=$(swarm_rx_bytes "$i")
    rx=${rx:-0}
    [[ -n ${M_RX0[i]:-} ]] || { M_RX0[i]=$rx; M_RXPREV[i]=$rx; M_TPREV[i]=$now; }
    rate=$(awk -v a="${M_RXPREV[i]}" -v b="$rx" -v t0="${M_TPREV[i]}" -v t1="$now" \
        'BEGIN { d = t1 - t0; printf "%5.1f MB/s", (d > 0 ? (b - a) / d / 1e6 : 0) }')
    M_RXPREV[i]=$rx
    M_TPREV[i]=$now
    if [[ -n ${M_DONE[i]} ]]; then
        pct=100
        state=$(awk -v a="${M_START[i]}" -v b="${M_DONE[i]}" 'BEGIN { printf "complete and verified in %.1f s", b - a }')
    elif [[ -n ${M_RC[i]} ]]; then
        state="exited ${M_RC[i]}${M_SKIP[i]:+ (killed on purpose)}"
        pct=$(awk -v r="$((rx - M_RX0[i]))" -v b="$image_bytes" 'BEGIN { p = 100 * r / b; printf "%d", (p > 99 ? 99 : p) }')
    else
        read -r _ _ _ peers <<<"$(swarm_progress "${M_LOG[i]}")"
        pct=$(awk -v r="$((rx - M_RX0[i]))" -v b="$image_bytes" 'BEGIN { p = 100 * r / b; printf "%d", (p > 99 ? 99 : p) }')
        state="$rate${peers:+  peers $peers}"
    fi
    local filled=$((pct * 30 / 100))
    bar=$(printf '%*s' "$filled" '' | tr ' ' '#')$(printf '%*s' $((30 - filled)) '' | tr ' ' '.')
    printf '  m%-3s %-12s [%s] %3s%%  %s' "$i" "$(lan_ip "m$i")" "$bar" "$pct" "$state"
}

# Waits until every machine not in M_SKIP is done (or has failed), at most SECONDS.
# Returns 0 when all are done. WATCH_HOOK (a function name) is called every round with the
# seconds elapsed; it may kill or restart machines or the seeder.
swarm_watch() {
    local seconds=$1 n=$LAN_N i
    local start now elapsed live=0 drawn=0 last_plain=0
    start=$(lan_now)
    [[ -t 1 && ${LIVE:-1} == 1 ]] && live=1
    while true; do
        now=$(lan_now)
        elapsed=$(awk -v a="$start" -v b="$now" 'BEGIN { printf "%.1f", b - a }')
        local pending=0
        for ((i = 1; i <= n; i++)); do
            if [[ -z ${M_DONE[i]} ]] && grep -q '^ezio: complete and verified' "${M_LOG[i]}" 2>/dev/null; then
                M_DONE[i]=$now
            fi
            if [[ -z ${M_RC[i]} ]] && ! kill -0 "${M_PID[i]}" 2>/dev/null; then
                wait "${M_PID[i]}" 2>/dev/null
                M_RC[i]=$?
                if [[ -z ${M_DONE[i]} ]] && grep -q '^ezio: complete and verified' "${M_LOG[i]}" 2>/dev/null; then
                    M_DONE[i]=$now
                fi
            fi
            [[ -z ${M_DONE[i]} && -z ${M_RC[i]} && -z ${M_SKIP[i]} ]] && pending=$((pending + 1))
        done
        if ((live)); then
            ((drawn)) && printf '\033[%dA' $((n + 1))
            printf '\033[K  %s s, %d of %d machines to go\n' "$elapsed" "$pending" "$n"
            for ((i = 1; i <= n; i++)); do
                swarm_machine_line "$i" "$now" "${SWARM_IMAGE_BYTES:-1}" >"$LAN_DIR/line"
                printf '\033[K%s\n' "$(cat "$LAN_DIR/line")"
            done
            drawn=1
        elif awk -v e="$elapsed" -v l="$last_plain" 'BEGIN { exit !(e - l >= 5) }'; then
            last_plain=$elapsed
            local line="  ${elapsed}s:"
            for ((i = 1; i <= n; i++)); do
                local p
                if [[ -n ${M_DONE[i]} ]]; then p="done"; elif [[ -n ${M_RC[i]} ]]; then p="rc${M_RC[i]}"; else
                    read -r p _ <<<"$(swarm_progress "${M_LOG[i]}")"
                    p="${p:-0}%"
                fi
                line+=" m$i $p"
            done
            echo "$line"
        fi
        [[ -n ${WATCH_HOOK:-} ]] && "$WATCH_HOOK" "$elapsed"
        ((pending == 0)) && break
        if awk -v e="$elapsed" -v s="$seconds" 'BEGIN { exit !(e > s) }'; then
            echo "swarm: $pending machine(s) not done after ${seconds}s" >&2
            return 1
        fi
        # A machine's time is when a round first sees its line: short rounds when nothing is
        # drawn (bench runs), so a time is late by at most ~0.1 s like the other tools' jobs.
        if ((live)); then sleep 0.5; else sleep 0.1; fi
    done
    for ((i = 1; i <= n; i++)); do
        [[ -n ${M_SKIP[i]} || -n ${M_DONE[i]} ]] || return 1
    done
    return 0
}

# Waits (bounded) for the machines to stop seeding on their own, then stops the rest.
swarm_stop_machines() {
    local grace=${1:-20} i t
    for ((t = 0; t < grace * 5; t++)); do
        local alive=0
        for ((i = 1; i <= LAN_N; i++)); do
            kill -0 "${M_PID[i]}" 2>/dev/null && alive=1
        done
        ((alive)) || break
        sleep 0.2
    done
    for ((i = 1; i <= LAN_N; i++)); do
        [[ -n ${M_PID[i]} ]] && lan_stop "${M_PID[i]}" 5
    done
}

# Full check of every machine's disk: ezio re-hashes every piece, then every extent is
# compared byte for byte with the image. Prints one line per machine; 0 if all are good.
swarm_verify() {
    local dir=$1 i status=0 out
    for ((i = 1; i <= LAN_N; i++)); do
        [[ -n ${M_SKIP[i]} ]] && continue
        local disk
        disk=$(lan_disk "$i")
        if out=$("$EZIO" verify "$dir/ezio.torrent" "$disk" 2>&1) && image_compare_extents "$dir" "$disk"; then
            M_VERIFIED[i]="ok ($out)"
        else
            M_VERIFIED[i]="FAILED (${out//$'\n'/ })"
            status=1
        fi
    done
    return $status
}

swarm_fetched_bytes() {
    local line v u
    line=$(grep -o 'fetched [0-9.]* [KMG]*i*B' "$1" | tail -n 1)
    [[ -n $line ]] || { echo 0; return; }
    read -r _ v u <<<"$line"
    swarm_bytes "$v" "$u"
}

swarm_summary() {
    local dir=$1 i total=0 image_bytes last=0
    image_bytes=$(stat -c %s "$dir/image.bin")
    printf '\n%-6s %-12s %9s %9s %12s  %s\n' machine address "time s" "MB/s" "fetched MiB" verified
    for ((i = 1; i <= LAN_N; i++)); do
        local fetched t="-" rate="-"
        fetched=$(swarm_fetched_bytes "${M_LOG[i]}")
        total=$((total + fetched))
        if [[ -n ${M_DONE[i]} ]]; then
            t=$(awk -v a="${M_START[i]}" -v b="${M_DONE[i]}" 'BEGIN { printf "%.1f", b - a }')
            rate=$(awk -v s="$t" -v b="$image_bytes" 'BEGIN { printf "%.1f", b / s / 1e6 }')
            last=$(awk -v a="$last" -v b="$t" 'BEGIN { print (b > a ? b : a) }')
        fi
        printf '%-6s %-12s %9s %9s %12.1f  %s\n' "m$i" "$(lan_ip "m$i")" "$t" "$rate" \
            "$(awk -v b="$fetched" 'BEGIN { print b / 1048576 }')" "${M_VERIFIED[i]:-not checked}"
    done
    local from_peers=$((total - SEED_UPLOADED))
    ((from_peers < 0)) && from_peers=0
    awk -v t="$total" -v s="$SEED_UPLOADED" -v p="$from_peers" -v img="$image_bytes" -v n="$LAN_N" -v last="$last" 'BEGIN {
        printf "\nbytes fetched by the machines: %.1f MiB; from the server: %.1f MiB (%.2f images); from peers: %.1f MiB (%.0f%%)\n",
            t / 1048576, s / 1048576, s / img, p / 1048576, (t > 0 ? 100 * p / t : 0)
        printf "last machine done after %.1f s\n", last }'
}
