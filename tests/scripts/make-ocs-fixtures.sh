#!/bin/bash
# Regenerates the Clonezilla image fixtures under
# tests/Ezio.Imaging.Tests/Fixtures/ocs-sr/ with the real `ocs-sr savedisk`
# (Debian 12: clonezilla 5.3.17, drbl 5.2.7, partclone 0.3.23, lvm2 2.03.16).
# Not run by `make test`; CI only reads the committed fixtures.
#
# Usage (root): tests/scripts/make-ocs-fixtures.sh [CASE...]
#               tests/scripts/make-ocs-fixtures.sh --verify [CASE...]
#   CASE: gpt-lvm mbr-swap-extended lvm-thin multi-disk lvm-multi-pv
#         (default: all)
#   Each case is checked after it is written (--verify: only the check): its
#   partclone images are restored and their files compared with
#   <case>.files.sha256.
# Needs: apt-get install --no-install-recommends clonezilla drbl partclone lvm2
#        parted xfsprogs dosfstools ntfs-3g zstd pigz gdisk mtools
#
# How ocs-sr runs on a machine without udev, device-mapper or a kernel
# partition parser (README.md beside the fixtures says the same for readers):
# - Each disk is a sparse file on a loop device, and each partition is a loop
#   device of its own at the partition's byte range (the extended partition:
#   its first 1 KiB, as the kernel shows it).  Partitions added to the disk's
#   loop device with `partx -a` were dropped and re-added under new minor
#   numbers while ocs-sr read the partition tables, leaving the nodes stale.
#   Any loopNpM partitions that still appear on a disk's loop device are
#   removed with `partx -d` before it is detached.
# - ocs-sr runs in a private mount namespace (`unshare -m`) where /dev is a
#   tmpfs holding block nodes named sda, sda1, ... with the major:minor of
#   those loop devices; /proc/partitions is bind-mounted over with a file
#   listing the same names; /home/partimag is a bind mount of the output
#   directory; the blkid cache, LVM's run, lock, backup and archive
#   directories and /var/log are private tmpfs mounts and lvm.conf is a
#   private copy (no udev, devices filter /dev/sd*), so nothing of the host's
#   LVM state is read or written.
# - LVM without device-mapper: LVs are created with `lvcreate --driverloaded n
#   -an -Zn` (never activated), and /dev/<VG>/<LV> and /dev/mapper/<VG>-<LV>
#   are nodes of loop devices (see attach_lvs: an LV of one linear segment is
#   a loop device at partition start + pe_start + first extent * extent size
#   on its PV).  ocs-sr's `ocs-lvm2-start` does nothing without device-mapper,
#   its `lvscan` lists the LVs as inactive (it only parses their paths), and
#   partclone reads them through those nodes.
# - ocs-sr, partclone, zstdmt, pvscan, pvdisplay, lvscan, vgcfgbackup, sfdisk,
#   sgdisk, gdisk, parted and dd are the real programs: no shim replaces any.
# - Files that describe this machine rather than the disk (blkdev.list,
#   blkid.list, Info-dmi.txt, the parted "Model" line, *-chs.sf, the
#   clonezilla-img log) and what is not genuine in lvm-thin: see README.md.
set -euo pipefail
export LVM_SUPPRESS_FD_WARNINGS=1

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# OCS_FIXTURES_OUT: write (or --verify) elsewhere, e.g. to try the script.
fixtures="${OCS_FIXTURES_OUT:-$repo/tests/Ezio.Imaging.Tests/Fixtures/ocs-sr}"
ocs_opts=(-q2 -b -nogui -sfsck -senc -p true -j2 -z9p -i 4096)

# ---------------------------------------------------------------------------
# Inside the namespace (re-executed by `unshare -m`): $1 = stage, $2 = work dir
# of the case; $work/nodes lists "name major minor" of every node to create.
# ---------------------------------------------------------------------------
setup_namespace() {
    local work="$1" name maj min
    mount --make-rprivate /
    mount -t tmpfs -o mode=0755 ocsdev /dev
    mknod -m 666 /dev/null c 1 3
    mknod -m 666 /dev/zero c 1 5
    mknod -m 666 /dev/full c 1 7
    mknod -m 666 /dev/random c 1 8
    mknod -m 666 /dev/urandom c 1 9
    mknod -m 666 /dev/tty c 5 0
    mkdir -p /dev/pts /dev/shm /dev/mapper
    mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
    ln -s pts/ptmx /dev/ptmx
    ln -s /proc/self/fd /dev/fd
    ln -s /proc/self/fd/0 /dev/stdin
    ln -s /proc/self/fd/1 /dev/stdout
    ln -s /proc/self/fd/2 /dev/stderr
    printf 'major minor  #blocks  name\n\n' > "$work/partitions"
    while read -r name maj min; do
        mkdir -p "$(dirname "/dev/$name")"
        mknod -m 660 "/dev/$name" b "$maj" "$min"
        # Only disks and partitions are in /proc/partitions (LVs are dm-N there,
        # and there is no device-mapper here).
        case "$name" in
            sd*) printf '%4d %7d %10d %s\n' "$maj" "$min" \
                     "$(( $(blockdev --getsize64 "/dev/$name") / 1024 ))" "$name" \
                     >> "$work/partitions" ;;
        esac
    done < "$work/nodes"
    mount --bind "$work/partitions" /proc/partitions
    # Private blkid cache, LVM state and configuration, logs.
    local d
    for d in /run/blkid /run/lvm /run/lock/lvm /etc/lvm/backup /etc/lvm/archive /etc/lvm/cache /var/log /var/lib/clonezilla; do
        mkdir -p "$d"
        mount -t tmpfs ocslvm "$d"
    done
    cat > "$work/lvm.conf" <<'EOF'
devices {
    obtain_device_list_from_udev = 0
    external_device_info_source = "none"
    use_devicesfile = 0
    filter = [ "a|^/dev/sd|", "r|.*|" ]
    scan = [ "/dev" ]
}
activation {
    udev_sync = 0
    udev_rules = 0
    monitoring = 0
}
global {
    use_lvmpolld = 0
}
EOF
    mount --bind "$work/lvm.conf" /etc/lvm/lvm.conf
    mkdir -p /home/partimag "$work/partimag"
    mount --bind "$work/partimag" /home/partimag
}

# Writes the files of one file system into $1 (a directory): a text file naming
# the file system, a 16 KiB pseudo-random file (AES-CTR of zeros, fixed key, so
# the same bytes on every run) and a file in a sub-directory.
make_content() {
    local dir="$1" tag="$2"
    mkdir -p "$dir/sub"
    printf 'Ezio fixture %s\n' "$tag" > "$dir/hello.txt"
    head -c 16384 /dev/zero | openssl enc -aes-128-ctr -nosalt \
        -K "$(printf '%s' "$tag" | sha256sum | cut -c1-32)" -iv 00000000000000000000000000000000 \
        > "$dir/sub/random.bin"
    seq 1 2000 > "$dir/sub/numbers.txt"
}

# Appends sha256 lines of every file of content dir $2 as "<fsid>/<path>".
list_content() {
    local list="$1" dir="$2" fsid="$3"
    (cd "$dir" && find . -type f | LC_ALL=C sort | sed 's|^\./||' | while read -r f; do
        printf '%s  %s/%s\n' "$(sha256sum "$f" | cut -d' ' -f1)" "$fsid" "$f"
    done) >> "$list"
}

mkfs_ext4() { # dev label uuid content-dir
    mkfs.ext4 -q -F -U "$3" -L "$2" -d "$4" "$1"
}

mkfs_xfs() { # dev label uuid content-dir ; files through a prototype file
    local proto="$4.proto" f
    {
        printf '/dummy\n0 0\nd--755 0 0\n'
        printf 'hello.txt ---644 0 0 %s\n' "$4/hello.txt"
        printf 'sub d--755 0 0\n'
        for f in random.bin numbers.txt; do
            printf '%s ---644 0 0 %s\n' "$f" "$4/sub/$f"
        done
        printf '$\n$\n'
    } > "$proto"
    mkfs.xfs -q -f -m uuid="$3" -L "$2" -p "$proto" "$1"
}

mkfs_vfat() { # dev label volid content-dir ; files through mtools
    mkfs.fat -F 32 -s 1 -i "$3" -n "$2" "$1" > /dev/null
    MTOOLS_SKIP_CHECK=1 mmd -i "$1" ::/sub
    MTOOLS_SKIP_CHECK=1 mcopy -i "$1" "$4/hello.txt" ::/hello.txt
    MTOOLS_SKIP_CHECK=1 mcopy -i "$1" "$4/sub/random.bin" "$4/sub/numbers.txt" ::/sub/
}

# make_fs DEV TYPE LABEL UUID: a file system with make_content's files, listed
# in files.sha256 under the name of its image file (sda2, vgtest-root).
make_fs() {
    local work="$1" dev="$2" type="$3" label="$4" uuid="$5" fsid
    fsid="${dev//\//-}"
    make_content "$work/content/$fsid" "$fsid"
    "mkfs_$type" "/dev/$dev" "$label" "$uuid" "$work/content/$fsid"
    list_content "$work/files.sha256" "$work/content/$fsid" "$fsid"
}

# make_thin WORK VG POOL EXTENTS VSIZE: a thin pool POOL and a thin LV "thin"
# of VSIZE in VG.  lvcreate refuses thin pools without the device-mapper
# driver (it must format the pool's metadata LV), so the pool is made as LVM
# itself would describe it: lvcreate makes the pool's data, metadata and spare
# LVs (linear, so LVM places them), vgcfgbackup writes the VG's text, which is
# changed into the layout lvcreate writes for a thin pool (sub-LVs hidden, LV
# "POOL" of segment type thin-pool over POOL_tdata/POOL_tmeta, LV "thin" of
# type thin), and `vgcfgrestore --force` puts it on the PV.  From there on
# everything (pvscan, lvscan, vgcfgbackup by ocs-sr) reads LVM's real on-disk
# metadata.  The pool's metadata LV is not formatted (no thin_check data): it
# is never part of an ocs-sr image.
make_thin() {
    local work="$1" vg="$2" pool="$3" extents="$4" vsize="$5" vsize_ext now
    # Names with _pmspare, _tmeta, _tdata are reserved: renamed in the text.
    lvcreate -q --driverloaded n -an -Zn -y -l 1 -n pmspare0 "$vg"
    lvcreate -q --driverloaded n -an -Zn -y -l 1 -n tmeta0 "$vg"
    lvcreate -q --driverloaded n -an -Zn -y -l "$extents" -n tdata0 "$vg"
    vgcfgbackup -q -f "$work/thin-linear.txt" "$vg" > /dev/null
    vsize_ext=$(( ${vsize%M} / 4 ))
    now="$(date +%s)"
    awk -v pool="$pool" -v ext="$extents" -v vext="$vsize_ext" -v now="$now" '
        function lv(name, id, status, count, seg) {
            printf "\t\t%s {\n\t\t\tid = \"%s\"\n\t\t\tstatus = [%s]\n\t\t\tflags = []\n", name, id, status
            printf "\t\t\tcreation_time = %d\n\t\t\tcreation_host = \"vm\"\n\t\t\tsegment_count = 1\n\n", now
            printf "\t\t\tsegment1 {\n\t\t\t\tstart_extent = 0\n\t\t\t\textent_count = %d\n\n%s\t\t\t}\n\t\t}\n\n", count, seg
        }
        /^\t\tpmspare0 {/ { sub(/pmspare0/, "lvol0_pmspare"); hidden = 1 }
        /^\t\ttmeta0 {/ { sub(/tmeta0/, pool "_tmeta"); hidden = 1 }
        /^\t\ttdata0 {/ { sub(/tdata0/, pool "_tdata"); hidden = 1 }
        hidden && /status = / { sub(/, "VISIBLE"/, "") }
        hidden && /^\t\t}/ { hidden = 0 }
        /^\tlogical_volumes {/ { print; getline; print
            lv(pool, "Thinpo-ol00-0000-0000-0000-0000-000001", "\"READ\", \"WRITE\", \"VISIBLE\"", ext,
               "\t\t\t\ttype = \"thin-pool\"\n\t\t\t\tmetadata = \"" pool "_tmeta\"\n\t\t\t\tpool = \"" pool "_tdata\"\n\t\t\t\ttransaction_id = 1\n\t\t\t\tchunk_size = 128\n\t\t\t\tdiscards = \"passdown\"\n\t\t\t\tzero_new_blocks = 1\n")
            lv("thin", "ThinLV-0000-0000-0000-0000-0000-000001", "\"READ\", \"WRITE\", \"VISIBLE\"", vext,
               "\t\t\t\ttype = \"thin\"\n\t\t\t\tthin_pool = \"" pool "\"\n\t\t\t\ttransaction_id = 0\n\t\t\t\tdevice_id = 1\n")
            next }
        { print }
    ' "$work/thin-linear.txt" > "$work/thin-pool.txt"
    vgcfgrestore -q --driverloaded n --force -f "$work/thin-pool.txt" "$vg"
}

# Stage "build": file systems, swap and LVM on the nodes of $work/nodes, as
# described by $work/build (lines: "fs <dev> <type> <label> <uuid>",
# "swap <dev> - <label> <uuid>", "pv <dev> - <pvuuid>", "vg <vg> <pvdevs>",
# "lv <vg> <lv> <extents> [<pv>[:<extents>],...]", "lvextend <vg> <lv> <extents> <pv>",
# "thin <vg> <pool> <extents> <virtual size>";
# "lvfs <vg>/<lv> <type> <label> <uuid>" is for stage fs_lv).
inner_build() {
    local work="$1" kind dev type fsid uuid pvl
    while read -r kind dev type fsid uuid; do
        IFS=, read -ra pvl <<< "$uuid"
        case "$kind" in
            fs) make_fs "$work" "$dev" "$type" "$fsid" "$uuid" ;;
            swap) mkswap -U "$uuid" -L "$fsid" "/dev/$dev" > /dev/null ;;
            pv)  pvcreate -q --uuid "$fsid" --norestorefile "/dev/$dev" ;;
            vg)  vgcreate -q -s 4m "$dev" "$type" ;;
            vgextend) vgextend -q "$dev" "$type" ;;
            lv)  lvcreate -q --driverloaded n -an -Zn -y -l "$fsid" -n "$type" "$dev" "${pvl[@]/#//dev/}" ;;
            lvextend) lvextend -q --driverloaded n -l "+$fsid" "$dev/$type" "/dev/$uuid" ;;
            thin) make_thin "$work" "$dev" "$type" "$fsid" "$uuid" ;;
        esac
    done < "$work/build"
    if grep -q '^pv' "$work/build"; then
        # Where each LV segment lies (read by attach_lvs).
        pvs --noheadings --units b --nosuffix -o pv_name,vg_name,pe_start > "$work/pvs.txt"
        lvs -a --noheadings --units b --nosuffix --segments \
            -o vg_name,lv_name,segtype,vg_extent_size,lv_size,seg_start_pe,seg_pe_ranges > "$work/lvs.txt"
        vgcfgbackup -f "$work/vgcfg-%s.txt" > /dev/null
    fi
}

# Stage "fs-lv": file systems on the LVs (their nodes now exist).
inner_fs_lv() {
    local work="$1" kind dev type fsid uuid
    while read -r kind dev type fsid uuid; do
        [ "$kind" = lvfs ] || continue
        make_fs "$work" "$dev" "$type" "$fsid" "$uuid"
    done < "$work/build"
}

inner_save() {
    local work="$1" name disks
    name="$(basename "$work")"
    disks="$(cat "$work/disks")"
    rm -rf "${work:?}/partimag/$name"
    # -q2 partclone, -b batch, -sfsck no fsck, -senc no encryption,
    # -p true do nothing after, -j2 clone hidden data after MBR, -z9p zstd,
    # -i 4096 split size in MB.
    ocs-sr "${ocs_opts[@]}" savedisk "$name" "$disks" < /dev/null > "$work/ocs-sr.log" 2>&1 || true
    cp /var/log/clonezilla.log /var/log/partclone.log "$work/" 2> /dev/null || true
    if grep -q "NOT saved correctly" "$work/ocs-sr.log" || [ ! -d "$work/partimag/$name" ]; then
        echo "ocs-sr failed, see $work/ocs-sr.log" >&2
        return 1
    fi
}

if [ "${1:-}" = --inner ]; then
    stage="$2" work="$3"
    setup_namespace "$work"
    "inner_$stage" "$work"
    exit 0
fi

# verify_case CASE: restores every partclone image of the fixture with
# partclone.restore and compares the files in it with CASE.files.sha256
# (ext4: debugfs rdump; vfat: mcopy; xfs: a read-only mount in a private
# mount namespace).  Catches a fixture that does not hold what was put in.
verify_case() {
    local c="$1" dir="$fixtures/$1" tmp img base fsid fs raw
    tmp="$(mktemp -d /tmp/ocs-verify.XXXXXX)"
    : > "$tmp/got.sha256"
    for img in "$dir"/*-ptcl-img.*.aa; do
        base="$(basename "${img%.aa}")"
        fsid="${base%%.*}"; fs="${base#*.}"; fs="${fs%%-ptcl-img*}"
        raw="$tmp/$fsid.raw"
        cat "${img%.aa}".a? | zstd -dc |
            partclone.restore -q -C -s - -W -O "$raw" -L "$tmp/$fsid.log" > /dev/null 2>&1
        mkdir -p "$tmp/files/$fsid"
        case "$fs" in
            vfat|fat*) MTOOLS_SKIP_CHECK=1 mcopy -s -i "$raw" '::/*' "$tmp/files/$fsid/" ;;
            ext*) debugfs -R "rdump / $tmp/files/$fsid" "$raw" > /dev/null 2>&1 ;;
            xfs)
                mkdir -p "$tmp/mnt"
                # shellcheck disable=SC2016 # expanded by the inner sh
                unshare -m sh -c 'mount -o ro,loop,norecovery "$1" "$2" && cp -a "$2/." "$3/"; umount "$2"' \
                    sh "$raw" "$tmp/mnt" "$tmp/files/$fsid"
                ;;
        esac
        list_content "$tmp/got.sha256" "$tmp/files/$fsid" "$fsid"
    done
    if diff <(LC_ALL=C sort "$fixtures/$c.files.sha256") <(LC_ALL=C sort "$tmp/got.sha256"); then
        echo "== $c: every file restored from the images matches $c.files.sha256"
        rm -rf "$tmp"
    else
        echo "== $c: images and $c.files.sha256 differ (restored files in $tmp)" >&2
        return 1
    fi
}

# ---------------------------------------------------------------------------
# Outside: disks, loop devices, namespace runs, copy into the fixtures.
# ---------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
workroot="$(mktemp -d /tmp/ocs-fixtures.XXXXXX)"
loops=()
cleanup() {
    local l
    for l in "${loops[@]}"; do
        partx -d "$l" 2> /dev/null || true
        losetup -d "$l" 2> /dev/null || true
    done
}
trap cleanup EXIT

# attach FILE [losetup options]: prints a new loop device of FILE.  Kernel
# partitions left on that loop device by an earlier user (partx -a without
# partx -d outlives losetup -d) are removed: lsblk and blkid would list them
# instead of the whole disk.
attach() {
    local file="$1" loop
    shift
    loop="$(losetup -f --show "$@" "$file")"
    partx -d "$loop" 2> /dev/null || true
    echo "$loop"
}

# attach_disk WORK NAME: a loop device for WORK/NAME.img and one per partition
# at its byte range (an extended partition gets its first 1 KiB, as the kernel
# shows it); appends "NAME maj min" and "NAMEk maj min" to WORK/nodes.
# Partitions are not added to the disk's loop device (partx -a): ocs-sr runs
# partprobe, which re-adds them under new minor numbers behind the nodes.
attach_disk() {
    local work="$1" name="$2" loop nr start sectors type
    loop="$(attach "$work/$name.img")"
    loops+=("$loop")
    printf '%s %s\n' "$name" "$(tr ':' ' ' < "/sys/block/${loop#/dev/}/dev")" >> "$work/nodes"
    while read -r nr start sectors type; do
        case "$type" in
            0x5|0xf|0x85) sectors=2 ;;
        esac
        loop="$(attach "$work/$name.img" -o $(( start * 512 )) --sizelimit $(( sectors * 512 )))"
        loops+=("$loop")
        printf '%s%s %s\n' "$name" "$nr" "$(tr ':' ' ' < "/sys/block/${loop#/dev/}/dev")" >> "$work/nodes"
        printf '%s%s %s\n' "$name" "$nr" "$start" >> "$work/starts"
    done < <(partx -g -o NR,START,SECTORS,TYPE "$work/$name.img")
}

# attach_lvs WORK: a node /dev/VG/LV (and /dev/mapper/VG-LV) for each LV:
# - a linear LV of one segment: a loop device at its byte range on the PV
#   (partition start + pe_start + first extent * extent size);
# - a linear LV of several segments (on one or several PVs): a loop device of
#   a file of the LV's size; after mkfs, write_segments copies each segment of
#   that file to its range on the PVs and checks that the ranges read back in
#   LV order equal the file, so the node shows the bytes dm-linear would;
# - a thin LV has no byte range on its PV (dm-thin maps its blocks through
#   the pool's metadata): a loop device of a sparse file of the LV's size.
# LVs in brackets are a pool's hidden sub-LVs, which have no /dev/VG node.
attach_lvs() {
    local work="$1" vg lv segtype extent lvsize segstart ranges pvdev pv_start start end disk loop offset size nseg
    local -A nsegs=()
    : > "$work/segments"
    while read -r vg lv _; do
        nsegs[$vg/$lv]=$(( ${nsegs[$vg/$lv]:-0} + 1 ))
    done < "$work/lvs.txt"
    while read -r vg lv segtype extent lvsize segstart ranges; do
        case "$lv" in \[*) continue ;; esac
        nseg="${nsegs[$vg/$lv]}"
        case "$segtype" in
            linear)
                # ranges: /dev/sda3:0-5
                pvdev="${ranges%%:*}"; pvdev="${pvdev#/dev/}"
                start="${ranges#*:}"; end="${start#*-}"; start="${start%-*}"
                pv_start="$(awk -v d="/dev/$pvdev" '$1 == d { print $3 }' "$work/pvs.txt")"
                disk="${pvdev%%[0-9]*}"
                offset=$(( $(awk -v p="$pvdev" '$1 == p { print $2 }' "$work/starts") * 512 + pv_start + start * extent ))
                size=$(( (end - start + 1) * extent ))
                if [ "$nseg" -gt 1 ]; then
                    printf '%s %s %s %s %s\n' "$work/$vg-$lv.lv" "$work/$disk.img" "$offset" "$size" \
                        $(( segstart * extent )) >> "$work/segments"
                    [ "$segstart" = 0 ] || continue
                    truncate -s "$lvsize" "$work/$vg-$lv.lv"
                    loop="$(attach "$work/$vg-$lv.lv")"
                else
                    loop="$(attach "$work/$disk.img" -o "$offset" --sizelimit "$size")"
                fi
                ;;
            thin)
                truncate -s "$lvsize" "$work/$vg-$lv.thin"
                loop="$(attach "$work/$vg-$lv.thin")"
                ;;
            *) continue ;;
        esac
        loops+=("$loop")
        printf '%s/%s %s\n' "$vg" "$lv" "$(tr ':' ' ' < "/sys/block/${loop#/dev/}/dev")" >> "$work/nodes"
        printf 'mapper/%s-%s %s\n' "$vg" "$lv" "$(tr ':' ' ' < "/sys/block/${loop#/dev/}/dev")" >> "$work/nodes"
    done < "$work/lvs.txt"
}

# write_segments WORK: see attach_lvs.
write_segments() {
    local work="$1" file img offset size lvoffset
    while read -r file img offset size lvoffset; do
        dd if="$file" of="$img" bs=1M iflag=skip_bytes,count_bytes oflag=seek_bytes \
            skip="$lvoffset" seek="$offset" count="$size" conv=notrunc status=none
    done < "$work/segments"
    while read -r file img offset size lvoffset; do
        cmp -s <(dd if="$img" bs=1M iflag=skip_bytes,count_bytes skip="$offset" count="$size" status=none) \
               <(dd if="$file" bs=1M iflag=skip_bytes,count_bytes skip="$lvoffset" count="$size" status=none) ||
            { echo "segment of $file at $offset in $img differs" >&2; return 1; }
    done < "$work/segments"
}

inner() { unshare -m "$0" --inner "$@"; }

# run_case CASE: $workroot/CASE holds disk images, "build" and "disks".
run_case() {
    local c="$1" work="$workroot/$1" d ds
    : > "$work/nodes"; : > "$work/starts"
    read -ra ds < "$work/disks"
    for d in "${ds[@]}"; do attach_disk "$work" "$d"; done
    inner build "$work"
    if [ -s "$work/lvs.txt" ]; then
        attach_lvs "$work"
        inner fs_lv "$work"
        write_segments "$work"
    fi
    inner save "$work"
    cleanup; loops=()
    rm -rf "${fixtures:?}/$c"
    mkdir -p "$fixtures"
    cp -a "$work/partimag/$c" "$fixtures/$c"
    cp "$work/files.sha256" "$fixtures/$c.files.sha256"
    echo "== $c: $(du -sh "$fixtures/$c" | cut -f1)"
    ls -l "$fixtures/$c"
    verify_case "$c"
}

case_gpt_lvm() {
    local work="$workroot/gpt-lvm"
    mkdir -p "$work"
    truncate -s 400M "$work/sda.img"
    sgdisk -U 6c1b0e5e-0000-4000-8000-000000000001 \
        -n 1:1M:+40M -t 1:ef00 -c 1:esp -u 1:6c1b0e5e-0000-4000-8000-000000000011 \
        -n 2:0:+24M -t 2:8300 -c 2:boot -u 2:6c1b0e5e-0000-4000-8000-000000000012 \
        -n 3:0:+332M -t 3:8e00 -c 3:lvm -u 3:6c1b0e5e-0000-4000-8000-000000000013 \
        "$work/sda.img" > /dev/null
    echo sda > "$work/disks"
    cat > "$work/build" <<'EOF'
fs sda1 vfat ESP 1A2B3C4D
fs sda2 ext4 boot 6c1b0e5e-0000-4000-8000-0000000000e2
pv sda3 - Vgtest-Pv00-0000-0000-0000-0000-000001
vg vgtest /dev/sda3
lv vgtest root 6
lv vgtest data 75
lvfs vgtest/root ext4 vgtest-root 6c1b0e5e-0000-4000-8000-0000000000e3
lvfs vgtest/data xfs vgtest-data 6c1b0e5e-0000-4000-8000-0000000000e4
EOF
    run_case gpt-lvm
}

case_mbr_swap_extended() {
    local work="$workroot/mbr-swap-extended"
    mkdir -p "$work"
    truncate -s 256M "$work/sda.img"
    sfdisk -q "$work/sda.img" <<'EOF'
label: dos
label-id: 0x5a1e0001
,96MiB,83,*
,,5
,32MiB,82
,,83
EOF
    # Known bytes between the MBR and the first partition (-j2 saves them as
    # sda-hidden-data-after-mbr): sectors 1 and 2047.
    printf 'Ezio fixture hidden data after MBR, sector 1\n' |
        dd of="$work/sda.img" bs=512 seek=1 conv=notrunc status=none
    printf 'Ezio fixture hidden data after MBR, sector 2047\n' |
        dd of="$work/sda.img" bs=512 seek=2047 conv=notrunc status=none
    echo sda > "$work/disks"
    cat > "$work/build" <<'EOF'
fs sda1 ext4 root 5a1e0000-0000-4000-8000-0000000000e1
swap sda5 - swap0 5a1e0000-0000-4000-8000-000000000005
fs sda6 ext4 home 5a1e0000-0000-4000-8000-0000000000e6
EOF
    run_case mbr-swap-extended
}

case_lvm_thin() {
    local work="$workroot/lvm-thin"
    mkdir -p "$work"
    truncate -s 128M "$work/sda.img"
    # GPT: an MBR disk would add 1 MiB of sda-hidden-data-after-mbr.
    sgdisk -U 7e170000-0000-4000-8000-00000000000a \
        -n 1:1M:0 -t 1:8e00 -c 1:lvm -u 1:7e170000-0000-4000-8000-0000000000a1 \
        "$work/sda.img" > /dev/null
    echo sda > "$work/disks"
    cat > "$work/build" <<'EOF'
pv sda1 - Vgthin-Pv00-0000-0000-0000-0000-000001
vg vgthin /dev/sda1
thin vgthin pool 16 48M
lvfs vgthin/thin ext4 thin 7e170000-0000-4000-8000-0000000000e1
EOF
    run_case lvm-thin
}

case_multi_disk() {
    local work="$workroot/multi-disk"
    mkdir -p "$work"
    truncate -s 64M "$work/sda.img" "$work/sdb.img"
    sgdisk -U 3d15c000-0000-4000-8000-00000000000a \
        -n 1:1M:0 -t 1:8300 -c 1:data-a -u 1:3d15c000-0000-4000-8000-0000000000a1 \
        "$work/sda.img" > /dev/null
    sfdisk -q "$work/sdb.img" <<'EOF'
label: dos
label-id: 0x3d15c00b
,,83
EOF
    echo sda sdb > "$work/disks"
    cat > "$work/build" <<'EOF'
fs sda1 ext4 data-a 3d15c000-0000-4000-8000-0000000000e1
fs sdb1 ext4 data-b 3d15c000-0000-4000-8000-0000000000e2
EOF
    run_case multi-disk
}

case_lvm_multi_pv() {
    local work="$workroot/lvm-multi-pv"
    mkdir -p "$work"
    truncate -s 160M "$work/sda.img"
    sgdisk -U 4d0c0000-0000-4000-8000-00000000000a \
        -n 1:1M:+16M -t 1:8300 -c 1:boot -u 1:4d0c0000-0000-4000-8000-0000000000a1 \
        -n 2:0:+49M -t 2:8e00 -c 2:pv0 -u 2:4d0c0000-0000-4000-8000-0000000000a2 \
        -n 3:0:+49M -t 3:8e00 -c 3:pv1 -u 3:4d0c0000-0000-4000-8000-0000000000a3 \
        "$work/sda.img" > /dev/null
    echo sda > "$work/disks"
    # Extents of pv0 (sda2) and pv1 (sda3): a = pv0 0-3 + pv1 3-6 (lvextend);
    # b = pv0 4-10 + pv1 0-2; c = pv1 7-10 (one segment).
    cat > "$work/build" <<'EOF'
fs sda1 ext4 boot 4d0c0000-0000-4000-8000-0000000000e1
pv sda2 - Vgmult-Pv00-0000-0000-0000-0000-000000
pv sda3 - Vgmult-Pv00-0000-0000-0000-0000-000001
vg vgmulti /dev/sda2
vgextend vgmulti /dev/sda3
lv vgmulti a 4 sda2:0-3
lv vgmulti b 10 sda2:4-10,sda3:0-2
lvextend vgmulti a 4 sda3:3-6
lv vgmulti c 4 sda3:7-10
lvfs vgmulti/a ext4 lv-a 4d0c0000-0000-4000-8000-0000000000e2
lvfs vgmulti/b ext4 lv-b 4d0c0000-0000-4000-8000-0000000000e3
lvfs vgmulti/c ext4 lv-c 4d0c0000-0000-4000-8000-0000000000e4
EOF
    run_case lvm-multi-pv
}

all=(gpt-lvm mbr-swap-extended lvm-thin multi-disk lvm-multi-pv)
if [ "${1:-}" = --verify ]; then
    # Only check the committed fixtures against their .files.sha256.
    shift
    cases=("$@")
    [ ${#cases[@]} -gt 0 ] || cases=("${all[@]}")
    for c in "${cases[@]}"; do verify_case "$c"; done
    rm -rf "$workroot"
    exit 0
fi
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=("${all[@]}")
for c in "${cases[@]}"; do
    "case_${c//-/_}"
done
rm -rf "$workroot"
