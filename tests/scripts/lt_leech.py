#!/usr/bin/python3
# Downloads a torrent with libtorrent on 127.0.0.1 and exits when it is complete.
#
#   /usr/bin/python3 lt_leech.py --torrent T --save-path DIR --port N
#       [--peer 127.0.0.1:PORT]... [--tracker URL]... [--timeout S]
#
# Files land in DIR/<name>[/...]. libtorrent verifies every piece, so "finished"
# means every byte hashed correctly. The last stdout line is
# "DONE bytes=<payload bytes> seconds=<wall seconds>"; exit 0 on success,
# 3 on timeout, 2 on a torrent error.
import argparse
import sys
import time

import lt_common as c


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--torrent", required=True)
    ap.add_argument("--save-path", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--peer", action="append", default=[], type=c.parse_peer)
    ap.add_argument("--tracker", action="append", default=[])
    ap.add_argument("--timeout", type=float, default=120.0)
    args = ap.parse_args()

    stop = c.StopFlag()
    start = time.monotonic()
    deadline = start + args.timeout
    session = c.session(args.port)
    handle = c.add_torrent(session, args.torrent, args.save_path, args.tracker)
    c.connect_peers(handle, args.peer)

    last_report = 0.0
    last_reconnect = time.monotonic()
    while not stop.stop:
        now = time.monotonic()
        if now > deadline:
            c.log("timeout after %.0f s, progress %.3f" % (args.timeout, handle.status().progress))
            return 3
        c.drain_alerts(session)
        status = handle.status()
        if status.errc.value() != 0:
            c.log("torrent error: %s" % status.errc.message())
            return 2
        if status.is_finished or status.is_seeding:
            # Flush the storage so the caller can hash the files right away.
            handle.flush_cache()
            elapsed = time.monotonic() - start
            print("DONE bytes=%d seconds=%.3f" % (status.total_wanted, elapsed), flush=True)
            return 0
        if now - last_report > 2.0:
            c.log("progress %.3f peers %d rate %.1f MiB/s" % (
                status.progress, status.num_peers, status.download_payload_rate / 1048576.0))
            last_report = now
        # A manual peer that was not listening yet is dropped; ask again.
        if args.peer and status.num_peers == 0 and now - last_reconnect > 1.0:
            c.connect_peers(handle, args.peer)
            last_reconnect = now
        time.sleep(0.05)

    c.log("interrupted")
    return 1


if __name__ == "__main__":
    sys.exit(main())
