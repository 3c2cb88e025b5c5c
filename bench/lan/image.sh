#!/usr/bin/env bash
# Test image for the LAN harness (source it; needs `ezio`).
#
#   image_make DIR SIZE_MIB ANNOUNCE_URL [PIECE]   (PIECE default 1M)
#   image_torrents DIR ANNOUNCE_URL PIECE           (the torrents again, another piece size)
#   image_piece_for_rate BITS_PER_SECOND            (the piece size the bench uses per rate)
#
# makes, in DIR:
#   image.bin        SIZE_MIB of incompressible bytes (AES-CTR keystream), what unicast and
#                    multicast send and write at disk offset 0
#   slices/<hex32>   the same bytes cut into three extents placed on the disk with 1 MiB
#                    gaps, named by their byte offset (32 lowercase hex digits): a 1 MiB "boot
#                    area" at 0, then two halves; every tool moves exactly SIZE_MIB
#   ezio.torrent     offset-layout torrent of slices/ (ezio writes it onto the raw disk)
#   single.torrent   single-file torrent of image.bin (libtorrent writes image.bin)
#   extents          "offset length file" per slice;  disk_bytes  the smallest disk that fits
#   image.sha256     sha256 of image.bin;  infohashes  both info-hashes (tracker whitelist)

image_make() {
    local dir=$1 mib=$2 announce=$3 piece=${4:-1M}
    local ezio=${EZIO:?EZIO must name the ezio binary}
    ((mib >= 4)) || { echo "image: SIZE_MIB must be at least 4" >&2; return 1; }
    mkdir -p "$dir/slices"
    # openssl dies of SIGPIPE once head has enough: expected, so not checked.
    { openssl enc -aes-128-ctr -nosalt -pass "pass:ezio-lan-$mib-$RANDOM" -pbkdf2 </dev/zero 2>/dev/null || true; } |
        head -c $((mib * 1048576)) >"$dir/image.bin"
    [[ $(stat -c %s "$dir/image.bin") -eq $((mib * 1048576)) ]] || { echo "image: short image" >&2; return 1; }

    local b=$(((mib - 1) / 2))
    local c=$((mib - 1 - b))
    # offset(MiB) length(MiB) source-skip(MiB)
    local -a layout=("0 1 0" "2 $b 1" "$((3 + b)) $c $((1 + b))")
    : >"$dir/extents"
    local entry off len skip name
    for entry in "${layout[@]}"; do
        read -r off len skip <<<"$entry"
        name=$(printf '%032x' $((off * 1048576)))
        dd if="$dir/image.bin" of="$dir/slices/$name" bs=1M skip="$skip" count="$len" status=none
        echo "$((off * 1048576)) $((len * 1048576)) $dir/slices/$name" >>"$dir/extents"
    done
    echo $(((mib + 2) * 1048576)) >"$dir/disk_bytes"
    sha256sum <"$dir/image.bin" | cut -d' ' -f1 >"$dir/image.sha256"

    image_torrents "$dir" "$announce" "$piece"
}

# image_torrents DIR ANNOUNCE_URL PIECE: (re)makes ezio.torrent, single.torrent and
# infohashes in DIR for another piece size.
image_torrents() {
    local dir=$1 announce=$2 piece=$3 out
    local ezio=${EZIO:?EZIO must name the ezio binary}
    : >"$dir/infohashes"
    out=$("$ezio" torrent create "$dir/slices" -o "$dir/ezio.torrent" --announce "$announce" --piece-size "$piece") || return 1
    echo "${out##*info-hash }" >>"$dir/infohashes"
    out=$("$ezio" torrent create "$dir/image.bin" -o "$dir/single.torrent" --announce "$announce" --piece-size "$piece") || return 1
    echo "${out##*info-hash }" >>"$dir/infohashes"
}

# image_piece_for_rate BITS_PER_SECOND: the piece size that takes about 40 ms on such a link,
# a power of two from 64K to 4M: 128K at 25 Mbit/s, 512K at 100 Mbit/s, 4M at 1 Gbit/s. A
# scaled-down LAN keeps the proportions of a real one only if its pieces shrink with it.
image_piece_for_rate() {
    awk -v bps="$1" 'BEGIN {
        want = bps / 8 * 0.040; p = 65536
        while (p < 4194304 && p * 1.5 < want) p *= 2
        printf "%dK", p / 1024
    }'
}

# image_compare_extents DIR DISK: byte compare of every extent on DISK with its slice.
image_compare_extents() {
    local dir=$1 disk=$2 off len file
    while read -r off len file; do
        cmp -s -n "$len" -i "0:$off" "$file" "$disk" || { echo "extent at $off differs on $disk" >&2; return 1; }
    done <"$dir/extents"
}

# image_check_linear DIR DISK: the image at offset 0 of DISK (unicast, multicast).
image_check_linear() {
    local dir=$1 disk=$2 bytes
    bytes=$(stat -c %s "$dir/image.bin")
    [[ $(head -c "$bytes" "$disk" | sha256sum | cut -d' ' -f1) == "$(cat "$dir/image.sha256")" ]]
}
