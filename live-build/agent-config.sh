#!/usr/bin/env bash
# Writes the live image's /etc/ezio/agent.json pinning ezio-server's HTTPS certificate:
# the agent then talks https to the server and accepts only that certificate.
#
#   live-build/agent-config.sh --sha256 HEX --out FILE   (as `ezio-server cert-fingerprint` prints it)
#   live-build/agent-config.sh --cert PEM --out FILE     (e.g. /var/lib/ezio-server/https-cert.pem)
#
# The fingerprint is the SHA-256 of the certificate's DER bytes; colons and upper case
# are accepted. Anything that is not 64 hex digits is refused and nothing is written.
set -euo pipefail

die() { printf 'agent-config: %s\n' "$*" >&2; exit 1; }

sha256="" cert="" out=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --sha256) sha256=${2:-}; shift 2 ;;
        --cert) cert=${2:-}; shift 2 ;;
        --out) out=${2:-}; shift 2 ;;
        *) die "unknown argument $1" ;;
    esac
done
[[ -n $out ]] || die "--out FILE is required"
[[ -n $sha256 || -n $cert ]] || die "give --sha256 HEX or --cert PEM"
[[ -z $sha256 || -z $cert ]] || die "give --sha256 or --cert, not both"

if [[ -n $cert ]]; then
    [[ -r $cert ]] || die "certificate $cert not readable"
    sha256=$(openssl x509 -in "$cert" -outform DER | sha256sum | cut -d' ' -f1) || die "$cert is not a PEM certificate"
fi
sha256=$(printf '%s' "$sha256" | tr -d ':' | tr 'A-F' 'a-f')
[[ $sha256 =~ ^[0-9a-f]{64}$ ]] || die "not a SHA-256 fingerprint: '$sha256'"

mkdir -p "$(dirname "$out")"
printf '{\n  "ServerCertSha256": "%s"\n}\n' "$sha256" >"$out.tmp"
mv "$out.tmp" "$out"
printf '%s\n' "$sha256"
