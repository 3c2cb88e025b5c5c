#!/usr/bin/env bash
# A small bootable GPT disk image for the VM proof: the disk that ezio-server deploys and
# the VM then boots from. It carries no operating system, only GRUB, which proves the
# disk's own boot code ran by printing a marker on the serial console:
#
#   EZIO-DEPLOYED-OK platform=pc|efi
#
#   tests/boot/mk-test-disk.sh [--signed] OUT.img [SIZE_MIB]   (default 16; no root, no loop device)
#
# --signed: the ESP boots under Secure Boot, as a deployed Debian does: EFI/BOOT/BOOTX64.EFI is
# Debian's signed shim, EFI/BOOT/grubx64.efi the signed GRUB (pxe/signed-efi.sh), which reads
# EFI/BOOT/grub.cfg ($cmdpath) holding the configuration below.
#
# Layout (sgdisk): 1 = BIOS boot partition (1 MiB, EF02) holding GRUB's i386-pc core.img,
# 2 = EFI system partition (FAT, EF00) holding EFI/BOOT/BOOTX64.EFI. Both GRUB images
# are built with grub-mkimage and carry the same embedded configuration, so neither
# needs a file system of its own. The protective MBR gets GRUB's boot.img; what
# grub-bios-setup would do is done here by hand (it needs a block device):
#   boot.img  0x5c (8 bytes): LBA of core.img's first sector
#   core.img  0x1f4 (8 bytes): LBA of the rest of core.img, 0x1fc (2 bytes): its length in sectors
# FAT is written with mkfs.fat --offset + mtools (no vfat module needed on the build machine).
# Needs grub-pc-bin, grub-efi-amd64-bin, gdisk, dosfstools, mtools.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
signed=0
if [[ ${1:-} == --signed ]]; then signed=1; shift; fi
out=${1:?usage: mk-test-disk.sh [--signed] OUT.img [SIZE_MIB]}
size_mib=${2:-16}
((size_mib >= (signed ? 16 : 8))) || { echo "mk-test-disk.sh: at least 8 MiB (--signed: 16)" >&2; exit 2; }

need=()
[[ -f /usr/lib/grub/i386-pc/boot.img ]] || need+=(grub-pc-bin)
[[ -d /usr/lib/grub/x86_64-efi ]] || need+=(grub-efi-amd64-bin)
command -v grub-mkimage >/dev/null || need+=(grub-common)
command -v sgdisk >/dev/null || need+=(gdisk)
command -v mkfs.fat >/dev/null || need+=(dosfstools)
command -v mcopy >/dev/null || need+=(mtools)
if ((${#need[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "mk-test-disk.sh: missing ${need[*]} (apt-get install them)" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/embed.cfg" <<'EOF'
serial --unit=0 --speed=115200
terminal_output serial
echo "EZIO-DEPLOYED-OK platform=${grub_platform}: the deployed disk's own boot code is running"
sleep 2
halt
EOF
modules="serial terminal echo sleep halt part_gpt"
grub-mkimage -O i386-pc -o "$tmp/core.img" -c "$tmp/embed.cfg" -p '(hd0,gpt2)/' biosdisk $modules
grub-mkimage -O x86_64-efi -o "$tmp/BOOTX64.EFI" -c "$tmp/embed.cfg" -p '/EFI/BOOT' $modules

# GPT: BIOS boot partition at 1 MiB, ESP from 2 MiB to the end.
rm -f "$out"
truncate -s "${size_mib}M" "$out"
sgdisk -o -n 1:2048:4095 -t 1:EF02 -c 1:bios-boot -n 2:4096:0 -t 2:EF00 -c 2:ezio-esp "$out" >/dev/null
core_lba=2048
esp_lba=4096
esp_sectors=$(sgdisk -i 2 "$out" | awk '/^Last sector:/ { print $3 }')
esp_sectors=$((esp_sectors - esp_lba + 1))

core_bytes=$(stat -c %s "$tmp/core.img")
core_sectors=$(((core_bytes + 511) / 512))
((core_sectors <= 2048)) || { echo "mk-test-disk.sh: core.img ($core_bytes bytes) does not fit the BIOS boot partition" >&2; exit 1; }

le64() { printf '%016x' "$1" | sed 's/../& /g' | awk '{ for (i = NF; i >= 1; i--) printf "\\x%s", $i }'; }
le16() { printf '%04x' "$1" | sed 's/../& /g' | awk '{ for (i = NF; i >= 1; i--) printf "\\x%s", $i }'; }
patch() { printf "$3" | dd of="$1" bs=1 seek=$(($2)) conv=notrunc status=none; }

cp /usr/lib/grub/i386-pc/boot.img "$tmp/boot.img"
patch "$tmp/boot.img" 0x5c "$(le64 $core_lba)"
patch "$tmp/core.img" 0x1f4 "$(le64 $((core_lba + 1)))"
patch "$tmp/core.img" 0x1fc "$(le16 $((core_sectors - 1)))"
# Boot code only: bytes 440.. hold the disk signature and the protective partition entry.
dd if="$tmp/boot.img" of="$out" bs=440 count=1 conv=notrunc status=none
dd if="$tmp/core.img" of="$out" bs=512 seek=$core_lba conv=notrunc status=none

mkfs.fat -n EZIO-ESP --offset=$esp_lba "$out" $((esp_sectors / 2)) >/dev/null
export MTOOLS_SKIP_CHECK=1
# mtools compares the FAT's size with the rest of the image file, which also holds the
# backup GPT, and warns; anything else it says is shown, and its exit status kept.
mtool() {
    local said
    said=$("$@" 2>&1) || { echo "$said" >&2; return 1; }
    grep -v 'block count mismatch' <<<"$said" >&2 || true
}
mtool mmd -i "$out@@$((esp_lba * 512))" ::/EFI ::/EFI/BOOT
if ((signed)); then
    efi=$("$here/../../pxe/signed-efi.sh")
    mtool mcopy -i "$out@@$((esp_lba * 512))" "$efi/shimx64.efi" ::/EFI/BOOT/BOOTX64.EFI
    mtool mcopy -i "$out@@$((esp_lba * 512))" "$efi/grubx64.efi" ::/EFI/BOOT/grubx64.efi
    mtool mcopy -i "$out@@$((esp_lba * 512))" "$tmp/embed.cfg" ::/EFI/BOOT/grub.cfg
else
    mtool mcopy -i "$out@@$((esp_lba * 512))" "$tmp/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
fi
# Random payload filling most of the ESP: an empty disk already matches every all-zero
# piece of the image, so without it the agent would fetch almost nothing.
head -c $(((size_mib - (signed ? 11 : 5)) * 1048576)) /dev/urandom >"$tmp/payload.bin"
mtool mcopy -i "$out@@$((esp_lba * 512))" "$tmp/payload.bin" ::/payload.bin

# The whole report first: grep -q on the pipe would stop reading at the match (SIGPIPE, pipefail).
verify=$(sgdisk -v "$out") || true
[[ $verify == *'No problems found'* ]] || { printf '%s\n' "$verify" >&2; exit 1; }
echo "$out: ${size_mib} MiB GPT, core.img $core_bytes bytes at LBA $core_lba, ESP $((esp_sectors / 2048)) MiB at LBA $esp_lba"
