#!/usr/bin/env bash
# Renders an ezio-server boot-menu template ({{name}} placeholders, see
# pxe/templates/) the way the server does, for tests and the VM proof:
#   tests/boot/render-menu.sh TEMPLATE name=value ...
# An unknown or unfilled {{name}} is an error, as in the server.
set -euo pipefail
# bash 5.2: "&" in the replacement of ${var//pattern/replacement} means the match.
shopt -u patsub_replacement 2>/dev/null || true

[[ $# -ge 1 ]] || { echo "usage: render-menu.sh TEMPLATE name=value ..." >&2; exit 2; }
template=$1
shift
text=$(<"$template")
for pair in "$@"; do
    name=${pair%%=*}
    value=${pair#*=}
    text=${text//"{{$name}}"/$value}
done
if left=$(grep -oE '\{\{[a-z]+\}\}' <<<"$text" | sort -u | tr '\n' ' ') && [[ -n $left ]]; then
    echo "render-menu.sh: $template: no value for $left" >&2
    exit 1
fi
printf '%s\n' "$text"
