#!/usr/bin/env bash
# Finds Debian's signed UEFI loaders, Secure Boot's chain for netboot, and prints the
# directory that holds them (one path, on stdout):
#
#   pxe/signed-efi.sh [--cache DIR]      (default /var/cache/ezio/signed-efi)
#
#   shimx64.efi          shim-signed: shim, signed with Microsoft's UEFI CA (in every PC's db)
#   mmx64.efi            shim-helpers-amd64-signed: MokManager, which shim starts on demand
#   grubnetx64.efi       grub-efi-amd64-signed: network GRUB signed by Debian (shim trusts it),
#                        modules built in, config from (tftp|http,<server>)/grub/
#   grubx64.efi          grub-efi-amd64-signed: the same for a local disk ($cmdpath/grub.cfg)
#
# Installed packages are used as they are; otherwise the packages are fetched with
# `apt-get download` and unpacked into the cache: installing shim-signed would run its
# maintainer scripts, which put shim onto this machine's own EFI system partition.
set -euo pipefail
cache=/var/cache/ezio/signed-efi
while [[ $# -gt 0 ]]; do
    case $1 in
        --cache) cache=$2 ;;
        *) echo "signed-efi.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done

declare -A want=(
    [shimx64.efi]=shim-signed:usr/lib/shim/shimx64.efi.signed
    [mmx64.efi]=shim-helpers-amd64-signed:usr/lib/shim/mmx64.efi.signed
    [grubnetx64.efi]=grub-efi-amd64-signed:usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed
    [grubx64.efi]=grub-efi-amd64-signed:usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed
)

# Everything installed on this machine: use it.
if all_in() {
    local name
    for name in "${!want[@]}"; do
        [[ -f $1/${want[$name]#*:} ]] || return 1
    done
}; all_in /; then
    src=/
else
    src=$cache/root
    if ! all_in "$src"; then
        mkdir -p "$cache/debs"
        pkgs=()
        for name in "${!want[@]}"; do
            pkg=${want[$name]%%:*}
            [[ " ${pkgs[*]} " == *" $pkg "* ]] || pkgs+=("$pkg")
        done
        (cd "$cache/debs" && apt-get download "${pkgs[@]}" >/dev/null 2>"$cache/apt.log") ||
            { echo "signed-efi.sh: apt-get download ${pkgs[*]} failed (apt-get update?):" >&2; cat "$cache/apt.log" >&2; exit 1; }
        rm -rf "$src.tmp"
        for pkg in "${pkgs[@]}"; do
            debs=("$cache/debs/${pkg}"_*.deb)
            [[ -f ${debs[-1]} ]] || { echo "signed-efi.sh: no $pkg package in $cache/debs" >&2; exit 1; }
            dpkg-deb -x "${debs[-1]}" "$src.tmp"
        done
        rm -rf "$src"
        mv "$src.tmp" "$src"
        all_in "$src" || { echo "signed-efi.sh: the packages lack a signed loader" >&2; exit 1; }
    fi
fi

# One directory with the plain names.
out=$cache/efi
mkdir -p "$out"
for name in "${!want[@]}"; do
    install -m 0644 "$src/${want[$name]#*:}" "$out/$name"
done
printf '%s\n' "$out"
