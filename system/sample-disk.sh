#!/usr/bin/env bash
# A realistic sample disk for the demo, cached: a GPT disk in a sparse file holding
#   p1  EFI system partition, FAT32 (mkfs.fat + mtools: the kernel needs no vfat driver),
#       with a real EFI loader and kernel from the host when there are any
#   p2  Linux root, ext4 (mkfs.ext4 -d: no mount), filled with world-readable system files
#       copied from the host (/etc, /usr/bin, /usr/sbin, /usr/lib, /usr/share)
# Each partition is reached through its own loop device over its byte range
# (losetup -o OFFSET --sizelimit SIZE): no udev, no /dev/loopNpM nodes.
#
#   system/sample-disk.sh OUT.img USED_MIB
#
# Prints nothing but errors; OUT.img is left alone when OUT.img.ok says it was built with the
# same USED_MIB. Needs root (losetup), sfdisk, mkfs.fat, mcopy, mkfs.ext4.
set -euo pipefail

out=${1:?usage: sample-disk.sh OUT.img USED_MIB}
used_mib=${2:?usage: sample-disk.sh OUT.img USED_MIB}
((used_mib >= 16)) || { echo "sample-disk: USED_MIB must be at least 16" >&2; exit 2; }
stamp=$out.ok
if [[ -f $out && -f $stamp && $(cat "$stamp") == "used_mib=$used_mib" ]]; then
    exit 0
fi
for tool in sfdisk mkfs.fat mcopy mmd mkfs.ext4 losetup tar; do
    command -v "$tool" >/dev/null || { echo "sample-disk: $tool is missing" >&2; exit 2; }
done

MiB=1048576
esp_mib=64
# The ESP gets up to a quarter of what is used, the root the rest; the root has headroom
# for the ext4 metadata (inode tables, journal) and some free space like a real system.
esp_fill=$((used_mib / 4 < 40 ? used_mib / 4 : 40))
root_fill=$((used_mib - esp_fill))

tmp=$(mktemp -d "${out%/*}/.sample-disk.XXXXXX")
loops=()
cleanup() {
    local l
    for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null || true; done
    rm -rf "$tmp"
    [[ -f $stamp ]] || rm -f "$out.part"
}
trap cleanup EXIT

# Files for a partition: world-readable regular files and symlinks from DIRS, in order,
# up to BYTES (counted in 4 KiB blocks; a file that would overshoot is skipped). Secrets (anything not world-readable)
# never leave the host.
pick_files() { # pick_files BYTES LIST DIRS...
    local bytes=$1 list=$2
    shift 2
    { find "$@" -xdev \( -type f -perm -o+r -o -type l \) -printf '%s %p\n' 2>/dev/null || true; } |
        awk -v want="$bytes" '{ b = int(($1 + 4095) / 4096) * 4096; if (total + b > want) next
            sub(/^[0-9]+ /, ""); print; total += b }' >"$list"
}

rm -f "$out" "$stamp"
mkdir -p "$tmp/root"/{dev,proc,sys,run,tmp,home,root,var/log,boot/efi}
pick_files $((root_fill * MiB)) "$tmp/root.list" /etc /usr/bin /usr/sbin /usr/lib /usr/share
tar -C / --no-recursion -cf - -T <(sed 's|^/||' "$tmp/root.list") 2>/dev/null | tar -C "$tmp/root" -xf -
for l in bin sbin lib lib64; do [[ -e $tmp/root/$l ]] || ln -s "usr/$l" "$tmp/root/$l"; done
printf 'ezio-sample\n' >"$tmp/root/etc/hostname"
# The root's size follows what was staged: room for the metadata (inode tables, journal)
# and a fifth free, like a real system.
staged_mib=$(du -s -B $MiB "$tmp/root" | cut -f1)
inodes=$(($(find "$tmp/root" | wc -l) * 3 / 2 + 2048))
root_mib=$((staged_mib * 5 / 4 + 48))
disk_mib=$((1 + esp_mib + root_mib + 1))
truncate -s $((disk_mib * MiB)) "$out.part"
sfdisk --quiet "$out.part" <<EOF
label: gpt
first-lba: 2048
start=2048, size=$((esp_mib * 2048)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system"
start=$(((1 + esp_mib) * 2048)), size=$((root_mib * 2048)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root"
EOF

attach() { # attach OFFSET_MIB SIZE_MIB: sets LOOP
    LOOP=$(losetup --find --show -o $(($1 * MiB)) --sizelimit $(($2 * MiB)) "$out.part")
    loops+=("$LOOP")
}

# p1: FAT32 with a loader, a kernel and whatever else fits (real binaries, not zeros).
attach 1 "$esp_mib"
esp=$LOOP
mkfs.fat -I -F 32 -s 1 -n EZIO-ESP "$esp" >/dev/null
losetup -d "$esp"
loops=()
# mtools asks a block device for its geometry, which a loop device lacks: it writes the
# files through the disk file at the partition's offset instead.
esp="$out.part@@$((1 * MiB))"
export MTOOLS_SKIP_CHECK=1
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/ezio ::/boot
loader=""
for f in /usr/lib/grub/x86_64-efi/monolithic/grubx64.efi /boot/ipxe.efi; do
    [[ -r $f ]] && { loader=$f; break; }
done
if [[ -n $loader ]]; then
    mcopy -i "$esp" "$loader" ::/EFI/BOOT/BOOTX64.EFI
fi
printf 'title Ezio sample\nlinux /boot/vmlinuz\ninitrd /boot/initrd.img\n' >"$tmp/ezio.conf"
mcopy -i "$esp" "$tmp/ezio.conf" ::/EFI/ezio/ezio.conf
pick_files $((esp_fill * MiB)) "$tmp/esp.list" /boot /usr/lib/firmware /usr/lib/modules /usr/share/locale /usr/lib
n=0
while read -r f; do
    [[ -f $f && ! -L $f ]] || continue
    n=$((n + 1))
    mcopy -i "$esp" "$f" "::/boot/$n-${f##*/}" 2>/dev/null || break
done <"$tmp/esp.list"

# p2: ext4 from the staged copy (mkfs.ext4 -d writes the files without a mount).
attach $((1 + esp_mib)) "$root_mib"
root=$LOOP
mkfs.ext4 -q -F -L ezio-root -N "$inodes" -E lazy_itable_init=0,lazy_journal_init=0 -d "$tmp/root" "$root"
sync
mv "$out.part" "$out"
echo "used_mib=$used_mib" >"$stamp"
