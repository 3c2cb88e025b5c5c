#!/usr/bin/python3
# libtorrent peer for the LAN benchmark (run with Debian's /usr/bin/python3, where
# python3-libtorrent 2.0 lives), one per network namespace.
#
#   lt_peer.py seed  --torrent T --save-path DIR [--timeout S]
#   lt_peer.py leech --torrent T --save-path DIR [--timeout S]
#
# Listens on 0.0.0.0:6881 (each namespace has its own address), TCP only (uTP's delay-based
# congestion control is not what a LAN deployment would pick), peers from the torrent's
# tracker only. The seeder prints "SEEDING" once checked and serves until SIGTERM, then
# prints "UPLOADED <bytes>". A leecher prints "DONE <epoch seconds>" once every piece is
# hash-checked and flushed, keeps seeding until SIGTERM or --timeout, then exits 0.
# Exit 3 on timeout before completion, 2 on a torrent error.
import argparse
import signal
import sys
import time

import libtorrent as lt


class Stop:
    def __init__(self):
        self.stop = False
        signal.signal(signal.SIGTERM, self._set)
        signal.signal(signal.SIGINT, self._set)

    def _set(self, *_):
        self.stop = True


def log(message):
    print("[lt %.1f] %s" % (time.monotonic(), message), file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["seed", "leech"])
    ap.add_argument("--torrent", required=True)
    ap.add_argument("--save-path", required=True)
    ap.add_argument("--timeout", type=float, default=3600.0)
    args = ap.parse_args()

    settings = {
        "listen_interfaces": "0.0.0.0:6881",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "announce_to_all_trackers": True,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
    }
    if args.mode == "seed":
        # libtorrent's own preset for a dedicated seed box.
        preset = dict(lt.high_performance_seed())
        preset.pop("listen_interfaces", None)
        settings = {**preset, **settings}
    ses = lt.session(settings)
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(args.torrent)
    params.save_path = args.save_path
    handle = ses.add_torrent(params)

    stop = Stop()
    deadline = time.monotonic() + args.timeout
    done = False
    last_report = 0.0
    while not stop.stop:
        now = time.monotonic()
        for alert in ses.pop_alerts():
            if alert.category() & lt.alert.category_t.error_notification:
                log("alert: %s" % alert.message())
        status = handle.status()
        if status.errc.value() != 0:
            log("torrent error: %s" % status.errc.message())
            return 2
        if not done and (status.is_finished or status.is_seeding):
            done = True
            if args.mode == "seed":
                print("SEEDING", flush=True)
            else:
                handle.flush_cache()
                print("DONE %.3f" % time.time(), flush=True)
        if not done and now - last_report > 5.0:
            log("progress %.3f peers %d rate %.1f MiB/s" % (
                status.progress, status.num_peers, status.download_payload_rate / 1048576.0))
            last_report = now
        if now > deadline:
            if done:
                break
            log("timeout, progress %.3f" % status.progress)
            return 3
        time.sleep(0.1)
    print("UPLOADED %d" % handle.status().total_payload_upload, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
