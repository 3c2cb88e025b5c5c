# Shared setup for the libtorrent helper scripts (lt_seed.py, lt_leech.py, lt_create.py,
# lt_info.py here; bench/lan/lt_peer.py imports it too). Run them with Debian's
# /usr/bin/python3: that is where python3-libtorrent (2.0.x) is installed; a pyenv python3
# earlier on PATH lacks it. The test projects (Ezio.Interop.Tests, Ezio.Deploy.Tests,
# Ezio.Server.Tests) copy this directory to scripts/ in their output; bench/pair uses it in place.
#
# Defaults are tuned for a loopback test: bind to 127.0.0.1 only, no DHT, LSD, UPnP or
# NAT-PMP, TCP only, several connections per IP (every peer is 127.0.0.1), and rate limits
# applied to local peers too.
import signal
import sys
import time

import libtorrent as lt


def session(port, extra=None, interface="127.0.0.1", outgoing_interface="127.0.0.1"):
    settings = {
        "listen_interfaces": "%s:%d" % (interface, port),
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        # TCP only: ezio speaks TCP only (a uTP attempt first costs a connect timeout per
        # dial), and uTP's delay-based congestion control crawls on loopback (a few MiB/s).
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        # Every peer here is local; never wait for a tracker's min interval.
        "announce_to_all_tiers": True,
        "announce_to_all_trackers": True,
        "alert_mask": lt.alert.category_t.error_notification
        | lt.alert.category_t.status_notification
        | lt.alert.category_t.tracker_notification,
    }
    if outgoing_interface:
        settings["outgoing_interfaces"] = outgoing_interface
    settings.update(extra or {})
    ses = lt.session(settings)
    # Loopback/LAN peers fall in libtorrent's local peer class, which ignores rate limits;
    # put every address in the global class so --upload-limit throttles 127.0.0.1 too.
    every = lt.ip_filter()
    every.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
    ses.set_peer_class_filter(every)
    return ses


def seed_preset():
    """libtorrent's own high-throughput seeding preset, minus its listen address."""
    preset = dict(lt.high_performance_seed())
    preset.pop("listen_interfaces", None)
    return preset


def add_torrent(ses, torrent_path, save_path, trackers=(), seed_mode=False):
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(torrent_path)
    params.save_path = save_path
    if seed_mode:
        params.flags |= lt.torrent_flags.seed_mode
    handle = ses.add_torrent(params)
    for url in trackers:
        handle.add_tracker({"url": url})
    return handle


def connect_peers(handle, peers):
    for peer in peers:
        host, _, port = peer.rpartition(":")
        handle.connect_peer((host, int(port)))


def parse_peer(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError("peer must be HOST:PORT, got %r" % text)
    return text


def log(message):
    print("[%s %.1f] %s" % (sys.argv[0].rsplit("/", 1)[-1], time.monotonic(), message),
          file=sys.stderr, flush=True)


def drain_alerts(ses):
    for alert in ses.pop_alerts():
        if alert.category() & lt.alert.category_t.error_notification:
            log("alert: %s" % alert.message())
        elif isinstance(alert, lt.tracker_reply_alert):
            # A tracker answered an announce (tests check that the tracker was used).
            log("tracker reply: %s" % alert.message())


class StopFlag:
    """Turns SIGTERM/SIGINT into a polled flag so the main loop exits cleanly."""

    def __init__(self):
        self.stop = False
        signal.signal(signal.SIGTERM, self._set)
        signal.signal(signal.SIGINT, self._set)

    def _set(self, *_):
        self.stop = True
