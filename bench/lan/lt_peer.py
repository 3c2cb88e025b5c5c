#!/usr/bin/python3
# libtorrent peer for the LAN benchmark (run with Debian's /usr/bin/python3, where
# python3-libtorrent 2.0 lives), one per network namespace.
#
#   lt_peer.py seed  --torrent T --save-path DIR [--timeout S] [--tracker URL]...
#   lt_peer.py leech --torrent T --save-path DIR [--timeout S] [--tracker URL]...
#
# Listens on 0.0.0.0:6881 (each namespace has its own address), TCP only (uTP's delay-based
# congestion control is not what a LAN deployment would pick), peers from the torrent's
# tracker (and any --tracker) only. The seeder prints "SEEDING" once checked and serves
# until SIGTERM, then prints "UPLOADED <bytes>". A leecher prints "DONE <epoch seconds>"
# once every piece is hash-checked and flushed, keeps seeding until SIGTERM or --timeout, then exits 0.
# Exit 3 on timeout before completion, 2 on a torrent error.
#
# Session settings come from the tests' shared tests/scripts/lt_common.py.
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "scripts"))
import lt_common as c  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["seed", "leech"])
    ap.add_argument("--torrent", required=True)
    ap.add_argument("--save-path", required=True)
    ap.add_argument("--timeout", type=float, default=3600.0)
    ap.add_argument("--tracker", action="append", default=[])
    args = ap.parse_args()

    # libtorrent's own preset for a dedicated seed box.
    extra = c.seed_preset() if args.mode == "seed" else None
    ses = c.session(6881, extra, interface="0.0.0.0", outgoing_interface=None)
    handle = c.add_torrent(ses, args.torrent, args.save_path, trackers=args.tracker)

    stop = c.StopFlag()
    deadline = time.monotonic() + args.timeout
    done = False
    last_report = 0.0
    while not stop.stop:
        now = time.monotonic()
        c.drain_alerts(ses)
        status = handle.status()
        if status.errc.value() != 0:
            c.log("torrent error: %s" % status.errc.message())
            return 2
        if not done and (status.is_finished or status.is_seeding):
            done = True
            if args.mode == "seed":
                print("SEEDING", flush=True)
            else:
                handle.flush_cache()
                print("DONE %.3f" % time.time(), flush=True)
        if not done and now - last_report > 5.0:
            c.log("progress %.3f peers %d rate %.1f MiB/s" % (
                status.progress, status.num_peers, status.download_payload_rate / 1048576.0))
            last_report = now
        if now > deadline:
            if done:
                break
            c.log("timeout, progress %.3f" % status.progress)
            return 3
        time.sleep(0.1)
    print("UPLOADED %d" % handle.status().total_payload_upload, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
