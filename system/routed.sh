#!/usr/bin/env bash
# Two subnets joined by a router (network namespaces, names prefixed loc): what crosses the
# router when one server deploys both.
#
#   subnet A 10.79.1.0/24: switch loc<id>-ezio-swa, the server (.1), machines a1..aK (.11..)
#   subnet B 10.79.2.0/24: switch loc<id>-ezio-swb, machines b1..bK (.11..)
#   router   loc<id>-ezio-rtr: .254 in each subnet, IPv4 forwarding, no multicast routing;
#            its link into B is shaped at WAN_RATE both ways (host links at RATE)
#
# Runs (RUNS, in order):
#   udpcast  udp-sender on the server, udp-receiver on a1 and b1: a1 gets the image, b1 is
#            never reached (its hello is a broadcast, the data multicast; neither is routed)
#   on       ezio-server's tracker with locality (the default), `ezio seed` on the server,
#            `ezio get` on every machine; every copy checked; bytes through the router
#   off      the same with "locality": false in the server's config
#   two      locality on, and a second server in subnet B (10.79.2.2) seeding the same image
#            from its own replica of the repository (`ezio seed` with a full recheck, as
#            ezio-server's seeder does) into the same tracker, listed before the machines
#            start: B's machines are served there, next to nothing crosses the router
#   kill     locality on, subnet B's machines start a second after A's; the seeder is
#            SIGKILLed when a machine has completed (so the image is whole somewhere) and B's
#            have run a second (B still halfway): the machines of both subnets must finish
#            from each other (the tracker stays up)
#   die      the same, but the whole server dies: the seeder and ezio-server (the tracker)
# Bytes through the router are the byte counters of its B-side interface (both directions,
# headers included), in copies of the image.
#
# Settings: K=3 RATE=100mbit WAN_RATE=20mbit SIZE_MIB=8 PIECE=128K RUNS="udpcast on off two kill die"
#           EZIO_BIN (default out/ezio) EZIO_SERVER_DLL (default the newest build output)
#           TIMEOUT (s, default 600)
# Last line: routed: PASS|FAIL k=K wan=WAN_RATE on=COPIES off=COPIES ...
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=../bench/lan/lan.sh
source "$repo/bench/lan/lan.sh"

K=${K:-3}
RATE=${RATE:-100mbit}
WAN_RATE=${WAN_RATE:-20mbit}
SIZE_MIB=${SIZE_MIB:-8}
PIECE=${PIECE:-128K}
RUNS=${RUNS:-udpcast on off two kill die}
TIMEOUT=${TIMEOUT:-600}
EZIO=${EZIO_BIN:-$repo/out/ezio}
# Newest build of the server; the whole listing is read (no early-closing reader under pipefail).
server_dll=${EZIO_SERVER_DLL:-$(ls -t "$repo"/src/Ezio.Server/bin/{Release,Debug}/net10.0/ezio-server.dll 2>/dev/null || true)}
server_dll=${server_dll%%$'\n'*}
LAN_ID=loc$$

die() { echo "routed: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "routed: needs root (network namespaces)" >&2; exit 2; }
[[ -x $EZIO ]] || { echo "routed: $EZIO not found; run 'make publish' first" >&2; exit 2; }
[[ -f $server_dll ]] || { echo "routed: ezio-server.dll not built (dotnet build src/Ezio.Server -c Release)" >&2; exit 2; }
for tool in ip tc dotnet curl sha256sum; do
    command -v "$tool" >/dev/null || { echo "routed: $tool is missing" >&2; exit 2; }
done
[[ " $RUNS " != *" udpcast "* ]] || command -v udp-sender >/dev/null || { echo "routed: udp-sender is missing (Debian udpcast)" >&2; exit 2; }
((K >= 1 && K <= 50)) || { echo "routed: K must be 1..50" >&2; exit 2; }

ip_of() {
    case $1 in
        srv) echo 10.79.1.1 ;;
        srv2) echo 10.79.2.2 ;;
        a*) echo "10.79.1.$((10 + ${1#a}))" ;;
        b*) echo "10.79.2.$((10 + ${1#b}))" ;;
    esac
}

# A host on switch SW (swa or swb) behind port PORT, default route via the router.
add_host() {
    local host=$1 sw=$2 port=$3 ns swns gw
    ns=$(lan_ns "$host")
    swns=$(lan_ns "$sw")
    gw=10.79.$([[ $sw == swa ]] && echo 1 || echo 2).254
    ip netns add "$ns" && echo "$ns" >>"$LAN_DIR/namespaces"
    ip -n "$ns" link set lo up
    ip -n "$swns" link add "$port" type veth peer name eth0 netns "$ns"
    ip -n "$swns" link set "$port" master br0 up
    ip -n "$ns" addr add "$(ip_of "$host")/24" brd + dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "$gw"
    ip -n "$ns" route add 224.0.0.0/4 dev eth0
    lan_shape "$ns" eth0 "$RATE"
    lan_shape "$swns" "$port" "$RATE"
}

routed_up() {
    LAN_DIR=$LAN_STATE_ROOT/ezio-lan.$LAN_ID
    [[ ! -e $LAN_DIR ]] || die "$LAN_DIR exists"
    mkdir -p "$LAN_DIR"
    : >"$LAN_DIR/namespaces"
    : >"$LAN_DIR/pids"
    local sw ns rtr i
    for sw in swa swb; do
        ns=$(lan_ns $sw)
        ip netns add "$ns" && echo "$ns" >>"$LAN_DIR/namespaces"
        ip -n "$ns" link set lo up
        ip -n "$ns" link add br0 type bridge mcast_snooping 0 stp_state 0
        ip -n "$ns" link set br0 up
    done
    rtr=$(lan_ns rtr)
    ip netns add "$rtr" && echo "$rtr" >>"$LAN_DIR/namespaces"
    ip -n "$rtr" link set lo up
    ip netns exec "$rtr" sysctl -qw net.ipv4.ip_forward=1
    for sw in swa swb; do
        local side=${sw#sw} net
        net=10.79.$([[ $side == a ]] && echo 1 || echo 2)
        ip -n "$(lan_ns $sw)" link add pr type veth peer name "r$side" netns "$rtr"
        ip -n "$(lan_ns $sw)" link set pr master br0 up
        ip -n "$rtr" addr add "$net.254/24" brd + dev "r$side"
        ip -n "$rtr" link set "r$side" up
    done
    # The shaped link: the router's side of subnet B, both directions.
    lan_shape "$rtr" rb "$WAN_RATE"
    lan_shape "$(lan_ns swb)" pr "$WAN_RATE"
    lan_shape "$rtr" ra "$RATE"
    lan_shape "$(lan_ns swa)" pr "$RATE"
    add_host srv swa p0
    add_host srv2 swb p0
    for ((i = 1; i <= K; i++)); do
        add_host "a$i" swa "p$i"
        add_host "b$i" swb "p$i"
    done
}

# "TX RX" byte counters of the router's B-side interface (A->B, B->A).
router_bytes() {
    local d=/sys/class/net/rb/statistics
    ip netns exec "$(lan_ns rtr)" cat "$d/tx_bytes" "$d/rx_bytes" | paste -sd' '
}

# Bytes the server has sent (its eth0, headers included).
server_sent() { ip netns exec "$(lan_ns srv)" cat /sys/class/net/eth0/statistics/tx_bytes; }

# TCP segments the server and subnet A's machines retransmitted so far (each namespace has its
# own counters; the router's byte counts include these).
retrans_a() {
    local host total=0 n
    for host in srv $(machines | grep '^a'); do
        # shellcheck disable=SC2016 # an awk program, not shell
        n=$(ip netns exec "$(lan_ns "$host")" awk '$1 == "Tcp:" && $13 ~ /^[0-9]+$/ { print $13 }' /proc/net/snmp)
        total=$((total + ${n:-0}))
    done
    echo "$total"
}

copies() { awk -v b="$1" -v i="$image_bytes" 'BEGIN { printf "%.2f", b / i }'; }

machines() {
    local i
    for ((i = 1; i <= K; i++)); do echo "a$i"; done
    for ((i = 1; i <= K; i++)); do echo "b$i"; done
}

run_udpcast() {
    local dir=$LAN_DIR/udpcast sender_pid a_pid b_pid
    mkdir -p "$dir"
    # The sender waits for 2 receivers at most 10 s, then sends to whoever answered.
    lan_spawn a1 "$dir/a1.log" timeout 120 udp-receiver --nokbd --interface eth0 --file "$dir/a1.bin"
    a_pid=$LAN_PID
    lan_spawn b1 "$dir/b1.log" timeout 30 udp-receiver --nokbd --interface eth0 --file "$dir/b1.bin"
    b_pid=$LAN_PID
    # A receiver listens once it names its interface ("UDP receiver for FILE at IP on eth0").
    local t
    for ((t = 0; t < 100; t++)); do
        grep -q '^UDP receiver for' "$dir/a1.log" 2>/dev/null && grep -q '^UDP receiver for' "$dir/b1.log" 2>/dev/null && break
        sleep 0.1
    done
    if ((t == 100)); then
        echo "routed: udp-receiver did not start" >&2
        tail -n 5 "$dir/a1.log" "$dir/b1.log" >&2
        lan_stop "$a_pid"
        lan_stop "$b_pid"
        udpcast_result=FAIL
        return
    fi
    lan_spawn srv "$dir/sender.log" timeout 120 udp-sender --nokbd --full-duplex --interface eth0 \
        --min-receivers 2 --max-wait 10 --file "$work/image.bin"
    sender_pid=$LAN_PID
    wait "$sender_pid"
    wait "$a_pid"
    wait "$b_pid"
    local a_sum b_bytes
    a_sum=$(sha256sum <"$dir/a1.bin" 2>/dev/null | cut -d' ' -f1)
    b_bytes=$(stat -c %s "$dir/b1.bin" 2>/dev/null || echo 0)
    local near=FAIL far=FAIL
    [[ $a_sum == "$image_sum" ]] && near=ok
    ((b_bytes == 0)) && far=unreached
    echo "routed: udpcast near a1=$near far b1=$far ($b_bytes bytes)"
    if [[ $near == ok && $far == unreached ]]; then
        udpcast_result=ok
    else
        udpcast_result=FAIL
        tail -n 5 "$dir/sender.log" "$dir/a1.log" "$dir/b1.log" >&2
    fi
    rm -rf "$dir"/*.bin "$dir/replica"
}

# run_ezio NAME LOCALITY(true|false) KILL(0|1 seeder|2 seeder and tracker) [SECOND(0|1)]: sets RESULT_COPIES, RESULT_VERIFIED, RESULT_SECONDS.
run_ezio() {
    local name=$1 locality=$2 kill_seed=$3 second=${4:-0} dir=$LAN_DIR/$1 url host server_pid seed_pid t0 before after
    mkdir -p "$dir/repo" "$dir/state"
    url=http://$(ip_of srv):8080
    printf '{ "locality": %s }\n' "$locality" >"$dir/server.json"
    lan_spawn srv "$dir/server.log" env DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 \
        dotnet "$server_dll" --config "$dir/server.json" --repo "$dir/repo" --listen "$url" --public-url "$url" \
        --state "$dir/state" --peer-port 6881 --ocsmgrd-port -1 --insecure
    server_pid=$LAN_PID
    local t
    for ((t = 0; t < 300; t++)); do
        lan_exec srv curl -sf -o /dev/null "$url/scrape" && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.2
    done
    lan_exec srv curl -sf -o /dev/null "$url/scrape" || { tail -n 20 "$dir/server.log" >&2; die "ezio-server did not start"; }
    read -r -a before <<<"$(router_bytes)"
    local sent0 retrans0
    sent0=$(server_sent)
    retrans0=$(retrans_a)
    t0=$(lan_now)
    lan_spawn srv "$dir/seed.log" "$EZIO" seed "$work/image.torrent" "$work/image.bin" --port 6882 \
        --tracker "$url/announce" --no-recheck
    seed_pid=$LAN_PID
    local seed2_pid=
    if ((second)); then
        mkdir -p "$dir/replica"
        cp "$work/image.bin" "$work/image.torrent" "$dir/replica/"
        lan_spawn srv2 "$dir/seed2.log" "$EZIO" seed "$dir/replica/image.torrent" "$dir/replica/image.bin" --port 6882 \
            --tracker "$url/announce"
        seed2_pid=$LAN_PID
        # Machines start once both seeders are listed (the second one hashes its replica first).
        for ((t = 0; t < 300; t++)); do
            [[ $(lan_exec srv curl -sf "$url/scrape" || true) == *completei2e* ]] && break
            sleep 0.1
        done
    fi
    declare -A pid=()
    local b_start=0
    for host in $(machines); do
        # Kill runs: subnet B boots a second after A (its bridge's first announce then lists
        # A's leechers; a bridge that announces first is asked back in 5 s, see the tracker).
        if ((kill_seed)) && [[ $host == b1 ]]; then
            sleep 1
            b_start=$(lan_now)
        fi
        lan_spawn "$host" "$dir/$host.log" "$EZIO" get "$work/image.torrent" "$dir/$host.bin" --port 6881 \
            --tracker "$url/announce" --seed-after "done"
        pid[$host]=$LAN_PID
    done
    local left killed=0 deadline
    deadline=$(awk -v t="$(lan_now)" -v l="$TIMEOUT" 'BEGIN { printf "%.3f", t + l }')
    while :; do
        left=0
        for host in $(machines); do
            grep -q 'complete and verified' "$dir/$host.log" 2>/dev/null || left=$((left + 1))
        done
        ((left == 0)) && break
        if ((kill_seed && !killed && left < 2 * K)) && awk -v n="$(lan_now)" -v b="$b_start" 'BEGIN { exit !(n >= b + 1) }'; then
            kill -KILL "$seed_pid" 2>/dev/null
            wait "$seed_pid" 2>/dev/null
            ((kill_seed == 2)) && kill -KILL "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
            killed=1
            echo "routed: $name: $( ((kill_seed == 2)) && echo "server (seeder and tracker)" || echo seeder) killed after the first completion, $left of $((2 * K)) machines unfinished"
        fi
        awk -v n="$(lan_now)" -v d="$deadline" 'BEGIN { exit !(n > d) }' && { echo "routed: $name: $left machines unfinished at the time limit" >&2; break; }
        sleep 0.1
    done
    RESULT_SECONDS=$(awk -v a="$t0" -v b="$(lan_now)" 'BEGIN { printf "%.1f", b - a }')
    for host in $(machines); do lan_stop "${pid[$host]}" 2; done
    lan_stop "$seed_pid" 2
    [[ -z $seed2_pid ]] || lan_stop "$seed2_pid" 2
    lan_stop "$server_pid" 5
    read -r -a after <<<"$(router_bytes)"
    local sent=$(($(server_sent) - sent0))
    local to_b=$((after[0] - before[0])) to_a=$((after[1] - before[1]))
    RESULT_VERIFIED=0
    for host in $(machines); do
        [[ $(sha256sum <"$dir/$host.bin" 2>/dev/null | cut -d' ' -f1) == "$image_sum" ]] && RESULT_VERIFIED=$((RESULT_VERIFIED + 1))
    done
    RESULT_COPIES=$(copies $((to_b + to_a)))
    local took=""
    for host in $(machines); do
        took+=" $host=$(grep -o 'complete and verified.* in [0-9.]* s' "$dir/$host.log" 2>/dev/null | grep -o '[0-9.]* s$' | tr -d ' s')"
    done
    echo "routed: $name: seconds to complete:$took"
    # What the far subnet's machines fetched and threw away, and what subnet A resent: a copy
    # count over 1 is one of these or the other.
    for host in $(machines | grep '^b'); do
        echo "routed: $name: $host $(grep -m 1 -o 'fetched [^;]*' "$dir/$host.log" 2>/dev/null)"
    done
    echo "routed: $name: TCP segments retransmitted by the server and subnet A: $(($(retrans_a) - retrans0))"
    echo "routed: ezio $name locality=$locality verified=$RESULT_VERIFIED/$((2 * K)) router=$RESULT_COPIES copies (A->B $(copies "$to_b"), B->A $(copies "$to_a")) server=$(copies "$sent") copies last=${RESULT_SECONDS}s"
    rm -rf "$dir"/*.bin "$dir/replica"
}

lan_trap
lan_watchdog "$TIMEOUT"
routed_up || die "could not build the routed LAN"
work=$LAN_DIR/image
mkdir -p "$work"
head -c $((SIZE_MIB * 1048576)) /dev/urandom >"$work/image.bin"
image_bytes=$(stat -c %s "$work/image.bin")
image_sum=$(sha256sum <"$work/image.bin" | cut -d' ' -f1)
"$EZIO" torrent create "$work/image.bin" -o "$work/image.torrent" --piece-size "$PIECE" >/dev/null || die "ezio torrent create failed"
echo "routed: $SIZE_MIB MiB image; subnet A: server + $K machines, subnet B: $K machines; hosts at $RATE, router link $WAN_RATE"

ok=1
summary="k=$K wan=$WAN_RATE"
for run in $RUNS; do
    case $run in
        udpcast)
            run_udpcast
            [[ $udpcast_result == ok ]] || ok=0
            summary+=" udpcast=$udpcast_result"
            ;;
        on | off | two | kill | die)
            run_ezio "$run" "$([[ $run == off ]] && echo false || echo true)" "$(case $run in kill) echo 1 ;; die) echo 2 ;; *) echo 0 ;; esac)" "$([[ $run == two ]] && echo 1 || echo 0)"
            ((RESULT_VERIFIED == 2 * K)) || ok=0
            summary+=" $run=$RESULT_COPIES verified_$run=$RESULT_VERIFIED/$((2 * K))"
            ;;
        *) die "unknown run '$run' (udpcast, on, off, two, kill, die)" ;;
    esac
done
if ((ok)); then
    echo "routed: PASS $summary"
else
    echo "routed: FAIL $summary"
    exit 1
fi
