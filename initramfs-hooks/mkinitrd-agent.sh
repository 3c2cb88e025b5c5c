#!/usr/bin/env bash
# Builds the "agent in the initramfs" boot pair: a Debian kernel plus a small
# initrd that holds static busybox, the NIC/disk modules, the AOT `ezio` binary
# with the libraries it links or loads, and the partitioning tools the agent
# calls. No squashfs, no systemd: /init brings the network up and runs the agent.
#
#   initramfs-hooks/mkinitrd-agent.sh [options]      (or: make initrd-agent)
#
#   --ezio PATH        AOT binary                        [out/ezio]
#   --out DIR          vmlinuz, initrd.img, SHA256SUMS   [out/boot/initrd-agent]
#   --kernel auto|none|PKG.deb
#                      auto: apt-get download the linux-image-amd64 flavour (cached);
#                      none: no kernel, no modules (tests: a kernel with built-in drivers)
#   --trusted-pub PEM  installed as /etc/ezio/trusted.pub
#   --server-cert-sha256 HEX
#                      the server's HTTPS certificate, pinned in /etc/ezio/agent.json
#   --cache DIR        kernel package cache              [/var/cache/ezio/kernel]
#
# Environment: ZSTD_LEVEL (default 19; tests use 3).
# Needs: busybox-static, cpio, zstd, kmod (installed with apt-get when missing).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

ezio_bin=$repo/out/ezio
out=$repo/out/boot/initrd-agent
kernel=auto
trusted_pub=""
server_cert_sha256=""
cache=/var/cache/ezio/kernel
while [[ $# -gt 0 ]]; do
    case $1 in
        --ezio) ezio_bin=$2 ;;
        --out) out=$2 ;;
        --kernel) kernel=$2 ;;
        --trusted-pub) trusted_pub=$2 ;;
        --server-cert-sha256) server_cert_sha256=$2 ;;
        --cache) cache=$2 ;;
        *) echo "mkinitrd-agent.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done

log() { printf '[initrd-agent] %s\n' "$*"; }
die() { printf 'mkinitrd-agent.sh: %s\n' "$*" >&2; exit 1; }

[[ -x $ezio_bin ]] || die "no ezio binary at $ezio_bin (make publish, or --ezio)"

need=()
is_static() { [[ -x $1 && $(ldd "$1" 2>&1 || true) == *"not a dynamic"* ]]; }
if ! is_static /bin/busybox; then
    need+=(busybox-static)
fi
command -v cpio >/dev/null || need+=(cpio)
command -v zstd >/dev/null || need+=(zstd)
command -v depmod >/dev/null || need+=(kmod)
command -v xz >/dev/null || need+=(xz-utils)
if ((${#need[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
    else
        die "missing packages: ${need[*]}"
    fi
fi
busybox=/bin/busybox
is_static "$busybox" || die "$busybox is not static (install busybox-static)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,run,tmp,mnt,lib64,usr/lib/x86_64-linux-gnu,usr/local/bin,usr/share/udhcpc,var/lib/ezio-agent}
ln -s usr/lib "$root/lib"

# Copies a file (following symlinks) and every shared library it needs.
copied=()
copy_with_libs() {
    local src=$1 dest=${2:-$1}
    install -D -m 0755 "$(readlink -f "$src")" "$root$dest"
    local lib
    while read -r lib; do
        [[ -n $lib && -e $lib ]] || continue
        [[ -e $root$lib ]] && continue
        install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
        copied+=("$lib")
    done < <(ldd "$src" 2>/dev/null | awk '/=> \//{print $3} /^\t\/lib/{print $1}')
}

# busybox and its applets.
install -m 0755 "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
    [[ -e $root/bin/$applet || $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
done

# The agent, the libraries it links, and those .NET loads at run time.
copy_with_libs "$ezio_bin" /usr/local/bin/ezio
for lib in libssl.so.3 libcrypto.so.3 libzstd.so.1 libz.so.1 libgcc_s.so.1; do
    # awk reads ldconfig's whole output (no early exit): under pipefail an early exit would
    # kill ldconfig with SIGPIPE at random and abort the build.
    path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ && path == "" {path = $NF} END {print path}')
    [[ -n $path ]] || { log "warning: $lib not found on this machine"; continue; }
    copy_with_libs "$path"
done
# Partitioning tools the agent runs (busybox's fdisk is not enough for GPT), and those of
# the grow post-step (busybox's losetup has no --sizelimit).
for tool in sfdisk sgdisk partprobe blockdev wipefs partx losetup e2fsck resize2fs ntfsresize; do
    path=$(command -v "$tool" || true)
    if [[ -n $path ]]; then
        copy_with_libs "$path" "/sbin/$tool"
    else
        log "warning: $tool not on this machine; not in the initrd"
    fi
done
# getaddrinfo of glibc reads these for host names; keep them minimal.
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n' >"$root/etc/hosts"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
if [[ -n $trusted_pub ]]; then
    install -D -m 0644 "$trusted_pub" "$root/etc/ezio/trusted.pub"
fi
if [[ -n $server_cert_sha256 ]]; then
    "$repo/live-build/agent-config.sh" --sha256 "$server_cert_sha256" --out "$root/etc/ezio/agent.json" >/dev/null
fi

# Size of a PE image's Authenticode signature (its certificate table), 0 when it has none.
pe_signature_bytes() {
    local pe magic dir
    u32() { od -An -tu4 -j "$2" -N 4 "$1" | tr -d ' '; }
    pe=$(u32 "$1" 60)
    [[ $(od -An -c -j "$pe" -N 2 "$1" | tr -d ' ') == PE ]] || { echo 0; return; }
    magic=$(od -An -tu2 -j $((pe + 24)) -N 2 "$1" | tr -d ' ')
    # Data directory 4 (certificate table) of the optional header: PE32+ at 144, PE32 at 128.
    dir=$((pe + 24 + (magic == 523 ? 144 : 128)))
    u32 "$1" $((dir + 4))
}

# Kernel and modules.
kver=""
if [[ $kernel != none ]]; then
    mkdir -p "$cache"
    if [[ $kernel == auto ]]; then
        pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ && pkg == "" {pkg = $2} END {print pkg}')
        [[ -n $pkg ]] || die "apt-cache knows no linux-image-amd64 (apt-get update?)"
        debs=("$cache/${pkg}"_*.deb)
        if [[ ! -f ${debs[0]} ]]; then
            log "apt-get download $pkg"
            (cd "$cache" && apt-get download "$pkg" >/dev/null)
            debs=("$cache/${pkg}"_*.deb)
            [[ -f ${debs[0]} ]] || die "apt-get download $pkg left no package in $cache"
        fi
        deb=${debs[0]}
    else
        deb=$kernel
    fi
    kroot=$cache/extract-$(basename "$deb" .deb)
    if [[ ! -d $kroot ]]; then
        dpkg-deb -x "$deb" "$kroot.tmp"
        mv "$kroot.tmp" "$kroot"
    fi
    kvers=("$kroot"/lib/modules/*)
    [[ -d ${kvers[0]} ]] || die "no modules in $deb"
    kver=${kvers[0]##*/}
    # The package ships no modules.dep (its postinst makes it).
    [[ -s $kroot/lib/modules/$kver/modules.dep ]] || depmod -b "$kroot" "$kver"
    # NIC, disk and the few helpers they pull in; dependencies resolved by modprobe.
    sig_marker='~Module signature appended~'
    unsigned=()
    modules=(virtio_pci virtio_net virtio_blk virtio_scsi e1000 e1000e igb igc ixgbe i40e ice
             r8169 tg3 bnx2 bnxt_en atlantic vmxnet3 af_packet ahci sd_mod nvme usb_storage
             uas xhci_pci ehci_pci)
    : >"$root/etc/modules.order"
    declare -A seen=()
    for m in "${modules[@]}"; do
        while read -r kind path _; do
            [[ $kind == insmod && -z ${seen[$path]:-} ]] || continue
            seen[$path]=1
            rel=${path#"$kroot"}
            dest=${rel%.xz}
            dest=${dest%.zst}
            mkdir -p "$root$(dirname "$dest")"
            case $path in
                *.xz) xz -dc "$path" >"$root$dest" ;;
                *.zst) zstd -qdc "$path" >"$root$dest" ;;
                *) cp "$path" "$root$dest" ;;
            esac
            echo "$dest" >>"$root/etc/modules.order"
            # Unpacking keeps the signature: it sits at the end of the .ko itself.
            [[ $(tail -c 28 "$root$dest") == "$sig_marker" ]] || unsigned+=("${dest##*/}")
        done < <(modprobe -d "$kroot" -S "$kver" --show-depends "$m" 2>/dev/null || true)
    done
    log "kernel $kver, $(wc -l <"$root/etc/modules.order") modules"
    # Secure Boot puts the kernel in lockdown, which loads only modules signed by the kernel's
    # own key (Debian's): a signed kernel with an unsigned module would fail on those machines.
    ksig=$(pe_signature_bytes "$kroot/boot/vmlinuz-$kver")
    if ((ksig > 0)); then
        ((${#unsigned[@]} == 0)) || die "signed kernel $kver, but unsigned modules: ${unsigned[*]} (Secure Boot would refuse them)"
        log "kernel signed ($ksig-byte signature), every module signed: boots under Secure Boot"
    else
        log "warning: kernel $kver is not signed: machines with Secure Boot on will not start it"
    fi
fi

install -m 0755 "$here/initrd-agent/init" "$root/init"
install -m 0755 "$here/initrd-agent/udhcpc.script" "$root/usr/share/udhcpc/default.script"
install -m 0755 "$here/initrd-agent/systemctl" "$root/sbin/systemctl"

mkdir -p "$out"
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner 0:0 --quiet) \
    | zstd -q "-${ZSTD_LEVEL:-19}" -T0 >"$out/initrd.img.new"
mv -f "$out/initrd.img.new" "$out/initrd.img"
sums=(initrd.img)
if [[ -n $kver ]]; then
    cp "$kroot/boot/vmlinuz-$kver" "$out/vmlinuz"
    sums+=(vmlinuz)
fi
(cd "$out" && sha256sum "${sums[@]}" >SHA256SUMS)
log "$(du -h "$out/initrd.img" | cut -f1) initrd (uncompressed $(du -sh "$root" | cut -f1)) in $out"
