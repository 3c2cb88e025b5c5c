#!/usr/bin/env bash
# Builds the Ezio live netboot image (kernel, initrd, zstd squashfs) with live-build.
#
#   live-build/build.sh              (or: make image)
#
# Environment (all optional):
#   EZIO_BIN     AOT binary baked in as /usr/local/bin/ezio   [out/ezio]
#   AGENT_UNIT   systemd unit installed and enabled            [live-build/systemd/ezio-agent.service]
#   TRUSTED_PUB  PEM public key installed as /etc/ezio/trusted.pub
#   SIGNING_KEY  PEM private key (the server's); its public half becomes trusted.pub
#   SERVER_CERT_SHA256  the server's HTTPS certificate fingerprint (ezio-server cert-fingerprint),
#                pinned by the agent in /etc/ezio/agent.json
#   SERVER_CERT  or the server's certificate itself (<state>/https-cert.pem)
#   LIVE_OUT     where vmlinuz, initrd.img, filesystem.squashfs, SHA256SUMS land [out/boot/live]
#   LB_DIR       live-build work directory; its cache/ makes rebuilds fast [/var/cache/ezio/live-build]
#   MIRROR       Debian archive URL [first .../debian URI in /etc/apt/sources.list*]
#   SECURITY_MIRROR                [same host, /debian-security]
#
# Needs root (debootstrap, chroot). Installs live-build, debootstrap and
# squashfs-tools with apt-get when they are missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

EZIO_BIN=${EZIO_BIN:-$repo/out/ezio}
AGENT_UNIT=${AGENT_UNIT:-$here/systemd/ezio-agent.service}
TRUSTED_PUB=${TRUSTED_PUB:-}
SIGNING_KEY=${SIGNING_KEY:-}
SERVER_CERT_SHA256=${SERVER_CERT_SHA256:-}
SERVER_CERT=${SERVER_CERT:-}
LIVE_OUT=${LIVE_OUT:-$repo/out/boot/live}
LB_DIR=${LB_DIR:-/var/cache/ezio/live-build}
MIRROR=${MIRROR:-}
SECURITY_MIRROR=${SECURITY_MIRROR:-}

log() { printf '[image %(%H:%M:%S)T] %s\n' -1 "$*"; }
die() { printf 'image: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap and chroot)"
[[ -x $EZIO_BIN ]] || die "no ezio binary at $EZIO_BIN (make publish, or set EZIO_BIN)"

need=()
command -v lb >/dev/null || need+=(live-build)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v mksquashfs >/dev/null || need+=(squashfs-tools)
command -v zstd >/dev/null || need+=(zstd)
if ((${#need[@]})); then
    log "apt-get install ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi

# The Debian archive this machine's apt uses (deb822 .sources first, then one-line lists).
detect_mirror() {
    local uri
    uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
          | awk '{for (i = 2; i <= NF; i++) print $i}' | awk '/\/debian\/?$/ && uri == "" {uri = $0} END {print uri}' || true)
    if [[ -z $uri ]]; then
        uri=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
              | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; break}}' \
              | awk '/\/debian\/?$/ && uri == "" {uri = $0} END {print uri}' || true)
    fi
    [[ -n $uri ]] || uri=http://deb.debian.org/debian
    printf '%s\n' "${uri%/}/"
}
[[ -n $MIRROR ]] || MIRROR=$(detect_mirror)
[[ -n $SECURITY_MIRROR ]] || SECURITY_MIRROR="${MIRROR%/debian/}/debian-security/"
log "archive $MIRROR, security $SECURITY_MIRROR"

# Temporary files removed on exit (never TRUSTED_PUB itself).
temps=()
trap 'rm -f "${temps[@]}"' EXIT

# trusted.pub: given directly, or derived from the server's signing key.
pubkey=""
if [[ -n $TRUSTED_PUB ]]; then
    [[ -r $TRUSTED_PUB ]] || die "TRUSTED_PUB $TRUSTED_PUB not readable"
    pubkey=$TRUSTED_PUB
elif [[ -n $SIGNING_KEY ]]; then
    [[ -r $SIGNING_KEY ]] || die "SIGNING_KEY $SIGNING_KEY not readable"
    pubkey=$(mktemp)
    temps+=("$pubkey")
    openssl pkey -in "$SIGNING_KEY" -pubout -out "$pubkey"
fi

# agent.json pinning the server's HTTPS certificate; checked now, before the long build.
agent_json=""
if [[ -n $SERVER_CERT_SHA256 || -n $SERVER_CERT ]]; then
    agent_json=$(mktemp)
    temps+=("$agent_json")
    "$here/agent-config.sh" ${SERVER_CERT_SHA256:+--sha256 "$SERVER_CERT_SHA256"} ${SERVER_CERT:+--cert "$SERVER_CERT"} \
        --out "$agent_json" >/dev/null
fi

start=$(date +%s)
mkdir -p "$LB_DIR"
cd "$LB_DIR"

# Keep cache/ (packages and the debootstrap stage), drop everything else.
if [[ -d config ]]; then
    log "lb clean (cache kept)"
    lb clean >/dev/null 2>&1 || true
    rm -rf config auto .build
fi

log "lb config"
lb config \
    --mode debian \
    --distribution bookworm \
    --architecture amd64 \
    --archive-areas main \
    --binary-image netboot \
    --initramfs live-boot \
    --initsystem systemd \
    --linux-flavours amd64 \
    --mirror-bootstrap "$MIRROR" \
    --mirror-chroot "$MIRROR" \
    --mirror-binary "$MIRROR" \
    --mirror-chroot-security "$SECURITY_MIRROR" \
    --mirror-binary-security "$SECURITY_MIRROR" \
    --security true \
    --updates true \
    --apt-options "--yes -o Acquire::Check-Valid-Until=false" \
    --apt-recommends false \
    --apt-indices false \
    --debootstrap-options "--variant=minbase" \
    --firmware-binary false \
    --firmware-chroot false \
    --debian-installer none \
    --memtest none \
    --chroot-squashfs-compression-type zstd \
    --cache true \
    --cache-packages true \
    --cache-stages bootstrap \
    --compression none \
    --checksums none \
    --zsync false \
    --iso-application "Ezio live" \
    --bootappend-live "boot=live components" \
    >/dev/null

# Our configuration on top of what lb config generated. lb's own live list
# would add live-config; the live system needs only live-boot and systemd.
printf 'live-boot\nsystemd-sysv\n' >config/package-lists/live.list.chroot
cp -a "$here/config/." config/
inc=config/includes.chroot
install -D -m 0755 "$EZIO_BIN" "$inc/usr/local/bin/ezio"
if [[ -r $AGENT_UNIT ]]; then
    install -D -m 0644 "$AGENT_UNIT" "$inc/etc/systemd/system/ezio-agent.service"
else
    log "warning: no agent unit at $AGENT_UNIT; the image boots without ezio-agent.service"
fi
if [[ -n $pubkey ]]; then
    install -D -m 0644 "$pubkey" "$inc/etc/ezio/trusted.pub"
    log "trusted.pub baked in"
fi
if [[ -n $agent_json ]]; then
    install -D -m 0644 "$agent_json" "$inc/etc/ezio/agent.json"
    log "agent.json baked in: server certificate pinned"
else
    log "warning: no SERVER_CERT_SHA256/SERVER_CERT: the agent can only talk plain http (or https with InsecureTls)"
fi
install -D -m 0755 "$repo/initramfs-hooks/hooks/ezio" "$inc/etc/initramfs-tools/hooks/ezio"
install -D -m 0755 "$repo/initramfs-hooks/scripts/init-bottom/ezio" \
    "$inc/etc/initramfs-tools/scripts/init-bottom/ezio"

log "lb build (log: $LB_DIR/build.log)"
if ! lb build >build.log 2>&1; then
    tail -n 40 build.log >&2
    die "lb build failed; see $LB_DIR/build.log"
fi

# netboot puts kernel and initrd under tftpboot/live, the squashfs under binary/live.
kernel="" initrd=""
for d in tftpboot/live binary/live; do
    if [[ -f $d/vmlinuz ]]; then kernel=$d/vmlinuz; fi
    if [[ -f $d/initrd.img ]]; then initrd=$d/initrd.img; fi
done
squash=binary/live/filesystem.squashfs
[[ -n $kernel && -n $initrd && -f $squash ]] || die "build produced no kernel/initrd/squashfs under $LB_DIR/{tftpboot,binary}/live"

mkdir -p "$LIVE_OUT"
cp "$kernel" "$LIVE_OUT/vmlinuz.new"
cp "$initrd" "$LIVE_OUT/initrd.img.new"
cp "$squash" "$LIVE_OUT/filesystem.squashfs.new"
for f in vmlinuz initrd.img filesystem.squashfs; do
    mv -f "$LIVE_OUT/$f.new" "$LIVE_OUT/$f"
done
[[ -f binary/live/filesystem.packages ]] && cp binary/live/filesystem.packages "$LIVE_OUT/"
(cd "$LIVE_OUT" && sha256sum vmlinuz initrd.img filesystem.squashfs >SHA256SUMS)

elapsed=$(( $(date +%s) - start ))
log "done in ${elapsed}s:"
(cd "$LIVE_OUT" && ls -l vmlinuz initrd.img filesystem.squashfs SHA256SUMS)
printf 'build_seconds=%s\n' "$elapsed" >"$LIVE_OUT/BUILD-INFO"
printf 'ezio_sha256=%s\n' "$(sha256sum "$EZIO_BIN" | cut -d' ' -f1)" >>"$LIVE_OUT/BUILD-INFO"
