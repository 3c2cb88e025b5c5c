#!/usr/bin/env bash
# An emulated LAN of network namespaces: one switch, a server and N machines.
#
#   ns <id>-ezio-sw    the switch: bridge br0 (mcast_snooping 0, so multicast floods like a
#                      plain unmanaged switch), one port pI per host
#   ns <id>-ezio-srv   the server, eth0 = $LAN_NET.1
#   ns <id>-ezio-mI    machine I (1..N), eth0 = $LAN_NET.(10+I)
#
# Every host reaches the switch through one veth. Both ends are shaped with htb at RATE
# (host eth0 egress = its upload; switch port egress = its download), so each host has a
# symmetric RATE link, like a switch port. NETEM="loss 1% delay 20ms" adds a netem leaf on
# every host's egress (each direction of every path crosses it once). Nothing is created in
# the host's own namespace: veths are made inside the switch namespace and their peers moved
# straight into the host namespaces, so no address outside $LAN_NET.0/24 is ever used.
#
# Disks: lan_up with DISK_BYTES gives each machine a sparse backing file under $LAN_DIR,
# attached to a loop device (LAN_DISK_FILE=1: the sparse file itself is the disk).
#
# Everything created is recorded under $LAN_DIR; lan_down removes it all (processes by PID,
# namespaces, loop devices, files) and lan_trap arranges that on exit, error or Ctrl-C.
#
# Library (source it):
#   lan_up N RATE [DISK_BYTES]   lan_down   lan_trap   lan_watchdog SECONDS
#   lan_ns HOST   lan_ip HOST    lan_exec HOST CMD...  lan_disk I   lan_disk_backing I
#   lan_fresh_disks
#   lan_spawn HOST LOG CMD...    (sets LAN_PID)        lan_stop PID [GRACE_S]
#   lan_cpu_seconds PID...
#   lan_netem SPEC               lan_rate_bps RATE      lan_now
#   lan_link_bytes
# CLI (for debugging; needs root):
#   lan.sh up N RATE [DISK_MIB]  -> prints the run id; state in /var/tmp/ezio-lan.<id>
#   lan.sh down ID | status ID | exec ID HOST CMD...
#
# Settings (environment): LAN_ID (run id, default ez<pid>), LAN_NET (default 10.77.0; must
# be 10.x, 172.16-31.x or 192.168.x), LAN_QLEN (switch/port queue, packets, default 100),
# NETEM, LAN_DISK_FILE, LAN_DISK_DIR (backing files; default $LAN_DIR), LAN_STATE_ROOT
# (default /var/tmp), LAN_KEEP=1 (keep $LAN_DIR), LAN_CC (every host's TCP congestion
# control, default cubic as on a stock Debian host), LAN_HOST_QDISC (the queue at each host's
# own uplink: pfifo, default, LAN_QLEN packets; or fq_codel, what a stock Debian host puts on
# its NIC). The switch side of every port is always a plain FIFO of LAN_QLEN packets.

LAN_NET=${LAN_NET:-10.77.0}
LAN_ID=${LAN_ID:-ez$$}
LAN_QLEN=${LAN_QLEN:-100}
LAN_CC=${LAN_CC:-cubic}
LAN_HOST_QDISC=${LAN_HOST_QDISC:-pfifo}
LAN_STATE_ROOT=${LAN_STATE_ROOT:-/var/tmp}
LAN_DIR=${LAN_DIR:-}   # set by lan_up (or lan_load_state) from LAN_ID
LAN_N=${LAN_N:-0}
LAN_RATE=${LAN_RATE:-}
LAN_PID=
LAN_CLK_TCK=$(getconf CLK_TCK)

lan_log() { echo "lan: $*" >&2; }
lan_die() { echo "lan: error: $*" >&2; return 1; }
lan_now() { echo "${EPOCHREALTIME/,/.}"; }

# lan_cpu_seconds PID...: user + system seconds of these processes and of the children they
# waited for, from the kernel's own accounting (/proc/PID/stat fields 14-17); a process that
# is gone counts 0.
lan_cpu_seconds() {
    local pid stat ticks=0
    local -a f
    for pid in "$@"; do
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        read -r -a f <<<"${stat##*) }"
        ticks=$((ticks + f[11] + f[12] + f[13] + f[14]))
    done
    awk -v t="$ticks" -v hz="$LAN_CLK_TCK" 'BEGIN { printf "%.2f", t / hz }'
}

# Private ranges only: anything else would be an address someone else owns.
lan_check_net() {
    [[ $LAN_NET =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || { lan_die "LAN_NET wants three octets (e.g. 10.77.0), not '$LAN_NET'"; return 1; }
    local a=${BASH_REMATCH[1]} b=${BASH_REMATCH[2]} c=${BASH_REMATCH[3]}
    ((c <= 255 && b <= 255)) || { lan_die "LAN_NET '$LAN_NET' is not an address"; return 1; }
    if ((a == 10)) || ((a == 172 && b >= 16 && b <= 31)) || ((a == 192 && b == 168)); then
        return 0
    fi
    lan_die "LAN_NET '$LAN_NET' is not in a private range (10/8, 172.16/12, 192.168/16)"
}

# 25mbit, 100mbit, 1gbit, 500kbit, 1000000 (bit/s) -> bits per second.
lan_rate_bps() {
    local r=${1,,}
    case $r in
        *gbit) awk -v v="${r%gbit}" 'BEGIN { printf "%d", v * 1e9 }' ;;
        *mbit) awk -v v="${r%mbit}" 'BEGIN { printf "%d", v * 1e6 }' ;;
        *kbit) awk -v v="${r%kbit}" 'BEGIN { printf "%d", v * 1e3 }' ;;
        *bit) echo "${r%bit}" ;;
        *[!0-9]*) lan_die "rate '$1': use e.g. 25mbit"; return 1 ;;
        *) echo "$r" ;;
    esac
}

lan_ns() { echo "$LAN_ID-ezio-$1"; }

lan_ip() {
    case $1 in
        srv) echo "$LAN_NET.1" ;;
        m*) echo "$LAN_NET.$((10 + ${1#m}))" ;;
        *) lan_die "no host '$1'" ;;
    esac
}

lan_exec() {
    local host=$1
    shift
    ip netns exec "$(lan_ns "$host")" "$@"
}

# Shapes DEV's egress inside NS: htb at RATE with a pfifo (or netem, or LEAF) leaf. htb,
# unlike tbf, passes the 64 KiB GSO super-packets a veth hands it instead of dropping them.
lan_shape() {
    local ns=$1 dev=$2 rate=$3 netem=${4:-} leaf=${5:-pfifo}
    ip -n "$ns" link set "$dev" txqueuelen "$LAN_QLEN"
    tc -n "$ns" qdisc replace dev "$dev" root handle 1: htb default 1 r2q 100
    tc -n "$ns" class replace dev "$dev" parent 1: classid 1:1 htb rate "$rate" ceil "$rate" burst 32k cburst 32k
    if [[ -n $netem ]]; then
        # shellcheck disable=SC2086  # NETEM is a list of netem words
        tc -n "$ns" qdisc replace dev "$dev" parent 1:1 handle 10: netem limit 1000 $netem
    elif [[ $leaf == fq_codel ]]; then
        tc -n "$ns" qdisc replace dev "$dev" parent 1:1 handle 10: fq_codel limit "$LAN_QLEN"
    else
        tc -n "$ns" qdisc replace dev "$dev" parent 1:1 handle 10: pfifo limit "$LAN_QLEN"
    fi
}

# One line per host (srv, m1..mN): "HOST UP DOWN", the bytes each shaper has charged so far
# on its upload (host eth0) and its download (its switch port). htb charges what goes on the
# wire: every segment of a GSO packet with its own headers (no preamble or FCS), pure ACKs
# included; so bytes / (RATE / 8) is the least time that link needed for what it carried.
lan_link_bytes() {
    local sw host port i
    sw=$(lan_ns sw)
    for ((i = 0; i <= LAN_N; i++)); do
        if ((i == 0)); then host=srv; else host=m$i; fi
        port=p$i
        printf '%s %s %s\n' "$host" \
            "$(tc -n "$(lan_ns "$host")" -s class show dev eth0 classid 1:1 | awk '$1 == "Sent" && n == "" { n = $2 } END { print n }')" \
            "$(tc -n "$sw" -s class show dev "$port" classid 1:1 | awk '$1 == "Sent" && n == "" { n = $2 } END { print n }')"
    done
}

lan_add_host() {
    local host=$1 port=$2
    local ns sw
    ns=$(lan_ns "$host")
    sw=$(lan_ns sw)
    ip netns add "$ns"
    echo "$ns" >>"$LAN_DIR/namespaces"
    ip -n "$ns" link set lo up
    # Each host's TCP congestion control is a stock Debian one (cubic) unless LAN_CC says
    # otherwise; a namespace inherits whatever the build machine happens to use.
    ip netns exec "$ns" sysctl -qw net.ipv4.tcp_congestion_control="$LAN_CC" ||
        echo "lan: $LAN_CC congestion control unavailable; keeping $(ip netns exec "$ns" sysctl -n net.ipv4.tcp_congestion_control)" >&2
    ip -n "$sw" link add "$port" type veth peer name eth0 netns "$ns"
    ip -n "$sw" link set "$port" master br0
    ip -n "$sw" link set "$port" up
    # "brd +": udpcast sends its hello to the interface's broadcast address.
    ip -n "$ns" addr add "$(lan_ip "$host")/24" brd + dev eth0
    ip -n "$ns" link set eth0 up
    # Multicast (udpcast) leaves through eth0 like everything else on this one-subnet LAN.
    ip -n "$ns" route add 224.0.0.0/4 dev eth0
    lan_shape "$ns" eth0 "$LAN_RATE" "${NETEM:-}" "$LAN_HOST_QDISC"
    lan_shape "$sw" "$port" "$LAN_RATE"
}

# The kernel keeps one ARP table for all namespaces, 1024 entries by default (gc_thresh3):
# past ~30 machines, where every host resolves every other, it overflows ("neighbor table
# overflow"), SYNs to the peers not resolved wait for ARP that never completes, and late
# machines reach only the server (N=64: half of them ran with 0 or 1 peer, the server sent
# 4 image copies). When N+1 hosts could come near the limit it is raised, never lowered
# (other runs share this kernel), to twice what they may hold. A kernel that refuses (a
# container) gets a warning: small LANs still fit.
lan_neigh_room() {
    local hosts=$(($1 + 1)) key want cur
    local need=$((hosts * (hosts - 1)))
    local -A room=([gc_thresh2]=$((need + 512)) [gc_thresh3]=$((2 * need + 1024)))
    for key in gc_thresh2 gc_thresh3; do
        want=${room[$key]}
        cur=$(sysctl -n "net.ipv4.neigh.default.$key" 2>/dev/null) || cur=0
        if ((need + 256 > cur && cur < want)) && ! sysctl -q -w "net.ipv4.neigh.default.$key=$want" 2>/dev/null; then
            lan_log "warning: cannot raise net.ipv4.neigh.default.$key to $want; with $1 machines the ARP table may overflow"
        fi
    done
}

# lan_up N RATE [DISK_BYTES]
lan_up() {
    local n=$1 rate=$2 disk_bytes=${3:-0}
    [[ $(id -u) -eq 0 ]] || { lan_die "needs root (network namespaces, loop devices)"; return 1; }
    lan_check_net || return 1
    ((n >= 1 && n <= 200)) || { lan_die "N must be 1..200"; return 1; }
    lan_rate_bps "$rate" >/dev/null || return 1
    ((${#LAN_ID} <= 16)) || { lan_die "LAN_ID '$LAN_ID' is too long (16 characters at most)"; return 1; }
    # Never adopt (and so never tear down) another run's state.
    local dir=$LAN_STATE_ROOT/ezio-lan.$LAN_ID
    [[ ! -e $dir ]] || { lan_die "$dir exists: LAN '$LAN_ID' is up already (lan.sh down $LAN_ID)"; return 1; }
    lan_neigh_room "$n"
    LAN_DIR=$dir
    mkdir -p "$LAN_DIR"
    LAN_N=$n
    LAN_RATE=$rate
    printf 'LAN_ID=%q\nLAN_NET=%q\nLAN_N=%q\nLAN_RATE=%q\nLAN_DIR=%q\n' \
        "$LAN_ID" "$LAN_NET" "$n" "$rate" "$LAN_DIR" >"$LAN_DIR/env"
    : >>"$LAN_DIR/namespaces"
    : >>"$LAN_DIR/pids"
    : >>"$LAN_DIR/loops"

    local sw
    sw=$(lan_ns sw)
    ip netns add "$sw" || return 1
    echo "$sw" >>"$LAN_DIR/namespaces"
    ip -n "$sw" link set lo up
    # STP off (the default) means ports forward at once; no snooping means multicast floods.
    ip -n "$sw" link add br0 type bridge mcast_snooping 0 stp_state 0
    ip -n "$sw" link set br0 up
    lan_add_host srv p0 || return 1
    local i
    for ((i = 1; i <= n; i++)); do
        lan_add_host "m$i" "p$i" || return 1
    done
    if ((disk_bytes > 0)); then
        echo "$disk_bytes" >"$LAN_DIR/disk_bytes"
        lan_fresh_disks || return 1
    fi
    lan_log "up: $LAN_ID, server $(lan_ip srv) + $n machines at $rate${NETEM:+ with netem '$NETEM'} (state $LAN_DIR)"
}

# Gives every machine an all-zero disk: detach, recreate the sparse file, attach again
# (a fresh loop device also drops whatever the old one had cached).
lan_fresh_disks() {
    local bytes i
    bytes=$(cat "$LAN_DIR/disk_bytes")
    lan_detach_loops
    for ((i = 1; i <= LAN_N; i++)); do
        local file
        file=$(lan_disk_backing "$i")
        rm -f "$file"
        truncate -s "$bytes" "$file"
        if [[ ${LAN_DISK_FILE:-0} == 1 ]]; then
            echo "$file" >"$LAN_DIR/disk.m$i"
        else
            local loop
            loop=$(losetup --find --show "$file") || { lan_die "losetup failed for $file"; return 1; }
            echo "$loop" >>"$LAN_DIR/loops"
            echo "$loop" >"$LAN_DIR/disk.m$i"
        fi
    done
}

lan_disk() { cat "$LAN_DIR/disk.m$1"; }
# The sparse file behind machine I's disk (for tools that cannot write a block device).
lan_disk_backing() { echo "${LAN_DISK_DIR:-$LAN_DIR}/$LAN_ID-disk-m$1.img"; }

lan_detach_loops() {
    local loop
    [[ -f $LAN_DIR/loops ]] || return 0
    while read -r loop; do
        [[ -n $loop ]] && losetup -d "$loop" 2>/dev/null
    done <"$LAN_DIR/loops"
    : >"$LAN_DIR/loops"
}

# lan_spawn HOST LOG CMD... runs CMD in HOST's namespace in the background, output to LOG.
# `ip netns exec` execs CMD, so LAN_PID is CMD's own PID. Call it from the main shell
# (not inside $(...)) so the caller can `wait` for the status.
lan_spawn() {
    local host=$1 log=$2
    shift 2
    ip netns exec "$(lan_ns "$host")" "$@" >"$log" 2>&1 </dev/null &
    LAN_PID=$!
    echo "$LAN_PID" >>"$LAN_DIR/pids"
}

# lan_stop PID [GRACE_S]: SIGTERM, then SIGKILL after GRACE_S (default 5) seconds.
lan_stop() {
    local pid=$1 grace=${2:-5} i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < grace * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

# Changes the netem leaf on every host's egress ("" removes it).
lan_netem() {
    local spec=$1 host
    NETEM=$spec
    for host in srv $(seq -f 'm%g' 1 "$LAN_N"); do
        lan_shape "$(lan_ns "$host")" eth0 "$LAN_RATE" "$spec"
    done
}

lan_down() {
    [[ -n $LAN_DIR && -d $LAN_DIR ]] || return 0
    # Teardown must finish even if Ctrl-C or the watchdog strike again meanwhile; the
    # caller's handlers come back afterwards (a benchmark tears down many LANs).
    local saved_traps
    saved_traps=$(trap -p INT TERM)
    trap '' INT TERM
    local pid ns
    if [[ -n ${LAN_WATCHDOG_PID:-} ]]; then
        kill -TERM "$LAN_WATCHDOG_PID" 2>/dev/null
        wait "$LAN_WATCHDOG_PID" 2>/dev/null
        LAN_WATCHDOG_PID=
    fi
    # Our processes by PID, then anything still running inside our own namespaces.
    if [[ -f $LAN_DIR/pids ]]; then
        while read -r pid; do
            [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null
        done <"$LAN_DIR/pids"
    fi
    if [[ -f $LAN_DIR/namespaces ]]; then
        sleep 0.5
        while read -r ns; do
            [[ -n $ns ]] || continue
            for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
        done <"$LAN_DIR/namespaces"
        if [[ -f $LAN_DIR/pids ]]; then
            while read -r pid; do
                [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null
            done <"$LAN_DIR/pids"
        fi
        # Reap what we started so no zombie holds a loop device open.
        if [[ -f $LAN_DIR/pids ]]; then
            while read -r pid; do
                [[ -n $pid ]] && wait "$pid" 2>/dev/null
            done <"$LAN_DIR/pids"
        fi
        while read -r ns; do
            [[ -n $ns ]] && ip netns del "$ns" 2>/dev/null
        done <"$LAN_DIR/namespaces"
    fi
    lan_detach_loops
    if [[ ${LAN_KEEP:-0} == 1 ]]; then
        lan_log "down: $LAN_ID (kept $LAN_DIR)"
    else
        rm -f "${LAN_DISK_DIR:-$LAN_DIR}/$LAN_ID"-disk-m*.img
        rm -rf "$LAN_DIR"
        lan_log "down: $LAN_ID"
    fi
    LAN_DIR=
    trap - INT TERM
    eval "$saved_traps"
}

# Tear down on any exit; Ctrl-C and SIGTERM (e.g. from the watchdog) exit with 130/143.
lan_trap() {
    trap 'lan_down' EXIT
    trap 'lan_log "interrupted"; exit 130' INT
    trap 'lan_log "terminated (time limit?)"; exit 143' TERM
}

# Bounds the whole run: after SECONDS the main shell gets SIGTERM (and then its trap).
lan_watchdog() {
    local seconds=$1 main=$$
    (
        sleep "$seconds" &
        sleeper=$!
        trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
        wait "$sleeper"
        echo "lan: watchdog: run exceeded ${seconds}s; stopping it" >&2
        kill -TERM "$main" 2>/dev/null
    ) &
    LAN_WATCHDOG_PID=$!
}

lan_load_state() {
    local id=$1
    LAN_DIR=$LAN_STATE_ROOT/ezio-lan.$id
    [[ -f $LAN_DIR/env ]] || { lan_die "no LAN '$id' (no $LAN_DIR/env)"; return 1; }
    # shellcheck disable=SC1091
    source "$LAN_DIR/env"
}

lan_main() {
    set -uo pipefail
    local cmd=${1:-}
    shift || true
    case $cmd in
        up)
            local n=${1:?usage: lan.sh up N RATE [DISK_MIB]} rate=${2:?usage: lan.sh up N RATE [DISK_MIB]} mib=${3:-0}
            if ! lan_up "$n" "$rate" $((mib * 1048576)); then
                lan_down
                return 1
            fi
            echo "$LAN_ID"
            ;;
        down)
            lan_load_state "${1:?usage: lan.sh down ID}" && lan_down
            ;;
        status)
            lan_load_state "${1:?usage: lan.sh status ID}" || return 1
            cat "$LAN_DIR/env"
            local host
            for host in srv $(seq -f 'm%g' 1 "$LAN_N"); do
                printf '%-5s %-12s %s\n' "$host" "$(lan_ip "$host")" "$(cat "$LAN_DIR/disk.$host" 2>/dev/null)"
            done
            ;;
        exec)
            lan_load_state "${1:?usage: lan.sh exec ID HOST CMD...}" || return 1
            local host=${2:?usage: lan.sh exec ID HOST CMD...}
            shift 2
            lan_exec "$host" "$@"
            ;;
        *)
            sed -n '2,/^$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            [[ $cmd == -h || $cmd == --help ]]
            ;;
    esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    lan_main "$@"
fi
