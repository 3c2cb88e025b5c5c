#!/usr/bin/env bash
# bench-resize: one image to disks of different sizes in one swarm, against the same swarm
# with identical disks (issue 22: "within 5 %").
#
# A GPT source disk (source-disk.sh: FAT ESP, ext4 root and NTFS data, each file system about
# 40 % full of random files) is captured once with `ezio image capture --compact` (default
# piece size) and cached under out/bench-resize/. Each run brings up the emulated LAN of
# bench/lan/lan.sh (a switch, every link shaped to RATE both ways, a loop disk per machine),
# starts the real ezio-server in the server namespace and the real `ezio agent` on N machines,
# and deploys the image with "resize": "proportional", "verifyAfterWrite": true and
# seeding until every machine is done:
#
#   mixed       machine I's disk is MIXED[I mod k] x the source disk (default 0.6 1 2)
#   identical   every disk is 1 x the source
#
# Both kinds run back to back, REPEAT times (every other repetition in the reverse order), on
# a fresh LAN and server each. Measured per run, from starting the agents:
#   complete_s until the agent logs its disk complete and flushed (every piece written);
#              write_s and verify_s are the agent's own figures for writing and verifying
#   done_s     until the agent logs that the server acknowledged its done report (disk
#              written, flushed, every piece read back and verified)
#   exit_s     until the agent exited (seeding stopped once all were done, file systems
#              grown to their partitions, after-action run)
#   bytes      what each host's shaped link carried (lan_link_bytes: htb's count of what went
#              on the wire, headers and ACKs included) from the agents' start until the last
#              done; "copies" = bytes / the image's payload (pieces.ezp, what `ezio seed`
#              serves); wire = server upload + every machine's upload
#   peers      each agent's own count of what it uploaded to its peers ("Seeding stopped:
#              ...; uploaded N bytes") and the share of the machines' downloads their peers sent
# Every disk is then checked: `sgdisk -v`; each partition through a loop device over its byte
# range: `fsck.vfat -n`, `e2fsck -fn`, `ntfsfix -n`; ext4 and NTFS grown to fill their
# partitions; every file written to the source read back (mcopy, debugfs rdump, ntfscat) and
# compared byte for byte. The table ends with mixed / identical for time and bytes; the
# CSV goes to bench/results/resize-<stamp>.csv (one row per host and run, plus "all").
#
# Settings: N=3 RATE=50mbit SIZE_MIB=512 MIXED="0.6 1 2" REPEAT=2 ORDER="mixed identical"
#           LAN_NET=10.83.0 EZIO_BIN EZIO_SERVER_DLL RESIZE_CACHE=out/bench-resize
#           BENCH_RESIZE_KEEP=1 (keep the logs of every run under /var/tmp)
#           TAMPER=1 (the checks' own test: 4 MiB of noise in m1's ext4 before they run;
#           every run must then report m1 FAILED)
# Root (namespaces, loop devices). ~1.5 min per run at the defaults (2 cores), plus ~1 min
# for the image the first time.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
export LAN_NET=${LAN_NET:-10.83.0}
# shellcheck source=../lan/lan.sh
source "$here/../lan/lan.sh"
# The agents partition their disks (BLKPG, table re-read): loop devices, never plain files.
export LAN_DISK_FILE=0

N=${N:-3}
RATE=${RATE:-50mbit}
SIZE_MIB=${SIZE_MIB:-512}
read -r -a MIXED <<<"${MIXED:-0.6 1 2}"
REPEAT=${REPEAT:-2}
read -r -a ORDER <<<"${ORDER:-mixed identical}"
EZIO=${EZIO_BIN:-$repo/out/ezio}
export LAN_ID=rz$$

die() { echo "bench-resize: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "bench-resize: needs root (network namespaces, loop devices)" >&2; exit 2; }
[[ -x $EZIO ]] || { echo "bench-resize: $EZIO not found; run 'make publish' first" >&2; exit 2; }
server_dll=${EZIO_SERVER_DLL:-$(ls -t "$repo"/src/Ezio.Server/bin/{Release,Debug}/net10.0/ezio-server.dll 2>/dev/null | sed -n 1p)}
[[ -f $server_dll ]] || die "ezio-server.dll not built (dotnet build src/Ezio.Server -c Release)"
needs=(sgdisk:gdisk sfdisk:fdisk mkfs.vfat:dosfstools fsck.vfat:dosfstools mcopy:mtools mkfs.ext4:e2fsprogs
    e2fsck:e2fsprogs debugfs:e2fsprogs dumpe2fs:e2fsprogs resize2fs:e2fsprogs mkntfs:ntfs-3g ntfscp:ntfs-3g
    ntfsfix:ntfs-3g ntfsinfo:ntfs-3g ntfscat:ntfs-3g ntfsresize:ntfs-3g partx:util-linux curl:curl
    python3:python3 dotnet:dotnet ip:iproute2 tc:iproute2)
missing=()
for need in "${needs[@]}"; do
    command -v "${need%%:*}" >/dev/null || missing+=("${need#*:}")
done
((${#missing[@]} == 0)) || die "missing: ${missing[*]} (apt-get install them)"
((N >= 1 && REPEAT >= 1 && ${#MIXED[@]} >= 1)) || die "N, REPEAT and MIXED want at least one"
for kind in "${ORDER[@]}"; do
    [[ $kind == mixed || $kind == identical ]] || die "ORDER: unknown run '$kind' (mixed, identical)"
done
py=python3
[[ -x /usr/bin/python3 ]] && py=/usr/bin/python3
now() { lan_now; }
since() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
copies() { awk -v b="$1" -v c="$PAYLOAD" 'BEGIN { printf "%.2f", b / c }'; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# ---- The image (cached per size) ----
cache=${RESIZE_CACHE:-$repo/out/bench-resize}/$SIZE_MIB
image=resize-${SIZE_MIB}m
image_dir=$cache/repo/$image
tree=$cache/tree
if [[ ! -f $image_dir/image.json || ! -d $tree ]]; then
    echo "bench-resize: building the $SIZE_MIB MiB source disk and capturing it (once, cached in $cache)"
    rm -rf "$image_dir" "$tree"
    mkdir -p "$cache/repo"
    timeout 900 "$here/source-disk.sh" "$cache/source.img" "$tree" "$SIZE_MIB" || die "could not build the source disk"
    timeout 900 "$EZIO" image capture --compact "$cache/source.img" "$image_dir" 2>&1 | tr '\r' '\n' | grep -v '^ *$' | tail -n 2
    rm -f "$cache/source.img"
    [[ -f $image_dir/image.json ]] || die "ezio image capture failed"
fi
USED=$("$EZIO" image info "$image_dir" | awk '/^used:/ { print $2 }')
PAYLOAD=$(stat -c %s "$image_dir/pieces.ezp" 2>/dev/null || echo "$USED")
SOURCE_BYTES=$((SIZE_MIB << 20))
read -r PIECE MIN_DISK < <("$py" -c 'import json,sys
m = json.load(open(sys.argv[1]))
print(m.get("pieceLength") or m.get("pieceSize") or "-", m.get("minimumDiskSize") or "-")' "$image_dir/image.json")
rate_bps=$(lan_rate_bps "$RATE") || exit 2
bound=$(awk -v b="$PAYLOAD" -v r="$rate_bps" 'BEGIN { printf "%.1f", b * 8 / r }')
limit=$(awk -v b="$bound" 'BEGIN { printf "%d", 240 + 8 * b }')
echo "bench-resize: $image: $SIZE_MIB MiB source disk, $(mib "$USED") MiB used, payload $(mib "$PAYLOAD") MiB (pieces.ezp)," \
    "piece $PIECE, smallest disk $(mib "$MIN_DISK") MiB; $N machines at $RATE (one copy from the server: ${bound} s); $(nproc) cores"

stamp=$(date -u +%Y%m%d-%H%M%S)
results=$repo/bench/results
mkdir -p "$results"
csv=$results/resize-$stamp.csv
echo "stamp,kind,rep,rate,n,size_mib,payload_bytes,host,disk_mib,root_mib,data_mib,complete_s,done_s,exit_s,write_s,verify_s,down_bytes,up_bytes,fetched_bytes,peer_uploaded_bytes,check,load_start,load_end" >"$csv"
logs=$(mktemp -d /var/tmp/ezio-bench-resize.XXXXXX)

# ---- Loop devices: every one is recorded in $LAN_DIR/loops until it is detached ----
loop_attach() { # loop_attach FILE [losetup options]: prints the device
    local file=$1 dev
    shift
    dev=$(losetup --find --show "$@" "$file") || return 1
    echo "$dev" >>"$LAN_DIR/loops"
    echo "$dev"
}
loop_detach() { # the kernel's partitions of a disk outlive its detach: partx -d first
    local dev=$1
    partx -d "$dev" 2>/dev/null
    losetup -d "$dev" 2>/dev/null
    grep -vxF "$dev" "$LAN_DIR/loops" >"$LAN_DIR/loops.new"
    mv "$LAN_DIR/loops.new" "$LAN_DIR/loops"
}
forget_partitions() {
    local dev
    [[ -n ${LAN_DIR:-} && -f $LAN_DIR/loops ]] || return 0
    while read -r dev; do [[ -n $dev ]] && partx -d "$dev" 2>/dev/null; done <"$LAN_DIR/loops"
}
# Machine I's disk becomes BYTES of zeros.
set_disk() {
    local i=$1 bytes=$2 file dev
    loop_detach "$(lan_disk "$i")"
    file=$(lan_disk_backing "$i")
    rm -f "$file"
    truncate -s "$bytes" "$file"
    dev=$(loop_attach "$file") || return 1
    echo "$dev" >"$LAN_DIR/disk.m$i"
}

cleanup() {
    trap '' INT TERM
    forget_partitions
    lan_down 2>/dev/null
    # A run stopped before its first row leaves no CSV behind.
    [[ -f $csv && $(wc -l <"$csv") -le 1 ]] && rm -f "$csv"
    if [[ ${BENCH_RESIZE_KEEP:-0} == 1 ]]; then echo "bench-resize: logs kept in $logs" >&2; else rm -rf "$logs"; fi
}
trap cleanup EXIT
trap 'echo "bench-resize: interrupted" >&2; exit 130' INT
trap 'echo "bench-resize: terminated (time limit?)" >&2; exit 143' TERM

# What every link has carried so far: UP<0|1>[K], DOWN<0|1>[K] with K = 0 for the server,
# I for machine I (lan_link_bytes lists srv, m1..mN in that order).
link_snapshot() {
    local at=$1 k=0 host up down
    while read -r host up down; do
        [[ -n $host ]] || continue
        if [[ $at == 0 ]]; then UP0[k]=$up DOWN0[k]=$down; else UP1[k]=$up DOWN1[k]=$down; fi
        k=$((k + 1))
    done < <(lan_link_bytes)
}
up_of() { echo $((UP1[$1] - UP0[$1])); }
down_of() { echo $((DOWN1[$1] - DOWN0[$1])); }

# ---- One disk's checks: sets CHECK (ok or the problems), ROOT_MIB, DATA_MIB ----
check_disk() {
    local disk=$1 out=$2 problems=() num start size dev fsb f
    CHECK='' ROOT_MIB=- DATA_MIB=-
    [[ $(sgdisk -v "$disk" 2>&1) == *'No problems found'* ]] || problems+=("sgdisk -v")
    rm -rf "$out"
    mkdir -p "$out/esp" "$out/root"
    while read -r num start size; do
        dev=$(loop_attach "$disk" -o $((start * 512)) --sizelimit $((size * 512))) || { problems+=("losetup p$num"); continue; }
        case $num in
            1)
                fsck.vfat -n "$dev" >"$out/fsck1.log" 2>&1 || problems+=("fsck.vfat -n")
                mcopy -s -n -i "$dev" ::/EFI ::/loader.conf "$out/esp" 2>>"$out/fsck1.log" || problems+=("mcopy")
                diff -r "$tree/esp" "$out/esp" >/dev/null 2>&1 || problems+=("ESP files differ")
                ;;
            2)
                ROOT_MIB=$(mib $((size * 512)))
                e2fsck -fn "$dev" >"$out/fsck2.log" 2>&1 || problems+=("e2fsck -fn")
                fsb=$(dumpe2fs -h "$dev" 2>/dev/null | awk -F: '/^Block count/ { c = $2 } /^Block size/ { s = $2 } END { print c * s }')
                ((fsb > size * 512 - (4 << 20))) || problems+=("ext4 not grown ($(mib "$fsb") of $ROOT_MIB MiB)")
                debugfs -R "rdump /etc /srv $out/root" "$dev" >/dev/null 2>&1
                diff -r "$tree/root" "$out/root" >/dev/null 2>&1 || problems+=("root files differ")
                ;;
            3)
                DATA_MIB=$(mib $((size * 512)))
                ntfsfix -n "$dev" >"$out/fsck3.log" 2>&1 || problems+=("ntfsfix -n")
                fsb=$(ntfsinfo -m -f "$dev" 2>/dev/null | awk -F: '/Volume Size in Clusters/ { c = $2 } /Cluster Size/ { s = $2 } END { print c * s }')
                ((fsb > size * 512 - (4 << 20))) || problems+=("NTFS not grown ($(mib "$fsb") of $DATA_MIB MiB)")
                for f in "$tree"/data/*; do
                    ntfscat -f "$dev" "$(basename "$f")" 2>/dev/null | cmp -s - "$f" || { problems+=("data files differ"); break; }
                done
                ;;
        esac
        loop_detach "$dev"
    done < <(sfdisk --json "$disk" 2>/dev/null | "$py" -c 'import json,sys
for p in json.load(sys.stdin)["partitiontable"]["partitions"]: print(p["node"][-1], p["start"], p["size"])')
    rm -rf "$out"
    if ((${#problems[@]} == 0)); then CHECK=ok; else CHECK="FAILED: ${problems[*]}"; fi
}

# ---- One run: KIND REP ----
declare -A SUMMARY=()
run_one() {
    local kind=$1 rep=$2 i factor bytes status=0
    local -a disk_mib=() done_at=() exit_at=() complete_at=() pid=() log=() fetched=() uploaded=() write_s=() verify_s=()
    UP0=() DOWN0=() UP1=() DOWN1=()
    local load_start load_end
    load_start=$(load1)
    lan_up "$N" "$RATE" "$SOURCE_BYTES" 2>>"$logs/lan.log" || die "cannot build the LAN (see $logs/lan.log)"
    lan_watchdog "$limit"
    for ((i = 1; i <= N; i++)); do
        factor=1
        [[ $kind == mixed ]] && factor=${MIXED[(i - 1) % ${#MIXED[@]}]}
        disk_mib[i]=$(awk -v f="$factor" -v s="$SIZE_MIB" 'BEGIN { printf "%d", f * s + 0.5 }')
        bytes=$((disk_mib[i] << 20))
        ((bytes == SOURCE_BYTES)) || set_disk "$i" "$bytes" || die "cannot make m$i's disk"
    done

    local srv_ip url dir
    srv_ip=$(lan_ip srv)
    url=http://$srv_ip:8080
    dir=$logs/$kind-$rep
    mkdir -p "$dir/server/boot" "$dir/server/state"
    lan_spawn srv "$dir/server.log" env DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 \
        dotnet "$server_dll" --repo "$cache/repo" --listen "$url" --public-url "$url" \
        --state "$dir/server/state" --boot-root "$dir/server/boot" --peer-port 6881 --ocsmgrd-port -1
    local server_pid=$LAN_PID t auth=$dir/admin.curl token=$dir/server/state/admin-token
    for ((t = 0; t < 600; t++)); do
        if [[ -s $token ]]; then
            (umask 077 && printf 'header = "Authorization: Bearer %s"\n' "$(cat "$token")" >"$auth")
            lan_exec srv curl -sf -K "$auth" -o /dev/null "$url/api/v1/deployments" && break
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.2
    done
    [[ -s $auth ]] && lan_exec srv curl -sf -K "$auth" -o /dev/null "$url/api/v1/deployments" ||
        { tail -n 20 "$dir/server.log" >&2; die "ezio-server did not start"; }

    local macs="" mac=()
    for ((i = 1; i <= N; i++)); do
        mac[i]=$(printf '02:e3:%02x:%02x:00:%02x' $(($$ % 256)) $((($$ / 256) % 256)) "$i")
        macs+="\"${mac[i]}\","
    done
    local body="{\"image\":\"$image\",\"machines\":[${macs%,}],\"after\":\"reboot\",\"seeding\":{\"untilAllDone\":true,\"maxMinutes\":5},\"verifyAfterWrite\":true,\"resize\":\"proportional\"}"
    lan_exec srv curl -sf -K "$auth" -X POST "$url/api/v1/deployments" -H 'content-type: application/json' -d "$body" >"$dir/deployment.json" ||
        die "could not create the deployment: $body"

    link_snapshot 0
    local t0
    t0=$(now)
    for ((i = 1; i <= N; i++)); do
        local ad=$dir/m$i
        mkdir -p "$ad"
        printf 'BOOT_IMAGE=/live/vmlinuz boot=live ezio.server=%s ezio.disk=%s ezio.after=reboot\n' "$url" "$(lan_disk "$i")" >"$ad/cmdline"
        echo '{ "maxBackoffSeconds": 2 }' >"$ad/agent.json"
        log[i]=$ad/agent.log
        lan_spawn "m$i" "${log[i]}" "$EZIO" agent --cmdline-file "$ad/cmdline" --config "$ad/agent.json" \
            --mac "${mac[i]}" --state-dir "$ad/state" --peer-port 6881 --status-tty none \
            --journal-socket /nonexistent/journal.socket --trusted-key /nonexistent/trusted.pub --progress-seconds 1 \
            --after-command "echo \"\$EZIO_AFTER \$EZIO_DEPLOYMENT\" > $ad/after-action"
        pid[i]=$LAN_PID
    done

    # Every 0.1 s: who has been acknowledged done, who has exited; the link counters are read
    # the moment the last machine is done.
    local left=$N gone=0 deadline
    deadline=$(awk -v t="$t0" -v l="$limit" 'BEGIN { print t + l - 60 }')
    while ((gone < N)); do
        for ((i = 1; i <= N; i++)); do
            if [[ -z ${complete_at[i]:-} ]] && grep -q 'complete and flushed' "${log[i]}" 2>/dev/null; then
                complete_at[i]=$(since "$t0" "$(now)")
            fi
            if [[ -z ${done_at[i]:-} ]] && grep -q 'Server acknowledged done for' "${log[i]}" 2>/dev/null; then
                done_at[i]=$(since "$t0" "$(now)")
                left=$((left - 1))
                ((left == 0)) && link_snapshot 1
            fi
            if [[ -z ${exit_at[i]:-} ]] && ! kill -0 "${pid[i]}" 2>/dev/null; then
                exit_at[i]=$(since "$t0" "$(now)")
                gone=$((gone + 1))
                [[ -n ${done_at[i]:-} ]] || { echo "bench-resize: m$i's agent exited before done:" >&2; tail -n 8 "${log[i]}" >&2; }
            fi
        done
        if awk -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n > d) }'; then
            echo "bench-resize: $kind run $rep: time limit; $left machine(s) not done, $((N - gone)) agent(s) still up" >&2
            break
        fi
        sleep 0.1
    done
    ((left == 0)) || { status=1; link_snapshot 1; }
    for ((i = 1; i <= N; i++)); do lan_stop "${pid[i]}" 5; done
    lan_stop "$server_pid" 10
    load_end=$(load1)

    local last_done=0 last_exit=0 last_complete=0 down_all=0 up_all=0 fetched_all=0 uploaded_all=0 checks_ok=0
    local -a check=() root_mib=() data_mib=()
    if [[ ${TAMPER:-0} == 1 ]]; then
        local p2
        p2=$(sfdisk --json "$(lan_disk 1)" | "$py" -c 'import json,sys
p = json.load(sys.stdin)["partitiontable"]["partitions"][1]; print(p["start"] + p["size"] // 4)')
        echo "bench-resize: TAMPER: 4 MiB of noise at sector $p2 of m1's disk" >&2
        dd if=/dev/urandom of="$(lan_disk 1)" bs=1M count=4 seek=$((p2 * 512)) oflag=seek_bytes conv=notrunc status=none
    fi
    for ((i = 1; i <= N; i++)); do
        fetched[i]=$(sed -nE 's/.*complete and flushed: fetched ([0-9]+) bytes.*/\1/p' "${log[i]}" | tail -n 1)
        write_s[i]=$(sed -nE 's/.*complete and flushed: .* in ([0-9.]+) s$/\1/p' "${log[i]}" | tail -n 1)
        verify_s[i]=$(sed -nE 's/.*Verified [0-9]+ pieces on .* in ([0-9.]+) s$/\1/p' "${log[i]}" | tail -n 1)
        uploaded[i]=$(sed -nE 's/.*Seeding stopped: .*; uploaded ([0-9]+) bytes.*/\1/p' "${log[i]}" | awk '{ s += $1 } END { print s + 0 }')
        grep -q 'Post-step grow-resized done' "${log[i]}" || echo "bench-resize: m$i: no 'Post-step grow-resized done' in its log" >&2
        check_disk "$(lan_disk "$i")" "$dir/check-m$i"
        check[i]=$CHECK root_mib[i]=$ROOT_MIB data_mib[i]=$DATA_MIB
        [[ $CHECK == ok ]] && checks_ok=$((checks_ok + 1))
        [[ -n ${complete_at[i]:-} ]] && last_complete=$(awk -v a="$last_complete" -v b="${complete_at[i]}" 'BEGIN { print (b > a ? b : a) }')
        [[ -n ${done_at[i]:-} ]] && last_done=$(awk -v a="$last_done" -v b="${done_at[i]}" 'BEGIN { print (b > a ? b : a) }')
        [[ -n ${exit_at[i]:-} ]] && last_exit=$(awk -v a="$last_exit" -v b="${exit_at[i]}" 'BEGIN { print (b > a ? b : a) }')
        local down up
        down=$(down_of "$i") up=$(up_of "$i")
        down_all=$((down_all + down)) up_all=$((up_all + up))
        fetched_all=$((fetched_all + ${fetched[i]:-0})) uploaded_all=$((uploaded_all + uploaded[i]))
        echo "$stamp,$kind,$rep,$RATE,$N,$SIZE_MIB,$PAYLOAD,m$i,${disk_mib[i]},${root_mib[i]},${data_mib[i]},${complete_at[i]:-},${done_at[i]:-},${exit_at[i]:-},${write_s[i]:-},${verify_s[i]:-},$down,$up,${fetched[i]:-},${uploaded[i]},${check[i]},$load_start,$load_end" >>"$csv"
    done
    ((checks_ok == N)) || status=1
    local srv_up srv_down
    srv_up=$(up_of 0) srv_down=$(down_of 0)
    echo "$stamp,$kind,$rep,$RATE,$N,$SIZE_MIB,$PAYLOAD,srv,,,,,,,,,$srv_down,$srv_up,,,,$load_start,$load_end" >>"$csv"
    local verdict=ok
    ((status == 0)) || verdict=FAIL
    echo "$stamp,$kind,$rep,$RATE,$N,$SIZE_MIB,$PAYLOAD,all,,,,$last_complete,$last_done,$last_exit,,,$down_all,$up_all,$fetched_all,$uploaded_all,$verdict $checks_ok/$N,$load_start,$load_end" >>"$csv"
    local wire=$((srv_up + up_all))
    local peer_share
    peer_share=$(awk -v d="$down_all" -v u="$up_all" 'BEGIN { printf "%.0f", (d > 0 ? 100 * u / d : 0) }')
    printf '  %-9s %3s %8s %8s %8s %10s %8s %8s %9s %6s %6s  %-5s %s\n' "$kind" "$rep" "$last_complete" "$last_done" "$last_exit" \
        "$(mib "$wire")" "$(copies "$wire")" "$(copies "$srv_up")" "$(copies "$up_all")" "$peer_share%" "$load_start" "$verdict" "$checks_ok/$N disks ok"
    for ((i = 1; i <= N; i++)); do
        printf '      m%-2s disk %5s MiB  root %6s  data %6s MiB  complete %6s  done %6s  exit %6s s  received %6s MiB (%s)  sent %6s MiB  peers got %6s MiB  %s\n' \
            "$i" "${disk_mib[i]}" "${root_mib[i]}" "${data_mib[i]}" "${complete_at[i]:--}" "${done_at[i]:--}" "${exit_at[i]:--}" \
            "$(mib "$(down_of "$i")")" "$(copies "$(down_of "$i")")" \
            "$(mib "$(up_of "$i")")" "$(mib "${uploaded[i]}")" "${check[i]}"
    done
    SUMMARY[$kind.n]=$((${SUMMARY[$kind.n]:-0} + 1))
    SUMMARY[$kind.complete]=$(awk -v a="${SUMMARY[$kind.complete]:-0}" -v b="$last_complete" 'BEGIN { print a + b }')
    SUMMARY[$kind.done]=$(awk -v a="${SUMMARY[$kind.done]:-0}" -v b="$last_done" 'BEGIN { print a + b }')
    SUMMARY[$kind.exit]=$(awk -v a="${SUMMARY[$kind.exit]:-0}" -v b="$last_exit" 'BEGIN { print a + b }')
    SUMMARY[$kind.wire]=$((${SUMMARY[$kind.wire]:-0} + wire))
    SUMMARY[$kind.srv]=$((${SUMMARY[$kind.srv]:-0} + srv_up))
    SUMMARY[$kind.down]=$((${SUMMARY[$kind.down]:-0} + down_all))
    SUMMARY[$kind.list]+="$last_done "
    SUMMARY[$kind.clist]+="$last_complete "
    ((status == 0)) || OVERALL=1
    forget_partitions
    lan_down 2>>"$logs/lan.log"
    return $status
}

OVERALL=0
declare -a UP0=() DOWN0=() UP1=() DOWN1=()
echo "bench-resize: mixed = disks of ${MIXED[*]} x $SIZE_MIB MiB; identical = $N x $SIZE_MIB MiB; order ${ORDER[*]}, $REPEAT time(s)"
printf '  %-9s %3s %8s %8s %8s %10s %8s %8s %9s %6s %6s  %s\n' run rep written done_s exit_s "wire MiB" copies srv_cp peers_cp "peer%" load status
# Every other repetition runs the kinds in the reverse order, so a load that rises or falls
# during the bench weighs on both alike.
for ((rep = 1; rep <= REPEAT; rep++)); do
    kinds=("${ORDER[@]}")
    ((rep % 2 == 0)) && mapfile -t kinds < <(printf '%s\n' "${ORDER[@]}" | tac)
    for kind in "${kinds[@]}"; do
        run_one "$kind" "$rep"
    done
done

if [[ -n ${SUMMARY[mixed.n]:-} && -n ${SUMMARY[identical.n]:-} ]]; then
    echo
    awk -v mn="${SUMMARY[mixed.n]}" -v inn="${SUMMARY[identical.n]}" \
        -v md="${SUMMARY[mixed.done]}" -v id="${SUMMARY[identical.done]}" \
        -v mc="${SUMMARY[mixed.complete]}" -v ic="${SUMMARY[identical.complete]}" \
        -v me="${SUMMARY[mixed.exit]}" -v ie="${SUMMARY[identical.exit]}" \
        -v mw="${SUMMARY[mixed.wire]}" -v iw="${SUMMARY[identical.wire]}" \
        -v ms="${SUMMARY[mixed.srv]}" -v is="${SUMMARY[identical.srv]}" \
        -v mr="${SUMMARY[mixed.down]}" -v ir="${SUMMARY[identical.down]}" \
        -v ml="${SUMMARY[mixed.list]}" -v il="${SUMMARY[identical.list]}" \
        -v mcl="${SUMMARY[mixed.clist]}" -v icl="${SUMMARY[identical.clist]}" -v c="$PAYLOAD" 'BEGIN {
        printf "bench-resize: mean of %d mixed / %d identical run(s); each run'"'"'s last done: mixed %s, identical %s;", mn, inn, ml, il
        printf " last written: mixed %s, identical %s\n", mcl, icl
        printf "  time to last done   mixed %7.2f s     identical %7.2f s     mixed/identical %.3f\n", md / mn, id / inn, (md / mn) / (id / inn)
        printf "  last disk written   mixed %7.2f s     identical %7.2f s     mixed/identical %.3f\n", mc / mn, ic / inn, (mc / mn) / (ic / inn)
        printf "  time to last exit   mixed %7.2f s     identical %7.2f s     mixed/identical %.3f\n", me / mn, ie / inn, (me / mn) / (ie / inn)
        printf "  bytes on the wire   mixed %7.2f copies identical %7.2f copies mixed/identical %.3f\n", mw / mn / c, iw / inn / c, (mw / mn) / (iw / inn)
        printf "  server upload       mixed %7.2f copies identical %7.2f copies mixed/identical %.3f\n", ms / mn / c, is / inn / c, (ms / mn) / (is / inn)
        printf "  machines received   mixed %7.2f copies identical %7.2f copies mixed/identical %.3f\n", mr / mn / c, ir / inn / c, (mr / mn) / (ir / inn)
        t = (md / mn) / (id / inn); w = (mw / mn) / (iw / inn)
        printf "  within 5 %%: time %s, bytes %s\n", (t <= 1.05 ? "yes" : "no"), (w <= 1.05 ? "yes" : "no") }'
fi
echo "bench-resize: results in $csv"
exit $OVERALL
