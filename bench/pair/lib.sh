# shellcheck shell=bash
# Shared pieces of the pair benchmarks (sourced by run.sh and rss.sh).
#
# One seeder, one leecher, 127.0.0.1, one single-file torrent with 4 MiB pieces.
# Data is generated once per size into $BENCH_CACHE (default /var/tmp/ezio-bench)
# and reused; the leecher writes to /dev/shm when it has room, else /var/tmp.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/../.." && pwd)
LT_SCRIPTS=$REPO_ROOT/tests/scripts
PY=/usr/bin/python3   # Debian's python: python3-libtorrent is installed there
BENCH_CACHE=${BENCH_CACHE:-/var/tmp/ezio-bench}
EZIO_BIN=${EZIO_BIN:-$REPO_ROOT/out/ezio}
PIECE_SIZE=$((4 * 1024 * 1024))
PAIR_TIMEOUT=${PAIR_TIMEOUT:-900}

log() { echo "[bench] $*" >&2; }

# Free KiB on the file system holding $1.
free_kib() { df -Pk "$1" | awk 'NR == 2 { print $4 }'; }

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT PID SECONDS: until 127.0.0.1:PORT accepts, PID is alive, time left.
wait_port() {
    local port=$1 pid=$2 deadline=$((SECONDS + $3))
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || { log "pid $pid died before listening on $port"; return 1; }
        ((SECONDS < deadline)) || { log "nothing listened on $port"; return 1; }
        sleep 0.2
    done
}

# CPU seconds (user+sys) a live process has used so far, from /proc/PID/stat.
cpu_seconds() {
    local ticks
    ticks=$(getconf CLK_TCK)
    # Fields 14/15 count after the ")" that closes the command name.
    sed 's/.*) //' "/proc/$1/stat" | awk -v t="$ticks" '{ printf "%.3f\n", ($12 + $13) / t }'
}

# ensure_data GIB: prints the data directory holding bench-<GIB>g.bin and its torrent.
ensure_data() {
    local gib=$1 dir="$BENCH_CACHE/data-${1}g" name="bench-${1}g.bin"
    local bytes=$((gib * 1024 * 1024 * 1024))
    mkdir -p "$dir/content"
    if [[ ! -f "$dir/content/$name" || $(stat -c %s "$dir/content/$name") -ne $bytes ]]; then
        log "generating $gib GiB of random data in $dir/content/$name (once)"
        # AES-CTR keystream: incompressible, fully written (no sparse holes), ~1 GB/s.
        openssl enc -aes-128-ctr -pbkdf2 -nosalt -pass "pass:ezio-bench-$gib" </dev/zero 2>/dev/null |
            head -c "$bytes" >"$dir/content/$name.tmp"
        mv "$dir/content/$name.tmp" "$dir/content/$name"
        rm -f "$dir/bench.torrent"
    fi
    if [[ ! -f "$dir/bench.torrent" ]]; then
        log "building $dir/bench.torrent (4 MiB pieces)"
        "$PY" "$LT_SCRIPTS/lt_create.py" --source "$dir/content/$name" --output "$dir/bench.torrent" \
            --piece-size "$PIECE_SIZE" >/dev/null
    fi
    echo "$dir"
}

# leech_root BYTES: /dev/shm if it has room for BYTES + 512 MiB, else the cache.
# The name carries this script's PID so concurrent runs never share a directory.
leech_root() {
    local need_kib=$(($1 / 1024 + 512 * 1024))
    if [[ -d /dev/shm && $(free_kib /dev/shm) -gt $need_kib ]]; then
        echo "/dev/shm/ezio-bench-leech.$$"
    else
        echo "$BENCH_CACHE/leech.$$"
    fi
}

# run_pair KIND GIB: KIND is libtorrent or ezio. Prints one result line:
#   KIND GIB status wall_s seeder_cpu_s leecher_cpu_s leecher_maxrss_kib
run_pair() {
    local kind=$1 gib=$2 data torrent name bytes root seed_port leech_port seed_pid
    data=$(ensure_data "$gib") || return 1
    torrent=$data/bench.torrent
    name=bench-${gib}g.bin
    bytes=$((gib * 1024 * 1024 * 1024))
    root=$(leech_root "$bytes")
    rm -rf "$root"; mkdir -p "$root"
    seed_port=$(free_port); leech_port=$(free_port)
    # Logs stay in the cache for a post-mortem; the leeched copy is removed.
    local logs=$BENCH_CACHE/logs
    mkdir -p "$logs"
    local seed_log=$logs/$kind-${gib}g.seed.log leech_log=$logs/$kind-${gib}g.leech.log
    local result=$logs/$kind-${gib}g.$$.measure

    case $kind in
        libtorrent)
            "$PY" "$LT_SCRIPTS/lt_seed.py" --torrent "$torrent" --save-path "$data/content" \
                --port "$seed_port" --timeout "$PAIR_TIMEOUT" >"$seed_log" 2>&1 &
            ;;
        ezio)
            "$EZIO_BIN" seed "$torrent" "$data/content/$name" --port "$seed_port" >"$seed_log" 2>&1 &
            ;;
    esac
    seed_pid=$!
    # Both seeders hash-check 2+ GiB before serving; give them time.
    local status=ok
    if ! wait_port "$seed_port" "$seed_pid" 300; then
        status=seed-failed
    fi
    if [[ $kind == libtorrent && $status == ok ]]; then
        # lt_seed listens before its check ends; wait for the SEEDING line.
        local deadline=$((SECONDS + 300))
        until grep -q SEEDING "$seed_log"; do
            ((SECONDS < deadline)) && kill -0 "$seed_pid" 2>/dev/null || { status=seed-failed; break; }
            sleep 0.2
        done
    fi

    local seed_cpu0=0 seed_cpu1=0
    if [[ $status == ok ]]; then
        seed_cpu0=$(cpu_seconds "$seed_pid")
        local leech_cmd
        case $kind in
            libtorrent)
                leech_cmd=("$PY" "$LT_SCRIPTS/lt_leech.py" --torrent "$torrent" --save-path "$root"
                    --port "$leech_port" --peer "127.0.0.1:$seed_port" --timeout "$PAIR_TIMEOUT") ;;
            ezio)
                leech_cmd=("$EZIO_BIN" get "$torrent" "$root/$name" --port "$leech_port"
                    --seed-after none --peer "127.0.0.1:$seed_port") ;;
        esac
        if ! timeout "$PAIR_TIMEOUT" "$PY" "$BENCH_DIR/measure.py" "$result" -- "${leech_cmd[@]}" \
            >"$leech_log" 2>&1; then
            status=leech-failed
        fi
        seed_cpu1=$(cpu_seconds "$seed_pid" 2>/dev/null || echo "$seed_cpu0")
    fi
    kill -TERM "$seed_pid" 2>/dev/null
    wait "$seed_pid" 2>/dev/null

    if [[ $status == ok && "${BENCH_VERIFY:-1}" == 1 ]] && ! cmp -s "$data/content/$name" "$root/$name"; then
        status=corrupt
    fi
    local wall=0 user=0 sys=0 rss=0
    if [[ -f $result ]]; then
        read -r wall user sys rss < <(sed -E 's/[a-z_]+=//g' "$result" | awk '{ print $2, $3, $4, $5 }')
    fi
    [[ $status == ok ]] || log "$kind ${gib}G: $status (logs: $seed_log $leech_log)"
    rm -rf "$root" "$result"
    echo "$kind $gib $status $wall $(awk -v a="$seed_cpu1" -v b="$seed_cpu0" 'BEGIN { printf "%.3f", a - b }') \
$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }') $rss"
}
