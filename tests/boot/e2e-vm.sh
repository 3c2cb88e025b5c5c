#!/usr/bin/env bash
# VM proof of the boot chain (manual: make e2e-vm; not part of make test).
#
#   tests/boot/e2e-vm.sh [--variant live|initrd] [--firmware bios|uefi|uefi-secureboot]
#                        [--loader ipxe|grub|pxelinux|shim|httpboot]
#                        [--dhcp lab|proxy] [--timeout S] [--agent-wait S] [--keep]
#                        [--deploy] [--image-mib N] [--vms N] [--expect-refusal]
#
# --deploy: the whole loop, with the real ezio-server (EZIO_SERVER_BIN) and the ezio
# binary (EZIO_BIN, for the image's torrent). tests/boot/mk-test-disk.sh makes a small
# GPT disk (GRUB in a BIOS boot partition and in an ESP, printing EZIO-DEPLOYED-OK on
# the serial console); it becomes image "e2e-disk" of the server's repository and a
# deployment (--after reboot) names the VM's MAC. The chain script then asks the server
# for the per-MAC script: deploy form -> kernel + initrd -> agent registers, downloads,
# writes the VM's empty disk, reports done -> the server writes the local-boot menus ->
# the agent reboots the VM -> the per-MAC script is now the local form (BIOS: iPXE sanboot
# of the first disk; UEFI: iPXE chains GRUB, whose local form chainloads the disk's EFI
# loader) -> the deployed disk's GRUB prints its marker. The run passes on that marker; milestones:
#   registered, job, deploy done, menu flipped (server log), reboot, deployed-system
#   boot message (serial console). QEMU then runs without -no-reboot, with the disk as
#   the second boot device (BIOS: -boot order=nc; UEFI: bootindex=2).
# --vms N (with --deploy): N VMs (own tap, disk and serial log each; 1 GiB RAM) netboot at
# once and are named by one deployment; a machine that is done seeds until all are, so
# they fetch pieces from each other, not only from the server. The run then also wants
# every VM's deployed disk booted and, for N > 1, bytes uploaded by the VMs' agents
# (their "uploaded N bytes" lines). --image-mib defaults to 64 then.
#
# --dhcp proxy: a second namespace plays the site's DHCP server (plain dnsmasq on
# 10.77.0.2, no boot options, joined to the bridge by a veth pair); the lab's dnsmasq
# runs pxe/dnsmasq/proxy.conf.in and only adds the PXE answers.
#
# --loader pxelinux (BIOS, --deploy only): the NIC's iPXE ROM loads lpxelinux.0 instead of
# ezio.ipxe; PXELINUX reads the server's pxelinux.cfg/01-<mac> (deploy form, then
# LOCALBOOT 0, which hands back to the BIOS: the disk is the next boot device).
#
# --loader grub (UEFI only): OVMF's PXE loads GRUB's core.efi instead of iPXE; GRUB reads
# grub/grub.cfg, which loads the per-MAC grub.cfg-01-<mac> (the server's grub-deploy form).
#
# --loader httpboot (UEFI): OVMF's PXE entries are off (fw_cfg), so it does UEFI HTTP Boot:
# dnsmasq's HTTPClient answer names <server>/boot/ipxe/snponly.efi, which ezio-server serves;
# iPXE then continues as on the ipxe path (kernel and initrd over HTTP).
# --loader shim (UEFI; the default with --firmware uefi-secureboot): OVMF's PXE loads Debian's
# signed shim (shimx64.efi), shim the signed network GRUB beside it, which reads
# grub/grub.cfg and the per-MAC file like core.efi. --firmware uefi-secureboot: OVMF's Secure
# Boot build with Microsoft's keys enrolled (OVMF_CODE_4M.secboot.fd + OVMF_VARS_4M.ms.fd, SMM);
# the deployed test disk then carries signed shim + GRUB too (mk-test-disk.sh --signed), the
# run also wants the kernel's "Secure boot enabled" line, and any kernel line about an
# unsigned module or a lockdown refusal fails it.
# --firmware uefi-secureboot with an unsigned --loader (ipxe, grub), or --expect-refusal:
# the negative test; passes when the firmware refused the loader it fetched over TFTP
# ("Access Denied" on the console) and nothing of it ran.
#
# Inside a private network namespace (nothing on the host network changes):
#   bridge br0 10.77.0.1/24 + fd00:77::1/64, tap0 for the VM,
#   dnsmasq rendered from pxe/dnsmasq/lab.conf.in (DHCP, router adverts, TFTP),
#   busybox httpd on 10.77.0.1:8080 serving the boot root under /boot/ the way
#   ezio-server serves /boot/<mac>.ipxe (static per-MAC deploy script rendered
#   from pxe/templates/ipxe-deploy.tmpl when present),
#   QEMU (TCG) with an empty virtio disk, netbooting:
#     bios: SeaBIOS + the NIC's iPXE option ROM -> ezio.ipxe -> per-MAC script
#     uefi: OVMF's own PXE -> ipxe/snponly.efi -> ezio.ipxe -> per-MAC script
#   then kernel + initrd over HTTP; the live variant fetches the squashfs.
# EZIO_SERVER_BIN=path/to/ezio-server: the real server also runs in the lab on
# 10.77.0.1:8080 and the agent's ezio.server points at it (static files and the
# per-MAC script then come from busybox httpd on :8081); the run then also waits
# for the server's "Machine <mac> registered" line.
# Milestones (seconds since QEMU started) come from dnsmasq's log and the serial
# console; the run passes when the READY line appears on the serial console.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

variant=live firmware=bios loader=ipxe dhcp=lab timeout="" agent_wait=30 keep=0 deploy=0 image_mib="" vms=1
expect_refusal=0 loader_set=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --variant) variant=$2; shift ;;
        --firmware) firmware=$2; shift ;;
        --loader) loader=$2; loader_set=1; shift ;;
        --expect-refusal) expect_refusal=1 ;;
        --dhcp) dhcp=$2; shift ;;
        --timeout) timeout=$2; shift ;;
        --agent-wait) agent_wait=$2; shift ;;
        --keep) keep=1 ;;
        --deploy) deploy=1 ;;
        --image-mib) image_mib=$2; shift ;;
        --vms) vms=$2; shift ;;
        *) echo "e2e-vm.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[[ $vms =~ ^[1-4]$ ]] || { echo "--vms 1..4" >&2; exit 2; }
case $firmware in bios | uefi | uefi-secureboot) ;; *) echo "--firmware bios|uefi|uefi-secureboot" >&2; exit 2 ;; esac
secureboot=0
if [[ $firmware == uefi-secureboot ]]; then secureboot=1; fi
# Secure Boot runs only signed loaders: shim by default; naming an unsigned one (ipxe, grub)
# is the negative test.
if ((secureboot)) && [[ $loader_set -eq 0 ]]; then loader=shim; fi
if ((secureboot)) && [[ $loader == ipxe || $loader == grub || $loader == httpboot ]]; then expect_refusal=1; fi
# OVMF's Secure Boot build runs its variable store in SMM: under TCG on a busy machine it
# needs minutes to reach PXE, twice per loop.
if [[ -z $timeout ]]; then timeout=600; ((secureboot)) && timeout=1800; fi
if ((expect_refusal)); then
    ((secureboot)) || { echo "--expect-refusal needs --firmware uefi-secureboot" >&2; exit 2; }
    [[ $loader == ipxe || $loader == grub || $loader == httpboot ]] || { echo "--expect-refusal needs an unsigned --loader (ipxe, grub, httpboot)" >&2; exit 2; }
fi
case $loader/$firmware in
    ipxe/* | pxelinux/bios | grub/uefi* | shim/uefi* | httpboot/uefi*) ;;
    *) echo "--loader $loader does not boot with --firmware $firmware" >&2; exit 2 ;;
esac
((vms == 1 || deploy == 1)) || { echo "--vms needs --deploy" >&2; exit 2; }
if [[ -z $image_mib ]]; then image_mib=16; ((vms > 1)) && image_mib=64; fi
[[ $(id -u) -eq 0 ]] || { echo "e2e-vm.sh: needs root (network namespace, tap)" >&2; exit 1; }

live_dir=${LIVE_OUT:-$repo/out/boot/live}
initrd_dir=${INITRD_AGENT_OUT:-$repo/out/boot/initrd-agent}
case $variant in
    live) [[ -f $live_dir/vmlinuz && -f $live_dir/filesystem.squashfs ]] || { echo "no live image in $live_dir: make image" >&2; exit 1; } ;;
    initrd) [[ -f $initrd_dir/vmlinuz && -f $initrd_dir/initrd.img ]] || { echo "no agent initrd in $initrd_dir: make initrd-agent" >&2; exit 1; } ;;
    *) echo "--variant live|initrd" >&2; exit 2 ;;
esac

need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v dnsmasq >/dev/null || need+=(dnsmasq-base)
[[ -f /usr/lib/ipxe/qemu/efi-virtio.rom ]] || need+=(ipxe-qemu)
[[ -f /usr/share/OVMF/OVMF_CODE_4M.fd ]] || need+=(ovmf)
if ! [[ $(ldd /bin/busybox 2>&1 || true) == *"not a dynamic"* ]]; then need+=(busybox-static); fi
if ((${#need[@]})); then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
fi

server_ip=10.77.0.1
server=http://$server_ip:8080
files=$server
server_bin=${EZIO_SERVER_BIN:-}
if [[ -n $server_bin ]]; then
    [[ -x $server_bin ]] || { echo "EZIO_SERVER_BIN $server_bin is not executable" >&2; exit 1; }
    files=http://$server_ip:8081
fi
if [[ $deploy -eq 1 ]]; then
    [[ -n $server_bin ]] || { echo "--deploy needs EZIO_SERVER_BIN (the real ezio-server)" >&2; exit 1; }
    ezio_bin=${EZIO_BIN:-$repo/out/ezio}
    [[ -x $ezio_bin ]] || { echo "--deploy needs EZIO_BIN (ezio, for the image's torrent)" >&2; exit 1; }
    # Everything comes from the server: per-MAC script, kernel, initrd, squashfs.
    files=$server
fi
mac=52:54:00:e2:10:0${RANDOM:0:1}
mac_hyp=${mac//:/-}
# VM 0 is "the" VM of the single-VM proof; VMs 1.. only exist with --vms.
macs=("$mac")
for ((v = 1; v < vms; v++)); do macs+=("52:54:00:e2:1$v:0${mac: -1}"); done
vm_file() { if (($2 == 0)); then echo "$1"; else echo "${1%.*}-$2.${1##*.}"; fi; }  # serial.log 1 -> serial-1.log
ns=ezio-e2e-$$
site_ns=ezio-site-$$
work=$(mktemp -d /tmp/ezio-e2e.XXXXXX)
chmod 0755 "$work"
root=$work/www/boot
pids=()

cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    ip netns del "$ns" 2>/dev/null || true
    ip netns del "$site_ns" 2>/dev/null || true
    if [[ $keep -eq 0 ]]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT

# Boot root: iPXE, GRUB, PXELINUX, chain script, live image.
console="console=ttyS0,115200n8"
# TCG on a starved host: the kernel's IO-APIC timer check can fail ("IO-APIC + timer doesn't
# work!", a panic seen under Secure Boot OVMF with a load of 60+); a VM needs no such check.
console+=" no_timer_check"
case $variant in
    live)
        append="boot=live fetch=$files/boot/live/filesystem.squashfs components $console"
        "$repo/pxe/boot-setup.sh" --boot-root "$root" --server-url "$files" --live "$live_dir" --append "$append" >/dev/null
        kernel=live/vmlinuz initrd=live/initrd.img
        ready='EZIO-LIVE-READY'
        ;;
    initrd)
        append="$console"
        "$repo/pxe/boot-setup.sh" --boot-root "$root" --server-url "$files" --live /nonexistent --append "$append" >/dev/null
        mkdir -p "$root/initrd-agent"
        cp "$initrd_dir/vmlinuz" "$initrd_dir/initrd.img" "$root/initrd-agent/"
        kernel=initrd-agent/vmlinuz initrd=initrd-agent/initrd.img
        ready='EZIO-INITRD-READY'
        ;;
esac

# The per-MAC deploy script, as ezio-server renders it (with --deploy the server itself
# answers /boot/<mac>.ipxe from the deployment's state).
if [[ $deploy -eq 0 ]]; then
template=$repo/pxe/templates/ipxe-deploy.tmpl
if [[ ! -f $template ]]; then
    template=$work/ipxe-deploy.tmpl
    cat >"$template" <<'EOF'
#!ipxe
# Ezio: deploy {{image}} to {{mac}} (deployment {{deployment}})
kernel {{server}}/boot/{{kernel}} {{append}} ezio.server={{server}} ezio.job={{deployment}} ezio.after={{after}} initrd=initrd
initrd --name initrd {{server}}/boot/{{initrd}}
boot
EOF
fi
"$here/render-menu.sh" "$template" mac="$mac" image=e2e deployment=e2e-vm after=stay \
    server="$files" api="$files" kernel="$kernel" initrd="$initrd" append="$append" >"$root/$mac_hyp.ipxe"
# With a real server, files come from :8081 but the agent must talk to :8080.
sed -i "s|ezio.server=$files|ezio.server=$server|" "$root/$mac_hyp.ipxe"
if [[ $loader == grub || $loader == shim || $loader == httpboot ]]; then
    gtemplate=$repo/pxe/templates/grub-deploy.tmpl
    if [[ ! -f $gtemplate ]]; then
        gtemplate=$work/grub-deploy.tmpl
        cat >"$gtemplate" <<'EOF2'
# Ezio: deploy {{image}} to {{mac}} (deployment {{deployment}})
set default=0
set timeout=3

menuentry "Ezio: deploy {{image}}" {
  linux /{{kernel}} {{append}} ezio.server={{server}} ezio.job={{deployment}} ezio.after={{after}}
  initrd /{{initrd}}
}
EOF2
    fi
    # GRUB loads over TFTP from its prefix device; the template makes the paths absolute.
    "$here/render-menu.sh" "$gtemplate" mac="$mac" image=e2e deployment=e2e-vm after=stay \
        server="$server" api="$server" kernel="$kernel" initrd="$initrd" append="$append" >"$root/grub/grub.cfg-01-$mac"
fi
cp "$root/$mac_hyp.ipxe" "$root/$mac.ipxe"
else
    # The image: a small bootable GPT disk, as raw data + torrent in the repository
    # (under Secure Boot with signed shim and GRUB on its ESP).
    mkdir -p "$work/repo/e2e-disk" "$work/state"
    signed_disk=()
    ((secureboot)) && signed_disk=(--signed)
    "$here/mk-test-disk.sh" "${signed_disk[@]}" "$work/repo/e2e-disk/data" "$image_mib" >/dev/null
    "$ezio_bin" torrent create "$work/repo/e2e-disk/data" -o "$work/repo/e2e-disk/e2e-disk.torrent" \
        --piece-size 256K --name e2e-disk >/dev/null
    kernel_dir=${kernel%%/*}
    cat >"$work/server.json" <<EOF
{
  "menus": { "bootRoot": "$root", "serverUrl": "$server", "kernel": "$kernel", "initrd": "$initrd",
             "append": "$append" }
}
EOF
fi

# What UEFI PXE loads: iPXE, GRUB's core.efi, or the signed shim (HTTP Boot: shim by URL).
uefi=ipxe
case $loader in grub) uefi=grub ;; shim) uefi=shim ;; esac
case $dhcp in
    lab) "$repo/pxe/dnsmasq-config.sh" lab --iface br0 --server-ip "$server_ip" --server-url "$server" \
            --tftp-root "$root" --uefi "$uefi" >"$work/dnsmasq.conf" ;;
    proxy) "$repo/pxe/dnsmasq-config.sh" proxy --iface br0 --server-ip "$server_ip" --server-url "$server" \
            --tftp-root "$root" --proxy-net 10.77.0.0 --uefi "$uefi" >"$work/dnsmasq.conf" ;;
    *) echo "--dhcp lab|proxy" >&2; exit 2 ;;
esac
dnsmasq --test -C "$work/dnsmasq.conf" >/dev/null 2>&1
# The e2e wants dnsmasq's log in a file (with times), not on stderr.
sed -i '/^log-facility=/d' "$work/dnsmasq.conf"
if [[ $loader == pxelinux ]]; then
    [[ $deploy -eq 1 ]] || { echo "--loader pxelinux needs --deploy (the server writes its menus)" >&2; exit 2; }
    sed -i 's|^dhcp-boot=tag:ipxe,ezio.ipxe|dhcp-boot=tag:ipxe,lpxelinux.0|' "$work/dnsmasq.conf"
fi

# The lab: a namespace with a bridge and the VM's tap.
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add br0 type bridge
ip -n "$ns" addr add "$server_ip/24" dev br0
ip -n "$ns" -6 addr add fd00:77::1/64 dev br0 nodad
for ((v = 0; v < vms; v++)); do
    ip -n "$ns" tuntap add "tap$v" mode tap
    ip -n "$ns" link set "tap$v" master br0
    ip -n "$ns" link set "tap$v" up
done
ip -n "$ns" link set br0 up

if [[ $dhcp == proxy ]]; then
    # The site's own DHCP server: addresses only, no boot information.
    ip netns add "$site_ns"
    ip link add vsite netns "$site_ns" type veth peer name vlab netns "$ns"
    ip -n "$ns" link set vlab master br0
    ip -n "$ns" link set vlab up
    ip -n "$site_ns" link set lo up
    ip -n "$site_ns" addr add 10.77.0.2/24 dev vsite
    ip -n "$site_ns" link set vsite up
    printf '%s\n' port=0 interface=vsite bind-interfaces dhcp-range=10.77.0.100,10.77.0.199,1h \
        dhcp-authoritative >"$work/site.conf"
    ip netns exec "$site_ns" dnsmasq --keep-in-foreground --conf-file="$work/site.conf" --user=root \
        --pid-file="$work/site.pid" --dhcp-leasefile="$work/site.leases" --log-dhcp \
        --log-facility="$work/site.log" &
    pids+=($!)
fi
ip netns exec "$ns" dnsmasq --keep-in-foreground --conf-file="$work/dnsmasq.conf" --user=root \
    --pid-file="$work/dnsmasq.pid" --dhcp-leasefile="$work/leases" --log-dhcp \
    --log-facility="$work/dnsmasq.log" &
pids+=($!)
if [[ $deploy -eq 0 ]]; then
    ip netns exec "$ns" busybox httpd -f -p "${files#http://}" -h "$work/www" &
    pids+=($!)
fi
if [[ $deploy -eq 1 ]]; then
    ip netns exec "$ns" "$server_bin" --config "$work/server.json" --repo "$work/repo" --listen "$server" \
        --public-url "$server" --state "$work/state" --live-dir "$root/$kernel_dir" --ocsmgrd-port -1 \
        >"$work/server.log" 2>&1 &
    pids+=($!)
    # Bounded wait until the API answers (a port that accepts may not serve yet), then the
    # deployment of the test disk to the VMs.
    for ((i = 0; i < 120; i++)); do
        ip netns exec "$ns" "$server_bin" status --server "$server" --state "$work/state" >/dev/null 2>&1 && break
        sleep 0.5
    done
    created=0
    for ((i = 0; i < 10; i++)); do
        if ip netns exec "$ns" "$server_bin" deploy e2e-disk --machines "$(IFS=,; echo "${macs[*]}")" --after reboot \
               --server "$server" --state "$work/state" >"$work/deploy.log" 2>&1; then
            created=1
            break
        fi
        sleep 0.5
    done
    [[ $created -eq 1 ]] || { echo "e2e-vm: deployment not created:"; cat "$work/deploy.log" "$work/server.log"; exit 1; }
elif [[ -n $server_bin ]]; then
    mkdir -p "$work/repo" "$work/state" "$work/menus"
    ip netns exec "$ns" "$server_bin" --repo "$work/repo" --listen "$server" --public-url "$server" \
        --state "$work/state" --boot-root "$work/menus" --ocsmgrd-port 6461 >"$work/server.log" 2>&1 &
    pids+=($!)
fi

# The QEMU command line of VM $1 (tap$1, its own disk, serial log and UEFI variables).
# qemu takes comma-separated sub-options (file=...,format=raw): the commas are not array separators.
# shellcheck disable=SC2054
qemu_for() {
    local v=$1 vm_mac=${macs[$1]} disk serial mem=2048
    disk=$work/$(vm_file disk.img "$v")
    serial=$work/$(vm_file serial.log "$v")
    ((vms > 1)) && mem=1024
    truncate -s 2G "$disk"
    qemu=(qemu-system-x86_64 -machine q35 -accel tcg,thread=multi -smp 2 -m "$mem"
          -display none -monitor none -serial "file:$serial"
          -netdev "tap,id=n0,ifname=tap$v,script=no,downscript=no")
    if [[ $deploy -eq 0 ]]; then
        qemu+=(-no-reboot -drive "file=$disk,format=raw,if=virtio,cache=unsafe")
    elif [[ $firmware == bios ]]; then
        qemu+=(-drive "file=$disk,format=raw,if=virtio,cache=unsafe")
    elif ((expect_refusal)); then
        qemu+=(-no-reboot -drive "file=$disk,format=raw,if=none,id=d0,cache=unsafe" -device virtio-blk-pci,drive=d0,bootindex=2)
    else
        qemu+=(-drive "file=$disk,format=raw,if=none,id=d0,cache=unsafe" -device virtio-blk-pci,drive=d0,bootindex=2)
    fi
    case $firmware in
        bios)
            # Debian's virtio iPXE ROM is not run by SeaBIOS here; the e1000 ROM is.
            # -boot order=nc: the NIC first, then the disk (iPXE's "exit" falls through to it).
            qemu+=(-boot order=nc -device "e1000,netdev=n0,mac=$vm_mac,romfile=/usr/lib/ipxe/qemu/pxe-e1000.rom"
                   -debugcon "file:$work/$(vm_file firmware.log "$v")" -global isa-debugcon.iobase=0x402) ;;
        uefi | uefi-secureboot)
            local code=/usr/share/OVMF/OVMF_CODE_4M.fd vars=/usr/share/OVMF/OVMF_VARS_4M.fd
            if ((secureboot)); then
                # Secure Boot build (its variables are protected by SMM) with Microsoft's keys
                # enrolled: shim, signed by Microsoft's UEFI CA, is what it runs.
                code=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd vars=/usr/share/OVMF/OVMF_VARS_4M.ms.fd
                qemu[2]=q35,smm=on
                qemu+=(-global driver=cfi.pflash01,property=secure,value=on)
            fi
            cp "$vars" "$work/$(vm_file vars.fd "$v")"
            # romfile= (empty): no iPXE ROM, so OVMF's own PXE loads snponly.efi.
            qemu+=(-drive "if=pflash,format=raw,readonly=on,file=$code"
                   -drive "if=pflash,format=raw,file=$work/$(vm_file vars.fd "$v")"
                   -device "virtio-net-pci,netdev=n0,mac=$vm_mac,romfile=,bootindex=1")
            if [[ $loader == httpboot ]]; then
                # HTTP Boot only: without PXE entries OVMF goes straight to "UEFI HTTPv4".
                qemu+=(-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=n
                       -fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=n)
            fi ;;
    esac
}

echo "e2e-vm: $variant/$firmware/$loader/$dhcp-dhcp, mac ${macs[*]}, namespace $ns, work $work"
start=$(date +%s.%N)
qemu_pids=()
for ((v = 0; v < vms; v++)); do
    qemu_for "$v"
    ip netns exec "$ns" nice -n 10 "${qemu[@]}" &
    qemu_pids+=($!)
    pids+=($!)
done

elapsed() { awk -v s="$start" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }'; }
declare -A seen=()
milestone() {  # name, file, extended regexp
    [[ -n ${seen[$1]:-} ]] && return 0
    if [[ -f $2 ]] && grep -aqE "$3" "$2"; then
        seen[$1]=$(elapsed)
        printf '  %-28s %6ss\n' "$1" "${seen[$1]}"
    fi
}
checks=(
    "tftp iPXE|dnsmasq.log|tftp.*sent .*(snponly\.efi|undionly\.kpxe)"
    "tftp GRUB core.efi|dnsmasq.log|sent .*core\.efi"
    "tftp grub.cfg-01-<mac>|dnsmasq.log|sent .*grub\.cfg-01-"
    "tftp pxelinux.cfg/01-<mac>|dnsmasq.log|sent .*pxelinux\.cfg/01-"
    "tftp ezio.ipxe|dnsmasq.log|sent .*ezio\.ipxe"
    "http boot iPXE|serial.log|URI: http://.*/boot/ipxe/snponly\.efi"
    "tftp shim|dnsmasq.log|sent .*/shimx64\.efi"
    "tftp signed GRUB|dnsmasq.log|sent .*/grubx64\.efi"
    "kernel started|serial.log|Linux version"
    "initramfs started|serial.log|Run /init|ezio-initrd: init|Loading, please wait"
    "systemd started|serial.log|systemd\[1\]: (Detected|Reached|Started|Hostname)|Welcome to .*Debian"
    "$ready|serial.log|$ready"
)
if [[ -n $server_bin ]]; then
    checks+=("agent registered (server)|server.log|registered from")
fi
if ((secureboot)); then
    checks+=("secure boot on (kernel)|serial.log|Secure boot enabled")
    # The firmware's refusal of an unsigned image (OVMF prints the status of the load).
    checks+=("firmware refused a loader|serial.log|Access Denied|Security Violation")
    # Lockdown: a module without a valid signature, or an operation lockdown forbids a user
    # process (kernel threads, "swapper/0: hibernation is restricted" at boot, carry a "/").
    checks+=("LOCKDOWN PROBLEM|serial.log|module verification failed|Loading of unsigned module|Lockdown: [^ /]+: .* is restricted")
    if ((expect_refusal)); then
        checks+=("UNSIGNED LOADER RAN|serial.log|Welcome to GRUB|iPXE initialising")
    fi
fi
if [[ $deploy -eq 1 ]]; then
    checks+=(
        "job issued|server.log|got job"
        "deploy done (server)|server.log|done with .*ok=True"
        "menu flipped to local|server.log|Boot menus of .* now local"
        "reboot|serial.log|reboot: Restarting system"
        "deployed system booted|serial.log|EZIO-DEPLOYED-OK"
    )
    for ((v = 1; v < vms; v++)); do
        checks+=(
            "vm$v done (agent)|$(vm_file serial.log "$v")|Server acknowledged done"
            "vm$v deployed system booted|$(vm_file serial.log "$v")|EZIO-DEPLOYED-OK"
        )
    done
    if ((vms > 1)); then
        checks+=("deployment finished (all)|server.log|Deployment .* is now Finished")
    fi
fi
passed() {
    if ((expect_refusal)); then
        # The unsigned loader came over TFTP, and the firmware refused it.
        [[ -n ${seen["firmware refused a loader"]:-} ]] &&
            [[ -n ${seen["tftp iPXE"]:-} || -n ${seen["tftp GRUB core.efi"]:-} || -n ${seen["http boot iPXE"]:-} ]]
        return
    fi
    if ((secureboot)); then
        [[ -n ${seen["secure boot on (kernel)"]:-} ]] || return 1
    fi
    if [[ $deploy -eq 1 ]]; then
        [[ -n ${seen["deployed system booted"]:-} ]] || return 1
        local v
        for ((v = 1; v < vms; v++)); do
            [[ -n ${seen["vm$v deployed system booted"]:-} ]] || return 1
        done
    else
        [[ -n ${seen[$ready]:-} ]] && [[ -z $server_bin || -n ${seen["agent registered (server)"]:-} ]]
    fi
}
result=1
while :; do
    for c in "${checks[@]}"; do
        IFS='|' read -r name file re <<<"$c"
        milestone "$name" "$work/$file" "$re"
    done
    # Every DHCP client in the chain takes a lease: firmware, iPXE, initramfs, networkd.
    if [[ -f $work/dnsmasq.log ]]; then
        acks=$(cat "$work/dnsmasq.log" "$work/site.log" 2>/dev/null | grep -c 'DHCPACK' || true)
        for ((n = 1; n <= acks && n <= 4; n++)); do
            if [[ -z ${seen["dhcp lease #$n"]:-} ]]; then
                seen["dhcp lease #$n"]=$(elapsed)
                printf '  %-28s %6ss\n' "dhcp lease #$n" "${seen["dhcp lease #$n"]}"
            fi
        done
    fi
    if [[ -n ${seen["LOCKDOWN PROBLEM"]:-} || -n ${seen["UNSIGNED LOADER RAN"]:-} ]]; then
        echo "e2e-vm: Secure Boot broken (see the console below)"
        break
    fi
    if passed; then
        result=0
        break
    fi
    # A VM whose deployed disk booted may be gone (its GRUB halts); any other exit is a failure.
    exited=0
    for ((v = 0; v < vms; v++)); do
        kill -0 "${qemu_pids[$v]}" 2>/dev/null && continue
        grep -aq EZIO-DEPLOYED-OK "$work/$(vm_file serial.log "$v")" 2>/dev/null && [[ $deploy -eq 1 ]] && continue
        exited=1
    done
    ((exited == 0)) || { echo "e2e-vm: QEMU exited"; break; }
    if awk -v e="$(elapsed)" -v t="$timeout" 'BEGIN { exit !(e > t) }'; then
        echo "e2e-vm: timeout after ${timeout}s"
        break
    fi
    sleep 0.5
done

if [[ $result -eq 0 && $agent_wait -gt 0 && $deploy -eq 0 ]]; then
    # Let the agent start and talk to the (static) server for a while.
    sleep "$agent_wait"
fi
echo "---- serial console (last lines) ----"
tail -n 25 "$work/serial.log" | tr -d '\r' || true
grep -aE "$ready" "$work/serial.log" | tr -d '\r' || true
if [[ -n $server_bin ]]; then
    echo "---- ezio-server ----"
    tail -n 15 "$work/server.log" || true
fi
echo "---- agent lines ----"
grep -aiE 'ezio agent|agent|register' "$work/serial.log" | tr -d '\r' | tail -n 8 || true
if ((secureboot)); then
    echo "---- Secure Boot lines ----"
    grep -aE 'Secure boot|secureboot|Lockdown|lockdown|Access Denied|Security Violation|module verification' "$work/serial.log" |
        tr -d '\r' | tail -n 12 || true
fi
if [[ $deploy -eq 1 ]] && ((!expect_refusal)); then
    for p in "${qemu_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${qemu_pids[@]}"; do wait "$p" 2>/dev/null || true; done
    echo "---- deployed disk ----"
    # The image's bytes between the BIOS boot partition and the backup GPT must be on the disk
    # (the agent moves the backup GPT to the disk's end, so the tail differs).
    image_bytes=$(stat -c %s "$work/repo/e2e-disk/data")
    want=pc
    [[ $firmware == uefi* ]] && want=efi
    uploaded=0
    for ((v = 0; v < vms; v++)); do
        disk=$work/$(vm_file disk.img "$v") serial=$work/$(vm_file serial.log "$v")
        if cmp -n $((image_bytes - 2 * 1048576)) -i 1048576 "$work/repo/e2e-disk/data" "$disk"; then
            echo "vm$v: disk holds the image (MiB 1..$((image_bytes / 1048576 - 1)) identical)"
        else
            echo "e2e-vm: vm$v: the disk does not hold the image"
            result=1
        fi
        grep -m 1 -aoE 'EZIO-DEPLOYED-OK platform=[a-z]+' "$serial" || true
        if [[ $result -eq 0 ]] && ! grep -aq "EZIO-DEPLOYED-OK platform=$want" "$serial"; then
            echo "e2e-vm: vm$v: the deployed disk booted, but not through $firmware"
            result=1
        fi
        bytes=$(grep -aoE 'uploaded [0-9]+ bytes' "$serial" | tail -n 1 | awk '{ print $2 }' || true)
        if ((vms > 1)); then
            echo "vm$v: agent uploaded ${bytes:-?} bytes to its peers"
        fi
        uploaded=$((uploaded + ${bytes:-0}))
    done
    if ((vms > 1 && result == 0)); then
        if ((uploaded > 0)); then
            echo "peers: the VMs' agents uploaded $uploaded bytes to each other (the rest came from the server)"
        else
            echo "e2e-vm: the VMs fetched everything from the server, nothing from each other"
            result=1
        fi
    fi
fi
if [[ $result -eq 0 ]] && ((expect_refusal)); then
    echo "e2e-vm: PASS $firmware refused the unsigned $loader loader at ${seen["firmware refused a loader"]}s"
elif [[ $result -eq 0 && $deploy -eq 1 ]]; then
    echo "e2e-vm: PASS $variant/$firmware deploy loop ($loader): deployed system booted at ${seen["deployed system booted"]}s"
elif [[ $result -eq 0 ]]; then
    echo "e2e-vm: PASS $variant/$firmware: $ready at ${seen[$ready]}s"
else
    echo "e2e-vm: FAIL $variant/$firmware"
    keep=1
fi
exit $result
