#!/usr/bin/python3
# Downloads one torrent into SAVE_PATH/<name> from --peer on 127.0.0.1 and exits when done.
#   /usr/bin/python3 lt_leech.py --torrent T --save-path DIR --port N --peer HOST:PORT [--timeout S]
# libtorrent verifies every piece; prints "DONE bytes=N seconds=S"; exit 3 on timeout.
import argparse
import sys
import time

import lt_common as c


def connect(handle, peer):
    host, _, port = peer.rpartition(":")
    handle.connect_peer((host, int(port)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--torrent", required=True)
    ap.add_argument("--save-path", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--timeout", type=float, default=110.0)
    args = ap.parse_args()

    stop = c.StopFlag()
    start = time.monotonic()
    ses = c.session(args.port)
    handle = c.add(ses, args.torrent, args.save_path)
    connect(handle, args.peer)
    last_connect = start
    while not stop.stop:
        now = time.monotonic()
        if now - start > args.timeout:
            c.log("timeout, progress %.3f" % handle.status().progress)
            return 3
        c.drain(ses)
        st = handle.status()
        if st.errc.value() != 0:
            c.log("torrent error: %s" % st.errc.message())
            return 2
        if st.is_finished or st.is_seeding:
            handle.flush_cache()
            print("DONE bytes=%d seconds=%.3f" % (st.total_wanted, now - start), flush=True)
            return 0
        if st.num_peers == 0 and now - last_connect > 1.0:
            connect(handle, args.peer)
            last_connect = now
        time.sleep(0.05)
    return 1


if __name__ == "__main__":
    sys.exit(main())
