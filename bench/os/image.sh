#!/usr/bin/env bash
# The OS image of the bench-os benchmark (source it, or run it: bench/os/image.sh VARIANT).
#
#   osimage_make VARIANT ANNOUNCE_URL   (needs root and EZIO)
#
# VARIANT minbase: `debootstrap --variant=minbase bookworm` (~200 MiB used);
# VARIANT full: the default variant plus a kernel, compilers, python3, git, vim, locales...
# (~1 GiB used). Everything is cached under $OSIMAGE_CACHE/<variant>/ (default out/bench-os)
# and reused by the next run; delete the directory to rebuild it:
#
#   rootfs-<variant>/              the debootstrap tree (shared by reruns)
#   <variant>/disk.img             a GPT disk: partition 1 (ext4, from 1 MiB) holds the tree
#   <variant>/sda-pt.sf            `sfdisk -d` of the disk (what each multicast receiver writes)
#   <variant>/sda1.ext4-ptcl-img.zst   `partclone.ext4 -c | zstd -3`: what Clonezilla saves and
#                                  what its multicast sends
#   <variant>/repo/os-<variant>/   `ezio image capture` of disk.img: image.json, the torrent,
#                                  pieces.ezp (each piece zstd at ezio's default level, 9;
#                                  zero pieces marked)
#   <variant>/slices/              the torrent's files (32-hex disk offsets) for libtorrent
#   <variant>/facts                shell variables: USED_BYTES (the torrent's length: used
#                                  blocks + boot area), EZP_BYTES, ZST_BYTES, DISK_BYTES,
#                                  PART_OFFSET, PART_BYTES, TORRENT, INFOHASH, ANNOUNCE
#
# OSIMAGE_PIECE (e.g. 256K): the torrent's piece size; the image then lives in
# <variant>-<piece>/ (default: `ezio image capture`'s own choice, in <variant>/).
# OSIMAGE_LEVEL (e.g. 3, Clonezilla's zstd level): the pieces' zstd level instead of ezio's
# default; the directory name then ends in -L<level>.

OSIMAGE_CACHE=${OSIMAGE_CACHE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/out/bench-os}
OSIMAGE_SUITE=${OSIMAGE_SUITE:-bookworm}
OSIMAGE_MIRROR=${OSIMAGE_MIRROR:-http://deb.debian.org/debian}
OSIMAGE_FULL_PACKAGES=${OSIMAGE_FULL_PACKAGES:-linux-image-amd64,gcc,g++,make,python3,perl,git,vim-nox,locales,man-db,firmware-linux-free,openssh-server,systemd-sysv}

osimage_log() { echo "bench-os image: $*" >&2; }

osimage_rootfs() {
    local variant=$1 tree=$OSIMAGE_CACHE/rootfs-$1
    [[ -d $tree ]] && { echo "$tree"; return 0; }
    local args=()
    case $variant in
        minbase) args=(--variant=minbase) ;;
        full) args=(--include="$OSIMAGE_FULL_PACKAGES") ;;
        *) osimage_log "unknown variant '$variant' (minbase or full)"; return 1 ;;
    esac
    osimage_log "debootstrap ${args[*]} $OSIMAGE_SUITE (a few minutes; cached in $tree)"
    rm -rf "$tree.tmp"
    nice -n 5 debootstrap "${args[@]}" "$OSIMAGE_SUITE" "$tree.tmp" "$OSIMAGE_MIRROR" >"$OSIMAGE_CACHE/debootstrap-$variant.log" 2>&1 ||
        { osimage_log "debootstrap failed; see $OSIMAGE_CACHE/debootstrap-$variant.log"; return 1; }
    # Caches inside the tree are not part of an installed system.
    rm -rf "$tree.tmp"/var/cache/apt/archives/*.deb
    mv "$tree.tmp" "$tree" && echo "$tree"
}

osimage_make() {
    local variant=$1 announce=$2
    local dir=$OSIMAGE_CACHE/$variant${OSIMAGE_PIECE:+-$OSIMAGE_PIECE}${OSIMAGE_LEVEL:+-L$OSIMAGE_LEVEL}
    if [[ -f $dir/facts ]]; then
        osimage_log "reusing $dir"
        return 0
    fi
    local ezio=${EZIO:?EZIO must name the ezio binary}
    mkdir -p "$OSIMAGE_CACHE"
    local tree
    tree=$(osimage_rootfs "$variant") || return 1
    rm -rf "$dir"
    mkdir -p "$dir"

    # ext4 with room to spare, as an installed system has; the partition starts at 1 MiB.
    local used_mib fs_mib part_offset=1048576
    used_mib=$(du -sm --apparent-size "$tree" | cut -f1)
    fs_mib=$((used_mib * 3 / 2 + 256))
    osimage_log "$variant: ${used_mib} MiB of files into a ${fs_mib} MiB ext4 partition"
    mkfs.ext4 -q -F -b 4096 -L "ezio-$variant" -d "$tree" "$dir/fs.img" "${fs_mib}M" || return 1
    truncate -s $((part_offset + fs_mib * 1048576 + 1048576)) "$dir/disk.img"
    sgdisk -o -n "1:2048:+${fs_mib}M" -t 1:8300 -c "1:ezio-$variant" "$dir/disk.img" >/dev/null 2>&1 || return 1
    dd if="$dir/fs.img" of="$dir/disk.img" bs=1M seek=1 conv=notrunc,sparse status=none || return 1
    # Without device names, so that `sfdisk DISK < sda-pt.sf` fits any machine's disk.
    sfdisk -d "$dir/disk.img" | sed -e '/^device:/d' -e 's/^[^ ]* : /: /' >"$dir/sda-pt.sf" &&
        grep -q '^: start=' "$dir/sda-pt.sf" || { osimage_log "no partition table on disk.img"; return 1; }

    # The partition through a read-only loop device over its byte range (no udev here).
    local loop
    loop=$(losetup -r -o "$part_offset" --sizelimit $((fs_mib * 1048576)) --show -f "$dir/disk.img") || return 1
    LC_ALL=C partclone.ext4 -c -q -s "$loop" -o - 2>"$dir/partclone-save.log" | zstd -q -3 -T0 -c >"$dir/sda1.ext4-ptcl-img.zst"
    local rc=("${PIPESTATUS[@]}")
    losetup -d "$loop"
    ((rc[0] == 0 && rc[1] == 0)) || { osimage_log "partclone | zstd failed (${rc[*]})"; return 1; }
    rm -f "$dir/fs.img"

    local name=os-$variant out
    out=$("$ezio" image capture "$dir/disk.img" "$dir/repo/$name" ${OSIMAGE_LEVEL:+--level "$OSIMAGE_LEVEL"} ${OSIMAGE_PIECE:+--piece-size "$OSIMAGE_PIECE"} --announce "$announce" 2>"$dir/capture.log") ||
        { osimage_log "ezio image capture failed:"; tail -n 3 "$dir/capture.log" >&2; return 1; }
    osimage_log "$out"
    local torrent used infohash
    torrent=$(ls "$dir/repo/$name"/*.torrent)
    used=$(sed -n 's/^ *"totalLength": \([0-9]*\).*/\1/p' "$dir/repo/$name/image.json")
    infohash=$("$ezio" torrent info "$torrent" | sed -n 's/^info-hash: *//p')

    # The torrent's files, cut out of the disk, so that libtorrent seeds what ezio seeds.
    /usr/bin/python3 - "$torrent" "$dir/disk.img" "$dir/slices" <<'EOF' || { osimage_log "slicing failed"; return 1; }
import os, sys
import libtorrent as lt
ti = lt.torrent_info(sys.argv[1])
fs = ti.files()
with open(sys.argv[2], "rb") as disk:
    for i in range(fs.num_files()):
        path = os.path.join(sys.argv[3], fs.file_path(i))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        disk.seek(int(os.path.basename(path), 16))
        left = fs.file_size(i)
        with open(path, "wb") as out:
            while left:
                chunk = disk.read(min(left, 1 << 20))
                out.write(chunk)
                left -= len(chunk)
EOF
    {
        echo "USED_BYTES=$used"
        echo "EZP_BYTES=$(stat -c %s "$dir/repo/$name/pieces.ezp")"
        echo "ZST_BYTES=$(stat -c %s "$dir/sda1.ext4-ptcl-img.zst")"
        echo "DISK_BYTES=$(stat -c %s "$dir/disk.img")"
        echo "PART_OFFSET=$part_offset"
        echo "PART_BYTES=$((fs_mib * 1048576))"
        echo "TORRENT=$torrent"
        echo "INFOHASH=$infohash"
        echo "ANNOUNCE=$announce"
        echo "ROOTFS_MIB=$used_mib"
    } >"$dir/facts.tmp" && mv "$dir/facts.tmp" "$dir/facts"
    cat "$dir/facts" >&2
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -uo pipefail
    EZIO=${EZIO_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/out/ezio}
    osimage_make "${1:-minbase}" "${2:-http://10.79.0.1:6969/announce}"
fi
