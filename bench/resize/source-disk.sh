#!/usr/bin/env bash
# The source disk of bench-resize, built without mounting anything (no vfat or ntfs driver
# needed): a GPT disk of SIZE_MIB with
#   1  EFI system partition, 32 MiB, FAT (mkfs.vfat + mcopy)        files from TREE/esp
#   2  Linux root, ROOT_PCT % of the rest, ext4 (mkfs.ext4 -d)       files from TREE/root
#   3  Microsoft basic data, the rest, NTFS (mkntfs + ntfscp)         files from TREE/data
# ext4 and NTFS are each filled to about FILL_PCT % with files of random bytes (8 MiB each,
# incompressible, so every run moves the same bytes whatever the CPU has to spare) and a few
# small text files. TREE receives every file written, for the file compares after deploying.
# CLONEZILLA_DIR, when given, receives the disk as Clonezilla's savedisk saves it, as "sda":
# disk, parts, sda-pt.sf, sda-mbr and one gzip'd partclone image per partition (the agent's
# resize tests import it).
#
#   source-disk.sh DISK TREE SIZE_MIB [ROOT_PCT=50] [FILL_PCT=40] [CLONEZILLA_DIR]
set -euo pipefail
disk=$1
tree=$2
size_mib=$3
root_pct=${4:-50}
fill_pct=${5:-40}
clonezilla=${6:-}
((size_mib >= 128)) || { echo "source-disk: SIZE_MIB must be at least 128" >&2; exit 2; }
work=$(mktemp -d /var/tmp/ezio-resize-src.XXXXXX)
loop=""
cleanup() {
    if [[ -n $loop ]]; then losetup -d "$loop"; fi
    rm -rf "$work"
}
trap cleanup EXIT

esp_mib=32
root_mib=$(((size_mib - esp_mib - 2) * root_pct / 100))
rm -rf "$tree" "$disk"
mkdir -p "$tree/esp/EFI/BOOT" "$tree/root/etc" "$tree/root/srv" "$tree/data"

# Fills DIR with 8 MiB random files (prefix PREFIX) up to about MIB mebibytes.
fill() {
    local dir=$1 prefix=$2 mib=$3 i
    for ((i = 1; i * 8 <= mib; i++)); do
        head -c $((8 << 20)) /dev/urandom >"$dir/$prefix$i.bin"
    done
}
head -c 300000 /dev/urandom >"$tree/esp/EFI/BOOT/BOOTX64.EFI"
echo "timeout 3" >"$tree/esp/loader.conf"
echo "resize-source" >"$tree/root/etc/hostname"
printf '%s\n' "LABEL=root / ext4 defaults 0 1" >"$tree/root/etc/fstab"
fill "$tree/root/srv" blob $((root_mib * fill_pct / 100))
data_mib=$((size_mib - esp_mib - 2 - root_mib))
echo "hello from ntfs" >"$tree/data/readme.txt"
fill "$tree/data" file $((data_mib * fill_pct / 100))

truncate -s "${size_mib}M" "$disk"
sgdisk -o -n 1:2048:+${esp_mib}M -t 1:ef00 -n 2:0:+${root_mib}M -t 2:8300 -n 3:0:0 -t 3:0700 "$disk" >/dev/null
read -r -a starts < <(sfdisk --json "$disk" | python3 -c 'import json,sys; print(*[p["start"] for p in json.load(sys.stdin)["partitiontable"]["partitions"]])')
read -r -a sizes < <(sfdisk --json "$disk" | python3 -c 'import json,sys; print(*[p["size"] for p in json.load(sys.stdin)["partitiontable"]["partitions"]])')

truncate -s $((sizes[0] * 512)) "$work/esp.img"
mkfs.vfat -n EZIOESP "$work/esp.img" >/dev/null
mcopy -s -i "$work/esp.img" "$tree/esp/EFI" "$tree/esp/loader.conf" ::/

mkfs.ext4 -q -F -b 4096 -L root -d "$tree/root" "$work/root.img" $((sizes[1] / 2))k >/dev/null

truncate -s $((sizes[2] * 512)) "$work/data.img"
mkfs.ntfs -q -F -f -L data "$work/data.img" >/dev/null 2>&1
# ntfscp writes into existing directories only: every file goes to the volume's root.
for f in "$tree"/data/*; do
    ntfscp -q "$work/data.img" "$f" "$(basename "$f")"
done

imgs=("$work/esp.img" "$work/root.img" "$work/data.img")
for i in 0 1 2; do
    dd if="${imgs[$i]}" of="$disk" bs=1M seek=$((starts[i] * 512)) oflag=seek_bytes conv=notrunc,sparse status=none
done

if [[ -n $clonezilla ]]; then
    mkdir -p "$clonezilla"
    echo sda >"$clonezilla/disk"
    echo "sda1 sda2 sda3" >"$clonezilla/parts"
    echo "This image was saved by Clonezilla at $(date -u +%F)" >"$clonezilla/clonezilla-img"
    echo "IMG_ID=resize-source" >"$clonezilla/Info-img-id.txt"
    sfdisk -d "$disk" | sed -e "s|^$disk\([0-9]\) |/dev/sda\1 |" -e "s|^device: .*|device: /dev/sda|" >"$clonezilla/sda-pt.sf"
    dd if="$disk" of="$clonezilla/sda-mbr" bs=512 count=1 status=none
    fs=(vfat ext4 ntfs)
    for i in 0 1 2; do
        loop=$(losetup -f --show -r -o $((starts[i] * 512)) --sizelimit $((sizes[i] * 512)) "$disk")
        "partclone.${fs[$i]}" -c -q -L /dev/null -s "$loop" -o - 2>/dev/null | gzip -1 >"$clonezilla/sda$((i + 1)).${fs[$i]}-ptcl-img.gz.aa"
        losetup -d "$loop"
        loop=""
    done
fi
