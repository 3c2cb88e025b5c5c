#!/usr/bin/env bash
# The Debian packages on this machine, end to end (root; network namespaces, loop devices):
#
#   tests/packaging/deb-e2e.sh DEB_DIR VERSION NEW_VERSION       (make deb-test)
#
#   1. lintian: no errors on the three packages of VERSION (its warnings are printed);
#   2. apt-get install ./ezio*_VERSION_*.deb (dependencies from apt): both binaries say
#      VERSION, both man pages render with `man -l` without a warning, systemd-analyze
#      verify passes the unit, the ezio-server user exists;
#   3. on an emulated LAN (bench/lan/lan.sh): `ezio-server setup --interface eth0` in the
#      server's namespace (a second run must change nothing), the installed server started
#      as the ezio-server user (setpriv: systemd is not PID 1 here), a small disk captured
#      into the repository with the installed ezio, deployed to two machines running the
#      installed `ezio agent` on loop devices (trusting only the key setup baked into the
#      boot root's agent initrd), each disk passing `ezio verify`;
#   4. upgrade to NEW_VERSION (dpkg says it): token, signing key, config, state and images
#      kept; the restarted server still knows the deployment;
#   5. apt-get remove: config and state kept; purge: config, state and the dnsmasq file
#      gone, the image repository kept.
#
# It refuses to run when an Ezio package or a path it would create is there already, and
# removes all it made at the end (packages, user, /srv/ezio, /srv/tftp, ...): the machine is
# left as it was. The last line is "deb-e2e: PASS" or "deb-e2e: FAIL: <what>".
# shellcheck source-path=SCRIPTDIR
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
debs=${1:?usage: deb-e2e.sh DEB_DIR VERSION NEW_VERSION}
version=${2:?usage: deb-e2e.sh DEB_DIR VERSION NEW_VERSION}
new_version=${3:?usage: deb-e2e.sh DEB_DIR VERSION NEW_VERSION}
debs=$(cd "$debs" && pwd)
export DEBIAN_FRONTEND=noninteractive

fail() { echo "deb-e2e: FAIL: $*"; exit 1; }
step() { echo "== deb-e2e: $*"; }
[[ $(id -u) -eq 0 ]] || fail "needs root (apt, namespaces, loop devices)"
arch=$(dpkg --print-architecture)
pkgs=(ezio ezio-server ezio-netboot)
deb_files() { local v=$1 p; for p in "${pkgs[@]}"; do echo "$debs/${p}_${v}_$arch.deb"; done; }
mapfile -t old_debs < <(deb_files "$version")
mapfile -t new_debs < <(deb_files "$new_version")
for f in "${old_debs[@]}" "${new_debs[@]}"; do
    [[ -f $f ]] || fail "no $f (make deb VERSION=...)"
done

# Never touch what was here before: refuse instead.
created=(/srv/ezio /srv/tftp /etc/ezio /var/lib/ezio-server /etc/dnsmasq.d)
for p in "${pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 && fail "package $p is installed already; this test installs and purges it"
done
getent passwd ezio-server >/dev/null && fail "user ezio-server exists already"
had_dnsmasq_d=0
[[ -d /etc/dnsmasq.d ]] && had_dnsmasq_d=1
for p in "${created[@]}"; do
    [[ $p == /etc/dnsmasq.d ]] && continue
    [[ -e $p ]] && fail "$p exists already; this test would create and remove it"
done

work=$(mktemp -d /var/tmp/ezio-deb-e2e.XXXXXX)
LAN_ID=pk$$
LAN_NET=10.78.0
# shellcheck source=../../bench/lan/lan.sh
source "$repo/bench/lan/lan.sh"
server_pid=

cleanup() {
    local status=$?
    trap '' INT TERM
    [[ -n $server_pid ]] && lan_stop "$server_pid" 5
    lan_down
    for p in "${pkgs[@]}"; do
        dpkg -s "$p" >/dev/null 2>&1 && apt-get purge -y -q "${pkgs[@]}" >/dev/null 2>&1 && break
    done
    rm -rf /srv/ezio /srv/tftp /etc/ezio /var/lib/ezio-server /etc/dnsmasq.d/ezio-netboot.conf
    ((had_dnsmasq_d)) || rmdir /etc/dnsmasq.d 2>/dev/null
    if getent passwd ezio-server >/dev/null; then
        userdel ezio-server 2>/dev/null
        getent group ezio-server >/dev/null && groupdel ezio-server 2>/dev/null
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
lan_watchdog 900

# ---- 1. lintian ----
step "lintian ${old_debs[*]##*/}"
lintian --fail-on error "${old_debs[@]}" | tee "$work/lintian.log" ||
    fail "lintian found errors"

# ---- 2. install ----
step "apt-get install ${old_debs[*]##*/}"
apt-get install -y -q --no-install-recommends "${old_debs[@]}" >"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log"; fail "apt-get install"; }
[[ $(ezio --version) == "ezio $version" ]] || fail "ezio --version says '$(ezio --version)', not ezio $version"
[[ $(ezio-server --version) == "ezio-server $version" ]] || fail "ezio-server --version says '$(ezio-server --version)'"
getent passwd ezio-server >/dev/null || fail "no ezio-server user after install"
for page in /usr/share/man/man1/ezio.1.gz /usr/share/man/man8/ezio-server.8.gz; do
    warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
    [[ -z $warnings ]] || fail "man -l $page: $warnings"
done
systemd-analyze verify /lib/systemd/system/ezio-server.service 2>&1 | tee "$work/verify.log"
[[ ${PIPESTATUS[0]} -eq 0 && ! -s $work/verify.log ]] || fail "systemd-analyze verify ezio-server.service"
echo "installed: $(ezio --version), $(ezio-server --version); man pages and unit clean"

# ---- 3. setup, the server as its user, a deployment to two machines ----
step "a small sample disk"
"$repo/system/sample-disk.sh" "$work/sample.img" 16 || fail "system/sample-disk.sh"
lan_up 2 200mbit "$(stat -c %s "$work/sample.img")" || fail "lan_up"
srv_ip=$(lan_ip srv)

step "ezio-server setup --interface eth0 (in $(lan_ns srv))"
lan_exec srv ezio-server setup --interface eth0 | tee "$work/setup1.log" || fail "setup"
grep -q "dashboard: http://$srv_ip:8080/" "$work/setup1.log" || fail "setup named no dashboard URL on $srv_ip"
lan_exec srv ezio-server setup --interface eth0 >"$work/setup2.log" || fail "second setup"
grep -q "nothing changed" "$work/setup2.log" || { cat "$work/setup2.log"; fail "the second setup changed something"; }
for f in /var/lib/ezio-server/admin-token /var/lib/ezio-server/signing-key.pem /etc/dnsmasq.d/ezio-netboot.conf \
    /srv/tftp/live/vmlinuz /srv/tftp/live/initrd.img /srv/tftp/ezio.ipxe /srv/tftp/ipxe/undionly.kpxe; do
    [[ -s $f ]] || fail "setup made no $f"
done
[[ $(stat -c %U /var/lib/ezio-server/admin-token) == ezio-server ]] || fail "the admin token is not the service user's"
dnsmasq --test -C /etc/dnsmasq.d/ezio-netboot.conf >/dev/null 2>&1 || fail "dnsmasq --test rejects the setup's configuration"
# The boot root's agent initrd: the packaged one, zeros to 4 bytes, then setup's trusted.pub.
packaged=/usr/lib/ezio-netboot/initrd-agent/initrd.img
cmp -n "$(stat -c %s "$packaged")" "$packaged" /srv/tftp/live/initrd.img || fail "the boot root's initrd does not start with the packaged one"
tail -c +$((($(stat -c %s "$packaged") + 3) / 4 * 4 + 1)) /srv/tftp/live/initrd.img \
    | cpio -i --quiet --to-stdout etc/ezio/trusted.pub >"$work/trusted.pub" || fail "no cpio archive after the packaged initrd"
cmp -s "$work/trusted.pub" /var/lib/ezio-server/signing-key.pub || fail "the initrd's trusted.pub is not setup's public key"
(cd /srv/tftp/live && sha256sum --quiet -c SHA256SUMS) || fail "the boot root's SHA256SUMS does not match"
step "ezio image capture into the repository setup made"
ezio image capture "$work/sample.img" /srv/ezio/images/pkgtest >"$work/capture.log" 2>&1 || { tail -n 5 "$work/capture.log"; fail "ezio image capture"; }

start_server() {
    lan_spawn srv "$work/server-$1.log" setpriv --reuid=ezio-server --regid=ezio-server --init-groups \
        /usr/sbin/ezio-server --config /etc/ezio/server.json
    server_pid=$LAN_PID
    local t
    for ((t = 0; t < 120; t++)); do
        lan_exec srv ezio-server status >/dev/null 2>&1 && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.5
    done
    lan_exec srv ezio-server status >"$work/status-$1.log" 2>&1 || { tail -n 20 "$work/server-$1.log"; fail "the installed server did not start ($1)"; }
    [[ $(ps -o user= -p "$server_pid") == ezio-server ]] || fail "the server runs as $(ps -o user= -p "$server_pid"), not ezio-server"
}
stop_server() { lan_stop "$server_pid" 10; server_pid=; }

step "the installed server as ezio-server in $(lan_ns srv)"
start_server "$version"
out=$(lan_exec srv ezio-server deploy pkgtest --machines 02:e2:78:00:00:01,02:e2:78:00:00:02 --after reboot) || fail "deploy: $out"
echo "$out"
deployment=$(sed -nE 's/^deployment ([^:]+):.*/\1/p' <<<"$out")
[[ -n $deployment ]] || fail "deploy printed no deployment id"

step "two machines run the installed ezio agent"
declare -a agent=()
for i in 1 2; do
    dir=$work/m$i
    mkdir -p "$dir"
    printf 'boot=live ezio.server=http://%s:8080 ezio.disk=%s ezio.after=reboot\n' "$srv_ip" "$(lan_disk "$i")" >"$dir/cmdline"
    echo '{ "maxBackoffSeconds": 2 }' >"$dir/agent.json"
    lan_spawn "m$i" "$dir/agent.log" ezio agent --cmdline-file "$dir/cmdline" --config "$dir/agent.json" \
        --mac "02:e2:78:00:00:0$i" --state-dir "$dir/state" --peer-port 6881 --status-tty none \
        --journal-socket /nonexistent/journal.socket --trusted-key "$work/trusted.pub" \
        --progress-seconds 1 --after-command "echo \"\$EZIO_AFTER \$EZIO_DEPLOYMENT\" > $dir/after-action"
    agent[i]=$LAN_PID
done
for ((t = 0; t < 600; t++)); do
    [[ -s $work/m1/after-action && -s $work/m2/after-action ]] && break
    sleep 0.5
done
for i in 1 2; do
    lan_stop "${agent[i]}" 5
    grep -q "reboot $deployment" "$work/m$i/after-action" 2>/dev/null || { tail -n 15 "$work/m$i/agent.log"; fail "m$i did not finish deployment $deployment"; }
    ezio verify /srv/ezio/images/pkgtest/pkgtest.torrent "$(lan_disk "$i")" || fail "ezio verify of m$i's disk"
done
echo "both disks verified"
stop_server

# ---- 4. upgrade ----
step "upgrade to $new_version"
keep=(/var/lib/ezio-server/admin-token /var/lib/ezio-server/signing-key.pem /var/lib/ezio-server/state.db /etc/ezio/server.json
    /etc/dnsmasq.d/ezio-netboot.conf /srv/ezio/images/pkgtest/pkgtest.torrent)
sha256sum "${keep[@]}" >"$work/kept.sha256" || fail "a file to keep is missing before the upgrade"
apt-get install -y -q --no-install-recommends "${new_debs[@]}" >"$work/apt-upgrade.log" 2>&1 || { tail -n 20 "$work/apt-upgrade.log"; fail "apt-get install (upgrade)"; }
for p in "${pkgs[@]}"; do
    [[ $(dpkg-query -W -f '${Version}' "$p") == "$new_version" ]] || fail "$p is not at $new_version after the upgrade"
done
# make deb-test packs the same binaries under the bumped version; a real `make deb VERSION=`
# build says it (both checked when they agree).
for bin in ezio ezio-server; do
    said=$("$bin" --version) || fail "$bin --version after the upgrade"
    [[ $said == "$bin $new_version" || $said == "$bin $version" ]] || fail "after the upgrade $bin says '$said'"
done
sha256sum --quiet -c "$work/kept.sha256" || fail "the upgrade changed state, token, keys, config or images"
start_server "$new_version"
grep -q "^$deployment " "$work/status-$new_version.log" || { cat "$work/status-$new_version.log"; fail "the upgraded server forgot deployment $deployment"; }
stop_server
echo "upgrade kept token, keys, config, state and images; the server still knows $deployment"

# ---- 5. remove, purge ----
step "apt-get remove ezio-server"
apt-get remove -y -q ezio-server >"$work/apt-remove.log" 2>&1 || fail "apt-get remove"
[[ ! -e /usr/sbin/ezio-server ]] || fail "remove left /usr/sbin/ezio-server"
for f in /etc/ezio/server.json /var/lib/ezio-server/admin-token /var/lib/ezio-server/state.db; do
    [[ -e $f ]] || fail "remove took $f"
done
step "apt-get purge ezio ezio-server ezio-netboot"
apt-get purge -y -q "${pkgs[@]}" >"$work/apt-purge.log" 2>&1 || fail "apt-get purge"
for f in /etc/ezio/server.json /var/lib/ezio-server /etc/dnsmasq.d/ezio-netboot.conf /usr/lib/ezio-netboot; do
    [[ ! -e $f ]] || fail "purge left $f"
done
[[ -s /srv/ezio/images/pkgtest/pkgtest.torrent ]] || fail "purge took the image repository"
echo "remove kept config and state; purge took them and kept the image repository"
echo "deb-e2e: PASS"
