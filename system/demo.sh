#!/usr/bin/env bash
# `make demo`: the whole product on one machine. A realistic sample disk (GPT, a FAT32 ESP,
# an ext4 root of real system files; system/sample-disk.sh, cached under out/demo/) is
# captured with `ezio image capture`; the real ezio-server (tracker, seeder, API, boot menus,
# dashboard) runs in the server namespace of an emulated LAN (bench/lan/lan.sh: a switch,
# RATE links shaped on both ends, a loop-device disk per machine); N machines run the real
# `ezio agent` against it (an after-action command instead of a reboot). Live lines come
# from the server's API; the dashboard is forwarded to 127.0.0.1 on the host. Then every
# disk is checked: partition table (sfdisk -d) equal to the image's, boot area equal to the
# source disk's, every used block (`ezio verify` of the image's torrent), `fsck -n` of every
# partition, and every machine's boot menus (PXELINUX, GRUB, iPXE) saying local boot.
#
#   system/demo.sh [N] [RATE] [SIZE_MIB]     defaults 4 machines, 100mbit, 512 MiB used
#
# Environment: REFUSE="too-small mounted" adds one machine per word whose disk the agent
# must refuse (a disk smaller than the image; a disk with a mounted file system): the server
# must report the refusal and the disk must be byte-for-byte unchanged, while the N others
# finish. ROUNDS="2 1" first deploys the same image to the first 2 machines, then to the
# first 1, on the same server (re-imaging a room: each of these deployments must finish, its
# disks pass `ezio verify`, their menus say local boot and the tracker counted no more
# completions than the deployment has machines; then every disk is wiped), before
# the deployment to all N machines that the full checks follow. TIMEOUT (s, whole run),
# LIVE=0 (plain lines), DEMO_CACHE (default out/demo), EZIO_BIN, EZIO_SERVER_DLL, LAN_ID,
# LAN_NET. TAMPER=1 damages m1's disk after the deployment (the checks must then fail: their
# own test).
#
# The last line is the verdict:
#   demo: PASS|FAIL n=N rate=RATE used=MiB last=SECONDS verified=K/N menus=K/N refused=K/R rounds=K/R
#
# Without root or network namespaces it falls back to demo/swarm.sh: the same swarm of
# real `ezio` processes on 127.0.0.1, without the LAN, the server and the agent.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
n=${1:-${N:-4}}
rate=${2:-${RATE:-100mbit}}
size_mib=${3:-${SIZE_MIB:-512}}
read -r -a refuse <<<"${REFUSE:-}"
read -r -a rounds <<<"${ROUNDS:-}"

fallback() {
    echo "demo: $1; running the loopback demo (demo/swarm.sh) instead" >&2
    exec "$repo/demo/swarm.sh" "$n" "$size_mib"
}

[[ $(id -u) -eq 0 ]] || fallback "network namespaces and loop devices need root"
for tool in ip tc losetup; do
    command -v "$tool" >/dev/null || fallback "$tool is not installed"
done
probe=ezdemo-probe-$$
if ! ip netns add "$probe" 2>/dev/null; then
    fallback "cannot create network namespaces here"
fi
ip netns del "$probe"

die() { echo "demo: $*" >&2; exit 1; }
# tool:Debian package; what is missing is installed first (a fresh Debian 12 has none of them).
needs=(python3:python3 curl:curl nft:nftables sfdisk:fdisk mkfs.fat:dosfstools fsck.vfat:dosfstools
    mcopy:mtools mkfs.ext4:e2fsprogs e2fsck:e2fsprogs blkid:util-linux partclone.ext4:partclone
    partclone.vfat:partclone cmp:diffutils)
missing=()
for need in "${needs[@]}"; do
    command -v "${need%%:*}" >/dev/null || missing+=("${need#*:}")
done
if ((${#missing[@]} > 0)) && command -v apt-get >/dev/null; then
    echo "demo: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
        { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
fi
for need in "${needs[@]}" dotnet:dotnet; do
    command -v "${need%%:*}" >/dev/null || die "${need%%:*} is missing (apt-get install ${need#*:})"
done
EZIO=${EZIO_BIN:-$repo/out/ezio}
[[ -x $EZIO ]] || die "$EZIO not found; run 'make publish' first"
server_dll=${EZIO_SERVER_DLL:-$(ls -t "$repo"/src/Ezio.Server/bin/{Release,Debug}/net10.0/ezio-server.dll 2>/dev/null | sed -n 1p)}
[[ -f $server_dll ]] || die "ezio-server.dll not built (dotnet build src/Ezio.Server -c Release)"
((n >= 1)) || die "N must be at least 1"
for r in "${refuse[@]}"; do
    [[ $r == too-small || $r == mounted ]] || die "REFUSE: unknown case '$r' (too-small, mounted)"
done
for r in "${rounds[@]}"; do
    if [[ ! $r =~ ^[0-9]+$ ]] || ((r < 1 || r > n)); then
        die "ROUNDS: '$r' is not a machine count from 1 to N=$n"
    fi
done
((${#rounds[@]} == 0 || ${#refuse[@]} == 0)) || die "ROUNDS and REFUSE do not go together"
py=python3
[[ -x /usr/bin/python3 ]] && py=/usr/bin/python3

LAN_ID=${LAN_ID:-dm$$}
# shellcheck source=../bench/lan/lan.sh
source "$repo/bench/lan/lan.sh"
rate_bps=$(lan_rate_bps "$rate") || exit 2
TIMEOUT=${TIMEOUT:-$(awk -v m="$size_mib" -v r="$rate_bps" 'BEGIN { printf "%d", 300 + 6 * m * 1048576 * 8 / r }')}
started=$(lan_now)
elapsed() { awk -v a="$started" -v b="$(lan_now)" 'BEGIN { printf "%.0f", b - a }'; }

# ---- 1. The sample disk and its image (both cached) ----
cache=${DEMO_CACHE:-$repo/out/demo}
mkdir -p "$cache/repo"
image=sample-${size_mib}m
sample=$cache/$image.img
image_dir=$cache/repo/$image
echo "== ezio demo: 1 server + $n machines${refuse[*]:+ + ${#refuse[@]} to refuse (${refuse[*]})} at $rate, a $size_mib MiB sample disk (time limit ${TIMEOUT}s)"
if [[ ! -f $sample.ok || ! -f $sample ]]; then
    echo "demo: building the sample disk $sample (GPT, FAT32 ESP, ext4 root of host system files; once)"
fi
timeout 1200 nice -n 5 "$here/sample-disk.sh" "$sample" "$size_mib" || die "could not build the sample disk (within 20 min)"
if [[ ! -f $image_dir/captured-from || $(cat "$image_dir/captured-from") != "$(stat -c %Y "$sample")" ]]; then
    echo "demo: ezio image capture $sample $image_dir"
    rm -rf "$image_dir"
    nice -n 5 "$EZIO" image capture "$sample" "$image_dir" 2>&1 | tr '\r' '\n' | grep -v '^ *$' | tail -n 1 || true
    [[ -f $image_dir/image.json ]] || die "capture failed"
    stat -c %Y "$sample" >"$image_dir/captured-from"
else
    echo "demo: reusing the captured image $image_dir"
fi
"$EZIO" image info "$image_dir" | sed -n '/^table:/,/^used:/p' | sed 's/^/    /'
disk_bytes=$(stat -c %s "$sample")
used_bytes=$("$EZIO" image info "$image_dir" | awk '/^used:/ { print $2 }')

# ---- 2. The LAN: N machines plus the ones to refuse ----
total=$((n + ${#refuse[@]}))
declare -a NAME=() MAC=() REFUSE_AS=() AGENT_PID=() SUM_BEFORE=() MOUNTED=()
for ((i = 1; i <= total; i++)); do
    NAME[i]=m$i
    MAC[i]=$(printf '02:e2:%02x:%02x:00:%02x' $(($$ % 256)) $((($$ / 256) % 256)) "$i")
    REFUSE_AS[i]=""
    ((i > n)) && REFUSE_AS[i]=${refuse[i - n - 1]}
done
forward_pid=

demo_down() {
    local status=$?
    trap '' INT TERM
    local i
    for ((i = 1; i <= total; i++)); do
        [[ -n ${MOUNTED[i]:-} ]] && umount "${MOUNTED[i]}" 2>/dev/null
    done
    [[ -n $forward_pid ]] && kill "$forward_pid" 2>/dev/null
    lan_down
    echo "demo: everything torn down after $(elapsed) s" >&2
    exit "$status"
}
lan_trap
trap demo_down EXIT
lan_watchdog "$TIMEOUT"
lan_up "$total" "$rate" "$disk_bytes" || exit 1

# The disk of a machine to refuse: smaller than the image, or carrying a mounted ext4.
for ((i = n + 1; i <= total; i++)); do
    disk=$(lan_disk "$i")
    case ${REFUSE_AS[i]} in
        too-small)
            losetup -d "$disk"
            backing=$(lan_disk_backing "$i")
            rm -f "$backing"
            truncate -s $((disk_bytes / 2)) "$backing"
            disk=$(losetup --find --show "$backing") || die "losetup failed"
            echo "$disk" >>"$LAN_DIR/loops"
            echo "$disk" >"$LAN_DIR/disk.m$i"
            # Something to protect: the refusal must leave these bytes alone.
            head -c 1048576 /dev/urandom | dd of="$disk" bs=1M conv=notrunc status=none
            ;;
        mounted)
            mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$disk" || die "mkfs.ext4 on $disk failed"
            mkdir -p "$LAN_DIR/mnt-m$i"
            # Read-only, so the mounted file system itself writes nothing either.
            mount -o ro "$disk" "$LAN_DIR/mnt-m$i" || die "cannot mount $disk"
            MOUNTED[i]=$LAN_DIR/mnt-m$i
            ;;
    esac
    SUM_BEFORE[i]=$(sha256sum <"$disk" | cut -d' ' -f1)
done

# Byte counters on every machine: what reached it from the server, and in all.
srv_ip=$(lan_ip srv)
for ((i = 1; i <= total; i++)); do
    lan_exec "m$i" nft -f - <<EOF || die "nft failed"
table ip ezio_demo {
    counter from_server {}
    counter from_all {}
    chain input {
        type filter hook input priority 0; policy accept;
        iifname "eth0" ip saddr $srv_ip counter name from_server
        iifname "eth0" counter name from_all
    }
}
EOF
done

# ---- 3. The server ----
server_url=http://$srv_ip:8080
mkdir -p "$LAN_DIR/server/boot" "$LAN_DIR/server/state"
lan_spawn srv "$LAN_DIR/server.log" env DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 \
    dotnet "$server_dll" --repo "$cache/repo" --listen "$server_url" --public-url "$server_url" \
    --state "$LAN_DIR/server/state" --boot-root "$LAN_DIR/server/boot" --peer-port 6881 --ocsmgrd-port -1
server_pid=$LAN_PID
# The server makes its admin token on the first start, in its state directory (0600); the
# admin calls below send it. The curl config file keeps it off the command line.
token_file=$LAN_DIR/server/state/admin-token
auth=$LAN_DIR/admin.curl
for ((t = 0; t < 300; t++)); do
    if [[ -s $token_file ]]; then
        (umask 077 && printf 'header = "Authorization: Bearer %s"\n' "$(cat "$token_file")" >"$auth")
        lan_exec srv curl -sf -K "$auth" -o /dev/null "$server_url/api/v1/deployments" && break
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
done
if [[ ! -s $auth ]] || ! lan_exec srv curl -sf -K "$auth" -o /dev/null "$server_url/api/v1/deployments"; then
    tail -n 20 "$LAN_DIR/server.log" >&2
    die "ezio-server did not start"
fi

# The dashboard, reachable from the host: a forwarder on 127.0.0.1 into the server namespace.
"$py" "$here/demo_watch.py" forward "$LAN_DIR/dashboard.port" "$(lan_ns srv)" "$srv_ip:8080" 2>>"$LAN_DIR/forward.log" &
forward_pid=$!
echo "$forward_pid" >>"$LAN_DIR/pids"
for ((t = 0; t < 100; t++)); do [[ -s $LAN_DIR/dashboard.port ]] && break; sleep 0.1; done
[[ -s $LAN_DIR/dashboard.port ]] || die "the dashboard forwarder did not start"
dash=http://127.0.0.1:$(cat "$LAN_DIR/dashboard.port")
curl -sf -o /dev/null "$dash/" || echo "demo: warning: the dashboard page did not load through $dash/" >&2
echo "demo: ezio-server $server_url in namespace $(lan_ns srv): tracker, seeder, API, boot menus"
echo "demo: dashboard: $dash/  (open it in a browser on this machine; from elsewhere:"
echo "      ssh -L 8080:127.0.0.1:${dash##*:} root@this-host, then http://localhost:8080/)"

# The admin calls send the admin token when the server has one: $auth is then a curl config
# carrying it, $token_file the token itself.
# create_deployment K: the image to machines 1..K; sets $deployment.
create_deployment() {
    local k=$1 i macs="" body created
    for ((i = 1; i <= k; i++)); do macs+="\"${MAC[i]}\","; done
    body="{\"image\":\"$image\",\"machines\":[${macs%,}],\"after\":\"reboot\",\"seeding\":{\"untilAllDone\":true,\"maxMinutes\":2}}"
    created=$(curl -sf ${auth:+-K "$auth"} -X POST "$dash/api/v1/deployments" -H 'content-type: application/json' -d "$body") || die "could not create the deployment: $body"
    deployment=$("$py" -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$created")
}

# start_agent I DIR: the real agent on machine I, its files (state, log, after-action) in DIR.
start_agent() {
    local i=$1 dir=$2
    mkdir -p "$dir"
    printf 'BOOT_IMAGE=/live/vmlinuz boot=live ezio.server=%s ezio.disk=%s ezio.after=reboot\n' "$server_url" "$(lan_disk "$i")" >"$dir/cmdline"
    echo '{ "maxBackoffSeconds": 2 }' >"$dir/agent.json"
    lan_spawn "m$i" "$dir/agent.log" "$EZIO" agent --cmdline-file "$dir/cmdline" --config "$dir/agent.json" \
        --mac "${MAC[i]}" --state-dir "$dir/state" --peer-port 6881 --status-tty none \
        --journal-socket /nonexistent/journal.socket --trusted-key /nonexistent/trusted.pub --progress-seconds 1 \
        --after-command "echo \"\$EZIO_AFTER \$EZIO_DEPLOYMENT\" > $dir/after-action"
    AGENT_PID[i]=$LAN_PID
}

# wait_agents K: the agents of machines 1..K stop seeding once every machine is done (the
# deployment's rule), run their after-action and exit; at most 60 s.
wait_agents() {
    local k=$1 t i alive
    for ((t = 0; t < 300; t++)); do
        alive=0
        for ((i = 1; i <= k; i++)); do kill -0 "${AGENT_PID[i]}" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.2
    done
}

menu_local() { # menu_local MAC: every per-MAC menu the server wrote says local boot
    local mac=$1 dashes=${1//:/-} root=$LAN_DIR/server/boot f
    for f in "pxelinux.cfg/01-$dashes" "grub/grub.cfg-01-$mac" "grub/grub.cfg-01-$dashes" "$mac.ipxe"; do
        grep -q 'boot the local disk' "$root/$f" 2>/dev/null || return 1
    done
    grep -q '^ *LOCALBOOT 0' "$root/pxelinux.cfg/01-$dashes" && grep -q '^sanboot' "$root/$mac.ipxe"
}

# tracker_completions ID: the completions the tracker counts in the swarm of deployment ID's
# image (the scrape's "downloaded").
tracker_completions() {
    local hash pct="" j
    hash=$(curl -sf ${auth:+-K "$auth"} "$dash/api/v1/deployments" |
        "$py" -c 'import json,sys; print(next(d["infoHash"] for d in json.load(sys.stdin) if d["id"] == sys.argv[1]))' "$1") || { echo -1; return; }
    for ((j = 0; j < ${#hash}; j += 2)); do pct+="%${hash:j:2}"; done
    curl -sf "$dash/scrape?info_hash=$pct" |
        "$py" -c 'import re,sys; m = re.search(rb"downloadedi(\d+)e", sys.stdin.buffer.read()); print(m.group(1).decode() if m else -1)'
}

# ---- 3b. Re-imaging rounds (ROUNDS): the same image again and again on the same server ----
rounds_ok=0
for ((r = 1; r <= ${#rounds[@]}; r++)); do
    k=${rounds[r - 1]}
    create_deployment "$k"
    echo "demo: round $r: deployment $deployment: $image to the first $k machine(s)"
    specs=()
    for ((i = 1; i <= k; i++)); do
        start_agent "$i" "$LAN_DIR/agent-m$i-r$r"
        specs+=("${MAC[i]}=${NAME[i]}")
    done
    round_ok=1
    EZIO_ADMIN_TOKEN_FILE=${token_file:-} WATCH_DEPLOYMENT=$deployment "$py" "$here/demo_watch.py" watch "$dash" "$LAN_DIR/results-r$r.json" \
        $((TIMEOUT - $(elapsed) - 60)) "${specs[@]}" &
    watch_pid=$!
    echo "$watch_pid" >>"$LAN_DIR/pids"
    wait "$watch_pid" || round_ok=0
    ((round_ok)) && wait_agents "$k"
    for ((i = 1; i <= k; i++)); do
        lan_stop "${AGENT_PID[i]}" 5
        problems=()
        out=$("$EZIO" verify "$image_dir/$image.torrent" "$(lan_disk "$i")" 2>&1) || problems+=("ezio verify: ${out//$'\n'/ }")
        menu_local "${MAC[i]}" || problems+=("boot menu does not say local boot")
        grep -qs " $deployment\$" "$LAN_DIR/agent-m$i-r$r/after-action" || problems+=("no after-action for $deployment")
        if ((${#problems[@]} == 0)); then
            echo "demo: round $r: m$i ok: $(sed -n 1p <<<"$out")"
        else
            echo "demo: round $r: m$i FAILED: ${problems[*]}"
            tail -n 12 "$LAN_DIR/agent-m$i-r$r/agent.log" 2>/dev/null
            round_ok=0
        fi
    done
    counted=$(tracker_completions "$deployment")
    echo "demo: round $r: the tracker counted $counted completion(s) for $k machine(s)"
    if ((counted > k || counted < 0)); then
        echo "demo: round $r: FAILED: the swarm did not start this deployment from zero completions"
        round_ok=0
    fi
    if ((!round_ok)); then
        echo "--- server log (tail) ---"
        tail -n 12 "$LAN_DIR/server.log" 2>/dev/null
        echo "demo: FAIL n=$n rate=$rate used=$((used_bytes / 1048576)) last=- verified=0/$n menus=0/$n refused=0/0 rounds=$rounds_ok/${#rounds[@]} time=$(elapsed)s"
        exit 1
    fi
    rounds_ok=$((rounds_ok + 1))
    # The next deployment must write every byte again.
    lan_fresh_disks || die "could not wipe the disks"
done

create_deployment "$total"
echo "demo: deployment $deployment: $image to ${total} machines (${MAC[1]} .. ${MAC[total]})"

# ---- 4. The machines: the real agent, each with its own disk ----
for ((i = 1; i <= total; i++)); do
    start_agent "$i" "$LAN_DIR/agent-m$i"
done
echo "demo: $total agents started; live state from $dash/api/v1/machines"
specs=()
for ((i = 1; i <= total; i++)); do
    specs+=("${MAC[i]}=${NAME[i]}${REFUSE_AS[i]:+,refuse}")
done
status=0
watch_left=$((TIMEOUT - $(elapsed) - 60))
((watch_left < 30)) && watch_left=30
# In the background, so that Ctrl-C or the watchdog reach this shell's trap at once.
EZIO_ADMIN_TOKEN_FILE=$token_file WATCH_DEPLOYMENT=$deployment "$py" "$here/demo_watch.py" watch "$dash" "$LAN_DIR/results.json" "$watch_left" "${specs[@]}" &
watch_pid=$!
echo "$watch_pid" >>"$LAN_DIR/pids"
wait "$watch_pid" || status=1

# The refused agents stay up, waiting for another job.
((status == 0)) && wait_agents "$n"
for ((i = 1; i <= total; i++)); do lan_stop "${AGENT_PID[i]}" 5; done
lan_stop "$server_pid" 10

# ---- 5. Every disk checked ----
want_table=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["partitionTable"]["sfdisk"])' "$image_dir/image.json")
if [[ ${TAMPER:-0} == 1 ]]; then
    # The checks' own test: 1 KiB of noise over m1's last partition's superblock.
    last_start=$(sed -nE 's/.*start= *([0-9]+),.*/\1/p' <<<"$want_table" | tail -n 1)
    echo "demo: TAMPER: overwriting 1 KiB at sector $last_start + 2 of m1's disk"
    head -c 1024 /dev/urandom | dd of="$(lan_disk 1)" bs=1024 seek=$(((last_start * 512 + 1024) / 1024)) conv=notrunc status=none
fi
echo "demo: checking every disk (partition table, boot area, every used block, fsck -n, boot menus)"
# sfdisk -d without the device names: "/dev/loop3p1 : start=..." and "x.img1 : ..." -> "p1 : ...".
table_of() { sed -E -e '/^device:/d' -e 's/^[^ ]*[^0-9]([0-9]+) +:/p\1 :/' -e '/^$/d'; }
# Every partition of the image with the file system the capture found there (fsck by that type).
partitions=$("$py" -c 'import json,sys
for p in json.load(open(sys.argv[1]))["partitionTable"]["partitions"]: print(p["start"], p["size"], p.get("fileSystem") or "none")' "$image_dir/image.json")
boot_extents=$("$py" -c 'import json,sys
for e in json.load(open(sys.argv[1]))["bootArea"]: print(e["offset"], e["length"])' "$image_dir/image.json")
declare -a CHECK=() TIME=() FROM_SRV=() FROM_ALL=()
verified=0
menus=0
refused_ok=0
for ((i = 1; i <= total; i++)); do
    disk=$(lan_disk "$i")
    counters=$(lan_exec "m$i" nft -j list counters table ip ezio_demo 2>/dev/null)
    read -r "FROM_SRV[i]" "FROM_ALL[i]" < <("$py" -c 'import json,sys
c = {x["counter"]["name"]: x["counter"]["bytes"] for x in json.load(sys.stdin)["nftables"] if "counter" in x}
print(c.get("from_server", 0), c.get("from_all", 0))' <<<"$counters" 2>/dev/null || echo "0 0")
    TIME[i]=$("$py" -c 'import json,sys; s = json.load(open(sys.argv[1]))[sys.argv[2]]["seconds"]; print("-" if s is None else s)' "$LAN_DIR/results.json" "m$i" 2>/dev/null || echo -)
    if [[ -n ${REFUSE_AS[i]} ]]; then
        # What the server said about it, and what its dashboard showed (demo_watch.py).
        read -r shown reason < <("$py" -c 'import json,sys; m = json.load(open(sys.argv[1]))[sys.argv[2]]; print(m["dashboard"], m["phase"], m["message"] or "")' \
            "$LAN_DIR/results.json" "m$i" 2>/dev/null)
        after=$(sha256sum <"$disk" | cut -d' ' -f1)
        problems=()
        [[ $reason == "failed ${REFUSE_AS[i]}:"* ]] || problems+=("server says '${reason:-nothing}'")
        [[ $shown == failed ]] || problems+=("the dashboard showed '${shown:-nothing}'")
        [[ $after == "${SUM_BEFORE[i]}" ]] || problems+=("THE DISK CHANGED")
        menu_local "${MAC[i]}" && problems+=("its menu says local boot")
        [[ -e $LAN_DIR/agent-m$i/after-action ]] && problems+=("it ran its after-action")
        if ((${#problems[@]} == 0)); then
            CHECK[i]="refused as expected (${reason#failed }); failed on the dashboard; disk unchanged (sha256 ${after:0:12})"
            refused_ok=$((refused_ok + 1))
        else
            CHECK[i]="FAILED: $(IFS=';' && echo "${problems[*]}" | sed 's/;/; /g')"
            status=1
        fi
        continue
    fi
    problems=()
    got_table=$(sfdisk -d "$disk" 2>/dev/null | table_of)
    [[ $got_table == "$(table_of <<<"$want_table")" ]] || problems+=("partition table differs")
    while read -r off len; do
        [[ -n $off ]] || continue
        cmp -s -n "$len" -i "$off:$off" "$sample" "$disk" || problems+=("boot area at $off differs")
    done <<<"$boot_extents"
    out=$("$EZIO" verify "$image_dir/$image.torrent" "$disk" 2>&1) || problems+=("ezio verify: ${out//$'\n'/ }")
    pieces=$(sed -nE '/^([0-9]+) good, 0 bad of ([0-9]+) pieces/{s/^([0-9]+) good, 0 bad of ([0-9]+) pieces.*/\1\/\2 pieces good/p;q}' <<<"$out")
    fsck_note=()
    while read -r start size fs; do
        [[ -n $start ]] || continue
        part=$(losetup --find --show -r -o $((start * 512)) --sizelimit $((size * 512)) "$disk") || { problems+=("losetup failed"); continue; }
        case $fs in
            vfat) fsck.vfat -n "$part" >"$LAN_DIR/fsck.log" 2>&1 || problems+=("fsck.vfat -n failed at sector $start") ;;
            ext*) e2fsck -fn "$part" >"$LAN_DIR/fsck.log" 2>&1 || problems+=("e2fsck -fn failed at sector $start") ;;
            *) ;;
        esac
        losetup -d "$part"
        fsck_note+=("${fs:-none}")
    done <<<"$partitions"
    if menu_local "${MAC[i]}"; then menus=$((menus + 1)); else problems+=("boot menu does not say local boot"); fi
    [[ -e $LAN_DIR/agent-m$i/after-action ]] || problems+=("no after-action")
    if ((${#problems[@]} == 0)); then
        CHECK[i]="ok: table, boot area, ${pieces:-all pieces}, fsck ${fsck_note[*]} clean, menus local"
        verified=$((verified + 1))
    else
        CHECK[i]="FAILED: $(IFS=';' && echo "${problems[*]}" | sed 's/;/; /g')"
        status=1
    fi
done

# ---- 6. Summary ----
printf '\n%-4s %-17s %8s %8s %11s %11s  %s\n' machine mac "time s" "MB/s" "MB from srv" "from peers" check
last=0
sum_srv=0
sum_all=0
for ((i = 1; i <= total; i++)); do
    mbps="-"
    if [[ ${TIME[i]} != - && -z ${REFUSE_AS[i]} ]]; then
        mbps=$(awk -v b="$used_bytes" -v s="${TIME[i]}" 'BEGIN { printf "%.1f", b / s / 1e6 }')
        last=$(awk -v a="$last" -v b="${TIME[i]}" 'BEGIN { print (b > a ? b : a) }')
    fi
    sum_srv=$((sum_srv + FROM_SRV[i]))
    sum_all=$((sum_all + FROM_ALL[i]))
    printf '%-4s %-17s %8s %8s %11.1f %11.1f  %s\n' "m$i" "${MAC[i]}" "${TIME[i]}" "$mbps" \
        "$(awk -v b="${FROM_SRV[i]}" 'BEGIN { print b / 1e6 }')" \
        "$(awk -v a="${FROM_ALL[i]}" -v b="${FROM_SRV[i]}" 'BEGIN { print (a - b) / 1e6 }')" "${CHECK[i]}"
done
served=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["server"]["bytesServed"])' "$LAN_DIR/results.json" 2>/dev/null || echo 0)
awk -v used="$used_bytes" -v s="$sum_srv" -v a="$sum_all" -v seeded="$served" 'BEGIN {
    printf "\nimage: %.1f MiB used; the machines received %.1f MB of IP traffic (nftables counters on each machine): %.1f MB from the server, %.1f MB (%.0f%%) from each other\n",
        used / 1048576, a / 1e6, s / 1e6, (a - s) / 1e6, (a > 0 ? 100 * (a - s) / a : 0)
    printf "the server'"'"'s seeder reports %.1f MB served (%.2f× the used bytes)\n", seeded / 1e6, seeded / used }'
((verified == n && menus == n && refused_ok == ${#refuse[@]})) || status=1
verdict=PASS
((status == 0)) || verdict=FAIL
if ((status != 0)); then
    for ((i = 1; i <= total; i++)); do
        [[ ${CHECK[i]} == ok* || ${CHECK[i]} == refused* ]] && continue
        echo "--- m$i agent log (tail) ---"
        tail -n 12 "$LAN_DIR/agent-m$i/agent.log" 2>/dev/null
    done
    echo "--- server log (tail) ---"
    tail -n 12 "$LAN_DIR/server.log" 2>/dev/null
fi
echo "demo: $verdict n=$n rate=$rate used=$((used_bytes / 1048576)) last=$(printf '%.1f' "$last") verified=$verified/$n menus=$menus/$n refused=$refused_ok/${#refuse[@]} rounds=$rounds_ok/${#rounds[@]} time=$(elapsed)s"
exit $status
