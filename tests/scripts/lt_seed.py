#!/usr/bin/python3
# Seeds a torrent with libtorrent on 127.0.0.1 until SIGTERM/SIGINT or --timeout.
#
#   /usr/bin/python3 lt_seed.py --torrent T --save-path DIR --port N
#       [--peer 127.0.0.1:PORT]... [--tracker URL]... [--timeout S] [--seed-mode]
#       [--upload-limit BYTES_PER_S]
#
# DIR holds the content as libtorrent expects it: DIR/<name> (single file) or
# DIR/<name>/<files...> (multi-file). The data is hash-checked first unless
# --seed-mode is given; the script prints "SEEDING port=N" on stdout once it
# serves the whole torrent, and exits 0 on a signal, 3 on timeout, 2 if the data
# does not check out. --upload-limit throttles uploads, to local peers too (0: none).
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
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--upload-limit", type=int, default=0)
    ap.add_argument("--seed-mode", action="store_true",
                    help="trust the data, skip the initial hash check")
    args = ap.parse_args()

    stop = c.StopFlag()
    deadline = time.monotonic() + args.timeout
    # Tuned for serving: libtorrent's own high-throughput seeding preset.
    extra = c.seed_preset()
    extra["upload_rate_limit"] = args.upload_limit
    session = c.session(args.port, extra)
    handle = c.add_torrent(session, args.torrent, args.save_path, args.tracker, args.seed_mode)

    announced = False
    incomplete_polls = 0
    while not stop.stop:
        if time.monotonic() > deadline:
            c.log("timeout after %.0f s" % args.timeout)
            return 3
        c.drain_alerts(session)
        status = handle.status()
        if status.errc.value() != 0:
            c.log("torrent error: %s" % status.errc.message())
            return 2
        if not announced and status.is_seeding:
            print("SEEDING port=%d" % session.listen_port(), flush=True)
            announced = True
            c.connect_peers(handle, args.peer)
        elif not announced and status.state == status.downloading:
            # The check finished and pieces are missing: the source is wrong.
            incomplete_polls += 1
            if incomplete_polls > 10:
                c.log("data incomplete after check: progress %.3f" % status.progress)
                return 2
        time.sleep(0.2)

    c.log("stopping, uploaded %d bytes" % handle.status().total_payload_upload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
