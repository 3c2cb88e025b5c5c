#!/usr/bin/env bash
# `make demo`: an ezio deployment you can watch. A server and N machines on an emulated LAN
# (network namespaces, a switch, RATE links, a loop device per machine as its disk): the
# server runs opentracker + `ezio seed`, every machine runs `ezio get` onto its disk, one
# live line per machine, then every disk is verified and a summary table printed
# (system/deploy.sh does the work; the agent and server replace get/seed there later).
#
#   system/demo.sh [N] [RATE] [SIZE_MIB]       (defaults 4 machines, 100mbit, 256 MiB)
#
# Without root or network namespaces it falls back to demo/swarm.sh: the same swarm of
# real `ezio` processes on 127.0.0.1, without the LAN.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
n=${1:-${N:-4}}
rate=${2:-${RATE:-100mbit}}
size_mib=${3:-${SIZE_MIB:-256}}

fallback() {
    echo "demo: $1; running the loopback demo (demo/swarm.sh) instead" >&2
    exec "$repo/demo/swarm.sh" "$n" "$size_mib"
}

[[ $(id -u) -eq 0 ]] || fallback "network namespaces and loop devices need root"
for tool in ip tc losetup opentracker; do
    command -v "$tool" >/dev/null || fallback "$tool is not installed"
done
probe=ezdemo-probe-$$
if ! ip netns add "$probe" 2>/dev/null; then
    fallback "cannot create network namespaces here"
fi
ip netns del "$probe"

echo "== ezio demo: 1 server + $n machines on an emulated LAN at $rate, a $size_mib MiB image"
N=$n RATE=$rate SIZE_MIB=$size_mib LIVE=1 exec "$here/deploy.sh"
