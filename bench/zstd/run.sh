#!/usr/bin/env bash
# zstd bindings on one core (`make bench-zstd`, issue 9): decompression of the real pieces of
# the bench-os Debian image (its pieces.ezp, 1 MiB pieces at level 3) by libzstd through the
# engine's ZstdPieceCodec, by libzstd with a reused context, and by ZstdSharp.Port; then
# compression of the same pieces at levels 1 and 3 by both. bench/zstd/ZstdBench (Native AOT,
# like the agent) is pinned to one CPU with taskset.
#   PIECES   a pieces.ezp (default: out/bench-os/$VARIANT/repo/os-$VARIANT/pieces.ezp, made
#            by bench/os/image.sh when missing: needs root)
#   ZSTD_SECONDS  per measurement (default 3)   LEVELS  compression levels (default 1,3; "" skips)
#   CPU      the CPU to pin to (default the last one)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
VARIANT=${VARIANT:-minbase}
PIECES=${PIECES:-$repo/out/bench-os/$VARIANT/repo/os-$VARIANT/pieces.ezp}
SECONDS_EACH=${ZSTD_SECONDS:-3}
LEVELS=${LEVELS-1,3}
CPU=${CPU:-$(($(nproc) - 1))}

if [[ ! -f $PIECES ]]; then
    EZIO=${EZIO_BIN:-$repo/out/ezio}
    # shellcheck source=../os/image.sh
    source "$repo/bench/os/image.sh"
    osimage_make "$VARIANT" "http://10.79.0.1:6969/announce"
fi
nice -n 5 dotnet publish "$here/ZstdBench/ZstdBench.csproj" -c Release -o "$here/out" --nologo -v quiet >/dev/null
echo "bench-zstd: $(uname -m), CPU $CPU of $(nproc), load average $(cut -d' ' -f1-3 /proc/loadavg), libzstd $(dpkg-query -W -f '${Version}' libzstd1 2>/dev/null || echo '?')"
taskset -c "$CPU" "$here/out/ZstdBench" "$PIECES" --seconds "$SECONDS_EACH" --levels "$LEVELS"
