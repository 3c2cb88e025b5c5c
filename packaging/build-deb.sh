#!/usr/bin/env bash
# Builds the Debian packages ezio, ezio-server and ezio-netboot with dpkg-deb (no debhelper):
#
#   packaging/build-deb.sh --version V --ezio BIN --server DIR --initrd DIR --out DIR
#
#   --ezio BIN     the AOT ezio (make publish)
#   --server DIR   the AOT ezio-server's publish directory (make publish-server)
#   --initrd DIR   vmlinuz, initrd.img, SHA256SUMS of the agent boot pair (make initrd-agent)
#   --out DIR      where the .deb files go
#
# Every file is root-owned with a plain mode, man pages and changelogs are gzip -9n, library
# dependencies come from dpkg-shlibdeps plus what the binaries dlopen (OpenSSL, zstd).
# Environment: DEB_MAINTAINER ("Name <mail>"), SOURCE_DATE_EPOCH (changelog date, file times).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

version="" ezio_bin="" server_dir="" initrd_dir="" out=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --version) version=$2 ;;
        --ezio) ezio_bin=$2 ;;
        --server) server_dir=$2 ;;
        --initrd) initrd_dir=$2 ;;
        --out) out=$2 ;;
        *) echo "build-deb.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done
die() { echo "build-deb.sh: $*" >&2; exit 1; }
[[ -n $version && -n $ezio_bin && -n $server_dir && -n $initrd_dir && -n $out ]] ||
    { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $version =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || die "not a Debian version: '$version'"
[[ -x $ezio_bin ]] || die "no ezio binary at $ezio_bin (make publish)"
[[ -x $server_dir/ezio-server ]] || die "no ezio-server in $server_dir (make publish-server)"
for f in vmlinuz initrd.img SHA256SUMS; do
    [[ -f $initrd_dir/$f ]] || die "no $f in $initrd_dir (make initrd-agent)"
done
for tool in dpkg-deb dpkg-shlibdeps gzip; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install dpkg-dev)"
done

maintainer=${DEB_MAINTAINER:-The Ezio authors <ezio@example.org>}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# shlibs PKGDIR FILE...: the library dependencies of the ELF files (dpkg-shlibdeps wants a
# debian/control beside it).
shlibs() {
    local root=$1
    shift
    mkdir -p "$work/shlibs/debian"
    printf 'Source: ezio\n\nPackage: ezio\nArchitecture: any\n' >"$work/shlibs/debian/control"
    (cd "$work/shlibs" && dpkg-shlibdeps -O "${@/#/-e$root/}" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
}

# docs PKGDIR PKG: copyright and changelog.gz, as Debian policy wants them for every package.
docs() {
    local root=$1 pkg=$2 doc=$1/usr/share/doc/$2
    install -d "$doc"
    {
        cat <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: ezio

Files: *
Copyright: 2026 The Ezio authors
License: Expat
EOF
        if [[ $pkg == ezio-server ]]; then
            cat <<EOF

Files: usr/lib/ezio-server/*
Copyright: .NET Foundation and Contributors; SQLite: none (public domain)
Comment: The Native AOT binary holds the .NET runtime and libraries (MIT);
 libe_sqlite3.so is SQLite, built by SQLitePCLRaw.
License: Expat
EOF
        elif [[ $pkg == ezio-netboot ]]; then
            cat <<EOF

Files: usr/lib/ezio-netboot/initrd-agent/*
Copyright: The Linux kernel, BusyBox, util-linux, partclone, e2fsprogs, glibc authors
Comment: vmlinuz and the modules, tools and libraries in initrd.img are copied from the
 Debian packages linux-image-amd64, busybox-static, fdisk, partclone, e2fsprogs, libc6 and
 their dependencies; their copyright files in /usr/share/doc say everything.
License: GPL-2+
 See /usr/share/common-licenses/GPL-2.
EOF
        fi
        printf '\nLicense: Expat\n'
        sed -n '3,$p' "$repo/LICENSE" | sed -e 's/^$/./' -e 's/^/ /'
    } >"$doc/copyright"
    printf '%s (%s) unstable; urgency=medium\n\n  * Ezio %s, built by make deb.\n\n -- %s  %s\n' \
        "$pkg" "$version" "$version" "$maintainer" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")" | gzip -9n >"$doc/changelog.gz"
    chmod 0644 "$doc/copyright" "$doc/changelog.gz"
}

# overrides PKGDIR PKG BINARY: the one lintian error a Native AOT binary cannot avoid. The .NET
# runtime links zlib-ng in statically (System.IO.Compression's native part); there is no build
# switch for the system libz (packaging/README.md).
overrides() {
    local root=$1 pkg=$2 binary=$3
    install -d "$root/usr/share/lintian/overrides"
    printf '%s\n' "# Native AOT: the .NET runtime's System.IO.Compression has zlib-ng linked in statically." \
        "$pkg: embedded-library zlib [$binary]" >"$root/usr/share/lintian/overrides/$pkg"
    chmod 0644 "$root/usr/share/lintian/overrides/$pkg"
}

# man PKGDIR SECTION PAGE: the page with its version, gzip -9n.
man_page() {
    local root=$1 section=$2 page=$3
    install -d "$root/usr/share/man/man$section"
    sed "s/@VERSION@/$version/" "$here/man/$page" | gzip -9n >"$root/usr/share/man/man$section/$page.gz"
    chmod 0644 "$root/usr/share/man/man$section/$page.gz"
}

# package PKGDIR PKG "Field: value" lines...: DEBIAN/control and md5sums, then dpkg-deb.
package() {
    local root=$1 pkg=$2
    shift 2
    install -d -m 0755 "$root/DEBIAN"
    {
        echo "Package: $pkg"
        echo "Source: ezio"
        echo "Version: $version"
        echo "Architecture: $arch"
        echo "Maintainer: $maintainer"
        echo "Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)"
        printf '%s\n' "$@"
        echo "Section: admin"
        echo "Priority: optional"
    } >"$root/DEBIAN/control"
    (cd "$root" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z | xargs -0 md5sum | sed 's| \./| |') >"$root/DEBIAN/md5sums"
    chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
    dpkg-deb --root-owner-group -Zgzip --build "$root" "$out/${pkg}_${version}_$arch.deb" >/dev/null
    echo "$out/${pkg}_${version}_$arch.deb"
}

umask 022

# ---- ezio: the CLI and agent ----
r=$work/ezio
install -D -m 0755 "$ezio_bin" "$r/usr/bin/ezio"
man_page "$r" 1 ezio.1
docs "$r" ezio
overrides "$r" ezio usr/bin/ezio
package "$r" ezio \
    "Depends: $(shlibs "$r" usr/bin/ezio), libssl3, libzstd1" \
    "Recommends: partclone, fdisk, e2fsprogs" \
    "Suggests: ezio-server, gdisk, lvm2, xfsprogs, dosfstools, ntfs-3g" \
    "Description: mass bare-metal deployment over BitTorrent (command line and agent)" \
    " Ezio writes disk images to many machines at once: every machine that has" \
    " a piece serves it to the others. This package holds the ezio command:" \
    " Ezio images made from Clonezilla images or disks, downloads straight to" \
    " disks, seeding, verification, and the agent that netbooted machines run."

# ---- ezio-server: the server, its unit, user and config ----
r=$work/ezio-server
install -D -m 0755 "$server_dir/ezio-server" "$r/usr/lib/ezio-server/ezio-server"
for lib in "$server_dir"/*.so; do
    [[ -e $lib ]] || continue
    install -m 0644 "$lib" "$r/usr/lib/ezio-server/"
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$r/usr/lib/ezio-server/${lib##*/}"
done
install -d "$r/usr/sbin"
ln -s ../lib/ezio-server/ezio-server "$r/usr/sbin/ezio-server"
install -D -m 0644 "$here/ezio-server/ezio-server.service" "$r/lib/systemd/system/ezio-server.service"
install -D -m 0644 "$here/ezio-server/sysusers.conf" "$r/usr/lib/sysusers.d/ezio-server.conf"
install -D -m 0644 "$here/ezio-server/server.json" "$r/etc/ezio/server.json"
install -D -m 0644 "$repo/systemd/server.json.example" "$r/usr/share/doc/ezio-server/examples/server.json"
man_page "$r" 8 ezio-server.8
docs "$r" ezio-server
overrides "$r" ezio-server usr/lib/ezio-server/ezio-server
install -d "$r/DEBIAN"
install -m 0755 "$here/ezio-server/postinst" "$here/ezio-server/prerm" "$here/ezio-server/postrm" "$r/DEBIAN/"
echo /etc/ezio/server.json >"$r/DEBIAN/conffiles"
chmod 0644 "$r/DEBIAN/conffiles"
mapfile -t server_elves < <(cd "$r" && find usr/lib/ezio-server -type f)
package "$r" ezio-server \
    "Depends: $(shlibs "$r" "${server_elves[@]}"), libssl3, systemd | systemd-standalone-sysusers | opensysusers" \
    "Recommends: ezio, ezio-netboot" \
    "Description: mass bare-metal deployment over BitTorrent (server)" \
    " One process that seeds Ezio images, runs their BitTorrent tracker, answers" \
    " the agents of netbooted machines, writes their boot menus and shows a live" \
    " dashboard. It runs as its own system user; ezio-server setup --interface IF" \
    " sets it up."

# ---- ezio-netboot: the boot root's files and the dnsmasq templates ----
r=$work/ezio-netboot
nb=$r/usr/lib/ezio-netboot
install -D -m 0755 "$repo/pxe/boot-setup.sh" "$nb/boot-setup.sh"
install -m 0755 "$repo/pxe/render.sh" "$nb/render.sh"
install -m 0755 "$repo/pxe/signed-efi.sh" "$nb/signed-efi.sh"
install -D -m 0644 -t "$nb/boot" "$repo"/pxe/boot/*.in
install -D -m 0644 -t "$nb/dnsmasq" "$repo"/pxe/dnsmasq/*.in
install -D -m 0644 -t "$nb/initrd-agent" "$initrd_dir/vmlinuz" "$initrd_dir/initrd.img" "$initrd_dir/SHA256SUMS"
install -D -m 0644 "$repo/pxe/NETBOOT.md" "$r/usr/share/doc/ezio-netboot/NETBOOT.md"
docs "$r" ezio-netboot
package "$r" ezio-netboot \
    "Depends: ipxe, grub-efi-amd64-bin, grub-common, pxelinux, syslinux-common" \
    "Recommends: ezio-server, dnsmasq" \
    "Description: mass bare-metal deployment over BitTorrent (netboot files)" \
    " The kernel and the small initrd that runs the Ezio agent on a netbooted" \
    " machine, the iPXE, GRUB and PXELINUX chain, and dnsmasq templates for a lab" \
    " network or proxy-DHCP. Nothing is enabled until ezio-server setup" \
    " --interface IF names the interface."
