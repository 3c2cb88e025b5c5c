#!/usr/bin/env bash
# Import benchmark (issue 4): a zstd Clonezilla image of an ext4 file system filled with copies
# of /usr, then in the same run
#   clonezilla : cat chunks | zstd -dc | partclone.ext4 -r -z 10485760 -s - -T -z 16777216 -o DIR
#                (what ocs-gen-bt-slices runs to make the btzone slices + torrent.info)
#   ezio       : ezio image import <dir> <repo>/<name>
#   ezio+bt    : the same with --btzone (our image and Clonezilla's layout in one pass)
# and the repository bytes of each result. No root needed: everything runs in plain files.
#   SIZE_MIB   data copied into the file system (default 2048)
#   LEVEL      zstd level of our pieces (default 3, the level Clonezilla saves with)
#   WORK       scratch directory (default a fresh one under /var/tmp, removed at the end)
set -euo pipefail

SIZE_MIB=${SIZE_MIB:-2048}
LEVEL=${LEVEL:-3}
EZIO_BIN=${EZIO_BIN:?set EZIO_BIN to the ezio binary (make bench-image does)}
for tool in mkfs.ext4 partclone.ext4 zstd split bc; do
    command -v "$tool" >/dev/null || { echo "bench/image: $tool is missing" >&2; exit 1; }
done

work=${WORK:-$(mktemp -d /var/tmp/ezio-bench-image.XXXXXX)}
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/stage" "$work/cz" "$work/btzone/cz"

echo "bench/image: staging ${SIZE_MIB} MiB of /usr copies in $work" >&2
i=0
while (( $(du -sm "$work/stage" | cut -f1) < SIZE_MIB )); do
    for d in /usr/share /usr/lib /usr/bin; do
        left=$(( SIZE_MIB - $(du -sm "$work/stage" | cut -f1) ))
        (( left > 0 )) || break
        mkdir -p "$work/stage/copy$i"
        # tar stops early once enough bytes went in: partial last copy is fine.
        (tar -C "$(dirname $d)" -cf - "$(basename $d)" 2>/dev/null | head -c $(( left << 20 )) \
            | tar -C "$work/stage/copy$i" -xf - 2>/dev/null) || true
        i=$((i + 1))
    done
done
data_mib=$(du -sm "$work/stage" | cut -f1)
fs_mib=$(( data_mib * 5 / 4 + 128 ))
mkfs.ext4 -q -F -b 4096 -d "$work/stage" "$work/fs.img" "${fs_mib}M"
rm -rf "$work/stage"

# The Clonezilla image dir, saved the Clonezilla way (split at 1000 MB, as older batch saves).
sectors=$(( fs_mib * 2048 ))
printf 'sda\n' > "$work/cz/disk"
printf 'sda1\n' > "$work/cz/parts"
printf 'label: dos\nlabel-id: 0x0e210b5e\ndevice: /dev/sda\nunit: sectors\nsector-size: 512\n\n/dev/sda1 : start=2048, size=%d, type=83\n' \
    "$sectors" > "$work/cz/sda-pt.sf"
printf 'IMG_ID=bench\n' > "$work/cz/Info-img-id.txt"
partclone.ext4 -c -q -z 10485760 -L "$work/save.log" -s "$work/fs.img" -o - 2>/dev/null \
    | zstd -q -c -T0 -3 | split -a 2 -b 1000MB - "$work/cz/sda1.ext4-ptcl-img.zst."
rm -f "$work/fs.img"

# seconds <command...>: wall-clock time of one run
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }

sync
t_cz=$(seconds bash -c "cat '$work'/cz/sda1.ext4-ptcl-img.zst.* | zstd -dc \
    | LC_ALL=C partclone.ext4 -r -q -z 10485760 -L '$work/bt.log' -s - -T -z 16777216 -o '$work/btzone/cz/sda1' >'$work/bt.out' 2>&1")
[ -s "$work/btzone/cz/sda1/torrent.info" ] || { cat "$work/bt.out" >&2; exit 1; }
t_ez=$(seconds "$EZIO_BIN" image import "$work/cz" "$work/repo/bench" --level "$LEVEL")
t_bt=$(seconds "$EZIO_BIN" image import "$work/cz" "$work/repo/bench-bt" --level "$LEVEL" --btzone "$work/btzone-ezio")

used=$(sed -n 's/^ *"totalLength": \([0-9]*\).*/\1/p' "$work/repo/bench/image.json")
b_cz=$(du -sb "$work/cz" | cut -f1)
b_ez=$(du -sb "$work/repo/bench" | cut -f1)
b_bt=$(du -sb "$work/btzone/cz" | cut -f1)
mib() { echo "scale=1; $1 / 1048576" | bc; }
rate() { echo "scale=1; $used / 1048576 / $1" | bc; }
ratio() { echo "scale=3; $1 / $b_cz" | bc; }

printf '\nbench/image: %s MiB of data staged, %s MiB of used blocks, %s cores\n\n' "$data_mib" "$(mib "$used")" "$(nproc)"
printf '%-44s %9s %10s\n' "import (same image, same run)" "seconds" "MiB/s"
printf '%-44s %9.2f %10s\n' "zstd -dc | partclone.ext4 -r -T (Clonezilla)" "$t_cz" "$(rate "$t_cz")"
printf '%-44s %9.2f %10s\n' "ezio image import (level $LEVEL)" "$t_ez" "$(rate "$t_ez")"
printf '%-44s %9.2f %10s\n' "ezio image import --btzone" "$t_bt" "$(rate "$t_bt")"
printf '\n%-44s %12s %8s\n' "repository bytes" "MiB" "x orig"
printf '%-44s %12s %8s\n' "Clonezilla image (partclone | zstd -3)" "$(mib "$b_cz")" "1.000"
printf '%-44s %12s %8s\n' "Ezio image (pieces.ezp, level $LEVEL)" "$(mib "$b_ez")" "$(ratio "$b_ez")"
printf '%-44s %12s %8s\n' "Clonezilla btzone copy (uncompressed)" "$(mib "$b_bt")" "$(ratio "$b_bt")"
