#!/usr/bin/env bash
# Fills @NAME@ placeholders of a pxe/ template.
#   pxe/render.sh TEMPLATE NAME=VALUE ...  > output
# Every placeholder must get a value: a leftover @NAME@ is an error, so a
# half-rendered dnsmasq or boot-menu file never reaches a boot root.
set -euo pipefail
# bash 5.2: "&" in the replacement of ${var//pattern/replacement} means the match.
shopt -u patsub_replacement 2>/dev/null || true

[[ $# -ge 1 ]] || { echo "usage: render.sh TEMPLATE NAME=VALUE ..." >&2; exit 2; }
template=$1
shift
[[ -r $template ]] || { echo "render.sh: cannot read $template" >&2; exit 2; }

text=$(<"$template")
for pair in "$@"; do
    name=${pair%%=*}
    value=${pair#*=}
    [[ $name =~ ^[A-Z][A-Z0-9_]*$ ]] || { echo "render.sh: bad name '$name'" >&2; exit 2; }
    text=${text//@"$name"@/$value}
done
if left=$(grep -oE '@[A-Z][A-Z0-9_]*@' <<<"$text" | sort -u | tr '\n' ' ') && [[ -n $left ]]; then
    echo "render.sh: $template: no value for $left" >&2
    exit 1
fi
printf '%s\n' "$text"
