#!/bin/bash
# Runs inside `unshare -m`: private tmpfs over /run and /var/log, so the standalone
# systemd-journald started here never touches the host's journal. Starts journald, runs
# the agent against an unreachable server for a few seconds, exports its entries as JSON.
set -eu
agent="$1"; out="$2"
mount --make-rprivate /
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/log
mkdir -p /run/systemd/journal /run/log/journal
/lib/systemd/systemd-journald &
journald=$!
for _ in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
[ -S /run/systemd/journal/socket ] || { echo "journald did not create its socket"; kill "$journald"; exit 1; }
timeout -s TERM 4 "$agent" agent --server http://127.0.0.1:9 --mac 02:00:00:00:50:01 --status-tty none \
    --trusted-key /nonexistent --cmdline-file /dev/null 2>&1 || true
# journald reads its socket in order: once a marker sent after the agent exited is stored,
# so is everything the agent sent.
printf 'MESSAGE=end of agent run\nSYSLOG_IDENTIFIER=ezio-journal-marker\n' | logger --journald
for _ in $(seq 100); do
    [ -n "$(journalctl -D /run/log/journal -o cat --no-pager SYSLOG_IDENTIFIER=ezio-journal-marker)" ] && break
    sleep 0.05
done
[ -n "$(journalctl -D /run/log/journal -o cat --no-pager SYSLOG_IDENTIFIER=ezio-journal-marker)" ] \
    || { echo "journald did not store the marker"; kill "$journald"; exit 1; }
journalctl -D /run/log/journal -o json --no-pager SYSLOG_IDENTIFIER=ezio-agent > "$out"
kill "$journald"
wait "$journald" || true
