#!/usr/bin/env python3
"""Helpers of system/demo.sh (standard library only).

  demo_watch.py forward PORT_FILE NETNS HOST:PORT
      Listens on 127.0.0.1 (a free port, written to PORT_FILE) in the host's own network
      namespace and forwards every connection to HOST:PORT inside NETNS, so a browser on
      the host reaches the dashboard of a server that lives in a namespace. Runs until killed.

  demo_watch.py watch URL RESULTS TIMEOUT MAC=NAME[,refuse]...
      Follows GET URL/api/v1/machines: one live line per machine (phase, %, rate, peers),
      and notes the phase the dashboard (GET URL/api/v1/dashboard) last showed for each.
      A machine is finished once the server says it is seeding or done (disk written,
      flushed, its boot menus flipped); a machine marked ",refuse" is finished once the
      server reports it failed. With WATCH_DEPLOYMENT set, only what the server says of a
      machine in that deployment counts (a re-imaged machine still shows its last one done
      until its agent registers again). Writes RESULTS (JSON: seconds, phase, message per machine, and
      the bytes the server's seeder uploaded).
      Exit 0 when every machine finished as expected, 1 otherwise (or after TIMEOUT s).
"""
import ctypes
import json
import os
import select
import socket
import sys
import threading
import time
import urllib.request

CLONE_NEWNET = 0x40000000


def forward(port_file, netns, target):
    host, port = target.rsplit(":", 1)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(32)
    # The listening socket stays in the host namespace; sockets made from now on (and by
    # threads started from now on) belong to the server's namespace.
    libc = ctypes.CDLL(None, use_errno=True)
    with open(f"/run/netns/{netns}") as ns:
        if libc.setns(ns.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {netns}")
    with open(port_file + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)

    def pump(client):
        try:
            upstream = socket.create_connection((host, int(port)), timeout=10)
        except OSError:
            client.close()
            return
        pair = {client: upstream, upstream: client}
        try:
            while True:
                ready, _, _ = select.select(list(pair), [], [], 300)
                if not ready:
                    break
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    pair[s].sendall(data)
        except OSError:
            pass
        finally:
            client.close()
            upstream.close()

    while True:
        client, _ = listener.accept()
        threading.Thread(target=pump, args=(client,), daemon=True).start()


def fetch(url):
    # The admin list (/api/v1/machines) needs the server's token; the dashboard does not.
    request = urllib.request.Request(url)
    token_file = os.environ.get("EZIO_ADMIN_TOKEN_FILE")
    if token_file and os.path.exists(token_file):
        with open(token_file) as f:
            request.add_header("Authorization", "Bearer " + f.read().strip())
    with urllib.request.urlopen(request, timeout=5) as r:
        return json.load(r)


def bar(pct, width=24):
    filled = int(pct * width / 100)
    return "#" * filled + "." * (width - filled)


def watch(url, results_path, timeout, specs):
    machines = []
    for spec in specs:
        mac, rest = spec.split("=", 1)
        name, _, flag = rest.partition(",")
        machines.append({"mac": mac.lower(), "name": name, "refuse": flag == "refuse"})
    start = time.monotonic()
    live = sys.stdout.isatty() and os.environ.get("LIVE", "1") == "1"
    drawn = 0
    last_plain = -10.0
    state = {m["mac"]: {"seconds": None, "phase": "waiting", "message": None, "dashboard": None} for m in machines}
    status = 1
    served = 0
    only = os.environ.get("WATCH_DEPLOYMENT") or None
    while True:
        elapsed = time.monotonic() - start
        # The machine list holds every machine; the dashboard's snapshot only those of open
        # deployments, so a deployment that just finished vanishes from it.
        try:
            listed = {m["mac"].lower(): m for m in fetch(url + "/api/v1/machines")}
        except (OSError, ValueError, KeyError):
            listed = {}
        try:
            snapshot = fetch(url + "/api/v1/dashboard")
            served = snapshot.get("serverBytesServed", served)
            for m in snapshot.get("machines", []):
                if m["mac"].lower() in state:
                    state[m["mac"].lower()]["dashboard"] = m.get("phase")
        except (OSError, ValueError, KeyError):
            pass
        lines = []
        pending = 0
        broken = []
        for m in machines:
            s = state[m["mac"]]
            info = listed.get(m["mac"])
            if info and only and info.get("deploymentId") != only:
                info = None
            if info:
                s["phase"] = info.get("phase", "?")
                s["message"] = info.get("message")
            phase = s["phase"]
            finished = phase == "failed" if m["refuse"] else phase in ("seeding", "done")
            if finished and s["seconds"] is None:
                s["seconds"] = round(elapsed, 1)
            if not m["refuse"] and phase == "failed":
                broken.append(m["name"])
            if s["seconds"] is None:
                pending += 1
            total = (info or {}).get("bytesTotal") or 0
            done = (info or {}).get("bytesDone") or 0
            pct = 100 if (not m["refuse"] and s["seconds"] is not None) else (int(100 * done / total) if total else 0)
            pct = min(pct, 100)
            rate = ((info or {}).get("rateIn") or 0) / 1e6
            peers = (info or {}).get("peers") or 0
            if m["refuse"] or phase == "failed":
                tail = f"refused: {s['message']}" if phase == "failed" else ""
            elif s["seconds"] is not None:
                tail = f"disk written and flushed in {s['seconds']:.1f} s, boot menu flipped"
            else:
                tail = f"{rate:6.1f} MB/s  peers {peers}"
            lines.append(f"  {m['name']:<4} {phase:<12} [{bar(pct)}] {pct:3d}%  {tail}")
        head = f"  {elapsed:5.1f} s  {len(machines) - pending} of {len(machines)} machines finished"
        if live:
            if drawn:
                sys.stdout.write(f"\033[{drawn}A")
            for line in [head] + lines:
                sys.stdout.write("\033[K" + line[:160] + "\n")
            drawn = len(lines) + 1
            sys.stdout.flush()
        elif elapsed - last_plain >= 5 or pending == 0 or broken:
            last_plain = elapsed
            print(head, flush=True)
            for line in lines:
                print(line, flush=True)
        if broken:
            print(f"watch: {', '.join(broken)} failed", flush=True)
            break
        if pending == 0:
            status = 0
            break
        if elapsed > timeout:
            print(f"watch: {pending} machine(s) not finished after {timeout:.0f} s", flush=True)
            break
        time.sleep(0.5)
    results = {m["name"]: state[m["mac"]] | {"mac": m["mac"], "refuse": m["refuse"]} for m in machines}
    results["server"] = {"bytesServed": served}
    with open(results_path, "w") as f:
        json.dump(results, f)
    return status


def main(argv):
    if len(argv) >= 4 and argv[0] == "forward":
        forward(argv[1], argv[2], argv[3])
        return 0
    if len(argv) >= 5 and argv[0] == "watch":
        return watch(argv[1], argv[2], float(argv[3]), argv[4:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
