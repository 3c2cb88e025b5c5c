#!/bin/bash
# Builds the source disk of the resize tests without mounting anything:
#   make-resize-disk.sh DISK TREE [CLONEZILLA_DIR]
# DISK: a 256 MiB GPT disk file with
#   1  ESP, 32 MiB, FAT (mkfs.vfat + mcopy)       files from TREE/esp
#   2  Linux root, 128 MiB, ext4 about 40 % used   files from TREE/root (mkfs.ext4 -d)
#   3  Microsoft basic data, the rest, NTFS        files from TREE/data (ntfscp)
# TREE receives the files written, for the file-for-file compare after deploying.
# CLONEZILLA_DIR, when given, receives the disk saved as Clonezilla's savedisk would save it as
# "sda": disk, parts, sda-pt.sf, sda-mbr and one gzip'd partclone image per partition.
set -euo pipefail
disk=$1
tree=$2
clonezilla=${3:-}
work=$(mktemp -d)
loop=""
cleanup() {
    if [[ -n $loop ]]; then losetup -d "$loop"; fi
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$tree/esp/EFI/BOOT" "$tree/root/etc" "$tree/root/srv" "$tree/data/docs"
head -c 300000 /dev/urandom > "$tree/esp/EFI/BOOT/BOOTX64.EFI"
echo "timeout 3" > "$tree/esp/loader.conf"
echo "resize-host" > "$tree/root/etc/hostname"
for i in 1 2 3 4 5 6; do
    head -c $((8 << 20)) /dev/urandom > "$tree/root/srv/blob$i"
done
for i in 1 2 3; do
    head -c $((5 << 20)) /dev/urandom > "$tree/data/docs/file$i.bin"
done
echo "hello from ntfs" > "$tree/data/readme.txt"

truncate -s 256M "$disk"
sgdisk -o -n 1:2048:+32M -t 1:ef00 -n 2:0:+128M -t 2:8300 -n 3:0:0 -t 3:0700 "$disk" > /dev/null
read -r -a starts < <(sfdisk --json "$disk" | python3 -c 'import json,sys; print(*[p["start"] for p in json.load(sys.stdin)["partitiontable"]["partitions"]])')
read -r -a sizes < <(sfdisk --json "$disk" | python3 -c 'import json,sys; print(*[p["size"] for p in json.load(sys.stdin)["partitiontable"]["partitions"]])')

truncate -s $((sizes[0] * 512)) "$work/esp.img"
mkfs.vfat -n EZIOESP "$work/esp.img" > /dev/null
mcopy -s -i "$work/esp.img" "$tree/esp/EFI" "$tree/esp/loader.conf" ::/

mkfs.ext4 -q -F -b 4096 -L root -d "$tree/root" "$work/root.img" $((sizes[1] / 2))k > /dev/null

truncate -s $((sizes[2] * 512)) "$work/data.img"
mkfs.ntfs -q -F -f -L data "$work/data.img" > /dev/null 2>&1
ntfscp -q "$work/data.img" "$tree/data/readme.txt" readme.txt
for f in "$tree"/data/docs/*; do
    # ntfscp writes into an existing directory only: the files go to the root, named docs_<name>.
    ntfscp -q "$work/data.img" "$f" "docs_$(basename "$f")"
done

for i in 0 1 2; do
    img=("$work/esp.img" "$work/root.img" "$work/data.img")
    dd if="${img[$i]}" of="$disk" bs=1M seek=$((starts[i] * 512)) oflag=seek_bytes conv=notrunc,sparse status=none
done

if [[ -n $clonezilla ]]; then
    mkdir -p "$clonezilla"
    echo sda > "$clonezilla/disk"
    echo "sda1 sda2 sda3" > "$clonezilla/parts"
    echo "This image was saved by Clonezilla at $(date -u +%F)" > "$clonezilla/clonezilla-img"
    echo "IMG_ID=resize-test" > "$clonezilla/Info-img-id.txt"
    sfdisk -d "$disk" | sed -e "s|^$disk\([0-9]\) |/dev/sda\1 |" -e "s|^device: .*|device: /dev/sda|" > "$clonezilla/sda-pt.sf"
    dd if="$disk" of="$clonezilla/sda-mbr" bs=512 count=1 status=none
    fs=(vfat ext4 ntfs)
    for i in 0 1 2; do
        loop=$(losetup -f --show -r -o $((starts[i] * 512)) --sizelimit $((sizes[i] * 512)) "$disk")
        "partclone.${fs[$i]}" -c -q -L /dev/null -s "$loop" -o - 2> /dev/null | gzip -1 > "$clonezilla/sda$((i + 1)).${fs[$i]}-ptcl-img.gz.aa"
        losetup -d "$loop"
        loop=""
    done
fi
