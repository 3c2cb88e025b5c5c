# Shared setup for lt_seed.py and lt_leech.py. Run them with Debian's /usr/bin/python3
# (python3-libtorrent 2.0.x lives there). Loopback only: bind 127.0.0.1, no DHT/LSD/UPnP/
# NAT-PMP, and several connections per IP since every peer is 127.0.0.1.
import signal
import sys
import time

import libtorrent as lt


def session(port, extra=None):
    settings = {
        "listen_interfaces": "127.0.0.1:%d" % port,
        "outgoing_interfaces": "127.0.0.1",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        # ezio speaks TCP only; a uTP attempt first costs a connect timeout per dial.
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
    }
    settings.update(extra or {})
    ses = lt.session(settings)
    # Loopback peers fall in libtorrent's local peer class, which ignores rate limits;
    # put every address in the global class so --upload-limit throttles 127.0.0.1 too.
    every = lt.ip_filter()
    every.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
    ses.set_peer_class_filter(every)
    return ses


def add(ses, torrent, save_path):
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(torrent)
    params.save_path = save_path
    return ses.add_torrent(params)


def log(message):
    print("[%s %.1f] %s" % (sys.argv[0].rsplit("/", 1)[-1], time.monotonic(), message), file=sys.stderr, flush=True)


def drain(ses):
    for alert in ses.pop_alerts():
        if alert.category() & lt.alert.category_t.error_notification:
            log("alert: %s" % alert.message())


class StopFlag:
    """SIGTERM/SIGINT become a polled flag, so the loop exits cleanly."""

    def __init__(self):
        self.stop = False
        signal.signal(signal.SIGTERM, self._set)
        signal.signal(signal.SIGINT, self._set)

    def _set(self, *_):
        self.stop = True
