#!/usr/bin/env bash
# Writes a dnsmasq configuration for Ezio netboot to stdout.
#
#   pxe/dnsmasq-config.sh lab   --iface IF --server-ip IP --server-url URL --tftp-root DIR \
#                               [--range START,END] [--netmask MASK] [--lease TIME] [--uefi L]
#   pxe/dnsmasq-config.sh proxy --iface IF --server-ip IP --server-url URL --tftp-root DIR \
#                               --proxy-net NETWORK [--uefi L]
#
# lab:   dnsmasq is the network's DHCP server (a room or rack of its own).
# proxy: the site keeps its DHCP server; dnsmasq adds only PXE boot answers.
# --uefi: what UEFI x64 PXE clients (arch 7, 9) load over TFTP:
#   shim (default) shimx64.efi, signed shim -> signed GRUB: Secure Boot on or off
#   ipxe           ipxe/snponly.efi (unsigned: Secure Boot must be off)
#   grub           grub/x86_64-efi/core.efi (unsigned: Secure Boot must be off)
# lab also answers UEFI HTTP Boot (arch 16, "HTTPClient") with URL/boot/ipxe/snponly.efi (iPXE:
# Secure Boot off; Debian 12's signed GRUB has no HTTP, see NETBOOT.md).
# Check the result with: dnsmasq --test -C FILE
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -ge 1 ]] || usage
mode=$1
shift
iface="" server_ip="" server_url="" tftp_root="" range="" netmask=255.255.255.0 lease=1h proxy_net="" uefi=shim
while [[ $# -gt 0 ]]; do
    case $1 in
        --iface) iface=$2 ;;
        --server-ip) server_ip=$2 ;;
        --server-url) server_url=$2 ;;
        --tftp-root) tftp_root=$2 ;;
        --range) range=$2 ;;
        --netmask) netmask=$2 ;;
        --lease) lease=$2 ;;
        --proxy-net) proxy_net=$2 ;;
        --uefi) uefi=$2 ;;
        *) echo "dnsmasq-config.sh: unknown option $1" >&2; usage ;;
    esac
    shift 2
done
for v in iface server_ip tftp_root; do
    [[ -n ${!v} ]] || { echo "dnsmasq-config.sh: --${v//_/-} is required" >&2; exit 2; }
done
: "${server_url:=http://$server_ip:8080}"
server_url=${server_url%/}
case $uefi in
    shim) uefi_loader=shimx64.efi ;;
    ipxe) uefi_loader=ipxe/snponly.efi ;;
    grub) uefi_loader=grub/x86_64-efi/core.efi ;;
    *) echo "dnsmasq-config.sh: --uefi shim|ipxe|grub, not '$uefi'" >&2; exit 2 ;;
esac
[[ $server_url =~ ^http://[^[:space:],]+$ ]] || { echo "dnsmasq-config.sh: --server-url must be http://HOST[:PORT] (UEFI HTTP Boot), not '$server_url'" >&2; exit 2; }

case $mode in
    lab)
        if [[ -z $range ]]; then
            # Default: .100-.199 of the server's /24.
            base=${server_ip%.*}
            range=$base.100,$base.199
        fi
        exec "$here/render.sh" "$here/dnsmasq/lab.conf.in" \
            IFACE="$iface" SERVER_IP="$server_ip" TFTP_ROOT="$tftp_root" \
            RANGE_START="${range%,*}" RANGE_END="${range#*,}" NETMASK="$netmask" LEASE="$lease" \
            UEFI_LOADER="$uefi_loader" HTTP_BOOT_URL="$server_url/boot/ipxe/snponly.efi"
        ;;
    proxy)
        [[ -n $proxy_net ]] || proxy_net="${server_ip%.*}.0"
        exec "$here/render.sh" "$here/dnsmasq/proxy.conf.in" \
            IFACE="$iface" TFTP_ROOT="$tftp_root" PROXY_NET="$proxy_net" UEFI_LOADER="$uefi_loader"
        ;;
    *) usage ;;
esac
