#!/usr/bin/python3
# Seeds one torrent from SAVE_PATH/<name> on 127.0.0.1:PORT until SIGTERM or --timeout.
#   /usr/bin/python3 lt_seed.py --torrent T --save-path DIR --port N [--upload-limit BYTES_PER_S] [--timeout S]
# Prints "SEEDING port=N" once the data hash-checked complete; exit 2 if it did not.
import argparse
import sys
import time

import lt_common as c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--torrent", required=True)
    ap.add_argument("--save-path", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upload-limit", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=600.0)
    args = ap.parse_args()

    stop = c.StopFlag()
    extra = dict(c.lt.high_performance_seed())
    extra.pop("listen_interfaces", None)
    extra["upload_rate_limit"] = args.upload_limit
    ses = c.session(args.port, extra)
    handle = c.add(ses, args.torrent, args.save_path)
    deadline = time.monotonic() + args.timeout
    announced = False
    while not stop.stop and time.monotonic() < deadline:
        c.drain(ses)
        st = handle.status()
        if st.errc.value() != 0:
            c.log("torrent error: %s" % st.errc.message())
            return 2
        if not announced:
            if st.is_seeding:
                print("SEEDING port=%d" % ses.listen_port(), flush=True)
                announced = True
            elif st.state == st.downloading:
                c.log("data incomplete after check: progress %.3f" % st.progress)
                return 2
        time.sleep(0.1)
    c.log("stopping, uploaded %d bytes" % handle.status().total_payload_upload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
