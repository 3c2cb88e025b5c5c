#!/usr/bin/env bash
# Populates a TFTP/HTTP boot root for Ezio netboot from Debian packages and the
# live image:
#
#   pxe/boot-setup.sh --boot-root DIR --server-url URL [--live DIR] [--append "ARGS"]
#                     [--signed-cache DIR]
#
#   DIR/ipxe/undionly.kpxe, snponly.efi, ipxe.efi   iPXE (package ipxe)
#   DIR/ezio.ipxe                                    chain script -> URL/boot/<mac>.ipxe
#   DIR/grub/x86_64-efi/core.efi, grub/grub.cfg      GRUB EFI netboot (grub-mknetdir)
#   DIR/shimx64.efi, grubx64.efi, mmx64.efi         Secure Boot: Debian's signed shim and
#                                                    signed network GRUB (pxe/signed-efi.sh);
#                                                    GRUB reads grub/grub.cfg like core.efi
#   DIR/lpxelinux.0, pxelinux.0, *.c32, pxelinux.cfg/default   PXELINUX (BIOS)
#   DIR/live/vmlinuz, initrd.img, filesystem.squashfs, SHA256SUMS   the live image
#   DIR/ezio -> live                                 ezio-server's default kernel path
#   DIR/server-menus.json                            the "menus" block for server.json
#
# Installs ipxe, grub-efi-amd64-bin, pxelinux and syslinux-common with apt-get
# when missing. Safe to rerun: files are replaced, per-MAC menus are kept.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

boot_root="" server_url="" live_dir="$repo/out/boot/live" append="" signed_cache=/var/cache/ezio/signed-efi
while [[ $# -gt 0 ]]; do
    case $1 in
        --boot-root) boot_root=$2 ;;
        --server-url) server_url=${2%/} ;;
        --live) live_dir=$2 ;;
        --append) append=$2 ;;
        --signed-cache) signed_cache=$2 ;;
        *) echo "boot-setup.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done
[[ -n $boot_root && -n $server_url ]] || { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
# live-boot fetches the squashfs over HTTP from the server's /boot/ tree.
: "${append:=boot=live fetch=$server_url/boot/live/filesystem.squashfs components quiet}"

log() { printf '[boot-setup] %s\n' "$*"; }

need=()
[[ -f /usr/lib/ipxe/undionly.kpxe ]] || need+=(ipxe)
[[ -d /usr/lib/grub/x86_64-efi ]] || need+=(grub-efi-amd64-bin)
command -v grub-mknetdir >/dev/null || need+=(grub-common)
[[ -f /usr/lib/PXELINUX/lpxelinux.0 ]] || need+=(pxelinux)
[[ -f /usr/lib/syslinux/modules/bios/ldlinux.c32 ]] || need+=(syslinux-common)
if ((${#need[@]})); then
    log "apt-get install ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi

mkdir -p "$boot_root"
boot_root=$(cd "$boot_root" && pwd)

# iPXE: BIOS (UNDI, uses the ROM's driver), UEFI (SNP), and a full EFI build.
mkdir -p "$boot_root/ipxe"
for f in undionly.kpxe snponly.efi ipxe.efi; do
    if [[ -f /usr/lib/ipxe/$f ]]; then
        install -m 0644 "/usr/lib/ipxe/$f" "$boot_root/ipxe/$f"
    fi
done
"$here/render.sh" "$here/boot/ezio.ipxe.in" SERVER_URL="$server_url" >"$boot_root/ezio.ipxe"

# GRUB EFI: core.efi with the TFTP prefix (tftp)/grub; per-MAC files beside grub.cfg.
grub-mknetdir --net-directory="$boot_root" --subdir=grub \
    -d /usr/lib/grub/x86_64-efi >/dev/null
"$here/render.sh" "$here/boot/grub.cfg.in" >"$boot_root/grub/grub.cfg"
# Debian's signed GRUB sources $prefix/x86_64-efi/grub.cfg first; grub-mknetdir's relative
# "source grub/grub.cfg" there only works over TFTP, not over HTTP: name it through $prefix.
# shellcheck disable=SC2016 # GRUB expands $prefix, not bash
printf 'source "$prefix/grub.cfg"\n' >"$boot_root/grub/x86_64-efi/grub.cfg"

# Secure Boot: firmware -> shim (Microsoft UEFI CA) -> grubx64.efi, which shim verifies
# against Debian's key: the signed network GRUB. Over TFTP shim asks for grubx64.efi at the
# root whatever directory it came from (over HTTP: beside its URL), so both sit at the top.
# GRUB's built-in prefix is /grub on the server it came from: it reads the same
# grub/grub.cfg and per-MAC files as core.efi.
signed=$("$here/signed-efi.sh" --cache "$signed_cache")
install -m 0644 "$signed/shimx64.efi" "$boot_root/shimx64.efi"
install -m 0644 "$signed/grubnetx64.efi" "$boot_root/grubx64.efi"
install -m 0644 "$signed/mmx64.efi" "$boot_root/mmx64.efi"

# PXELINUX: lpxelinux.0 can also load over HTTP; pxelinux.0 for old setups.
install -m 0644 /usr/lib/PXELINUX/lpxelinux.0 /usr/lib/PXELINUX/pxelinux.0 "$boot_root/"
for m in ldlinux.c32 libutil.c32 libcom32.c32 menu.c32 chain.c32; do
    install -m 0644 "/usr/lib/syslinux/modules/bios/$m" "$boot_root/$m"
done
mkdir -p "$boot_root/pxelinux.cfg"
"$here/render.sh" "$here/boot/pxelinux-default.in" SERVER_URL="$server_url" APPEND="$append" \
    >"$boot_root/pxelinux.cfg/default"

# The live image.
mkdir -p "$boot_root/live"
if [[ -f $live_dir/vmlinuz && -f $live_dir/initrd.img ]]; then
    live_real=$(cd "$live_dir" && pwd)
    if [[ $live_real != "$boot_root/live" ]]; then
        for f in vmlinuz initrd.img filesystem.squashfs SHA256SUMS; do
            [[ -f $live_dir/$f ]] || continue
            # Hard link when on the same file system, copy otherwise.
            ln -f "$live_dir/$f" "$boot_root/live/$f.new" 2>/dev/null || cp "$live_dir/$f" "$boot_root/live/$f.new"
            mv -f "$boot_root/live/$f.new" "$boot_root/live/$f"
        done
    fi
    if [[ -f $boot_root/live/SHA256SUMS ]]; then
        (cd "$boot_root/live" && sha256sum --quiet -c SHA256SUMS) || { echo "boot-setup.sh: live image checksum mismatch" >&2; exit 1; }
    fi
else
    log "warning: no live image in $live_dir (make image); live/ left empty"
fi
[[ -e $boot_root/ezio ]] || ln -s live "$boot_root/ezio"

# The server.json "menus" values that match this boot root.
cat >"$boot_root/server-menus.json" <<JSON
{
  "menus": {
    "bootRoot": "$boot_root",
    "serverUrl": "$server_url",
    "kernel": "live/vmlinuz",
    "initrd": "live/initrd.img",
    "append": "$append"
  }
}
JSON

log "boot root ready: $boot_root"
(cd "$boot_root" && find . -maxdepth 2 \( -type f -o -type l \) | sort | sed 's/^/  /')
