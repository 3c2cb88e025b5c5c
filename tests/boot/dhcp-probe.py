#!/usr/bin/env python3
"""Sends one DHCPDISCOVER as a given client architecture and prints what the offer names.

    tests/boot/dhcp-probe.py IFACE MAC ARCH [VENDOR_CLASS] [USER_CLASS]

ARCH is DHCP option 93 (0 BIOS, 7/9 UEFI x64 PXE, 16 UEFI x64 HTTP Boot); VENDOR_CLASS
(option 60) defaults to PXEClient:Arch:<ARCH>:UNDI:003016 (HTTPClient:Arch:... for 16).
Prints "file=<boot file> vendor-class=<option 60 of the offer>" and exits 0, or exits 1
when no offer arrives within 15 s (the DISCOVER is resent every 0.5 s, as a client does).
Runs as root (binds port 68 on IFACE).
"""
import socket
import struct
import sys
import time


def main() -> int:
    iface, mac, arch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    kind = "HTTPClient" if arch == 16 else "PXEClient"
    vendor = sys.argv[4] if len(sys.argv) > 4 else f"{kind}:Arch:{arch:05d}:UNDI:003016"
    user = sys.argv[5] if len(sys.argv) > 5 else ""
    chaddr = bytes.fromhex(mac.replace(":", ""))
    xid = int(time.time() * 1000) & 0xFFFFFFFF

    options = bytes([53, 1, 1])
    options += bytes([93, 2]) + struct.pack("!H", arch)
    options += bytes([94, 3, 1, 3, 16])
    options += bytes([60, len(vendor)]) + vendor.encode()
    if user:
        options += bytes([77, len(user)]) + user.encode()
    options += bytes([55, 4, 1, 3, 60, 67, 255])
    packet = struct.pack("!BBBBIHH4s4s4s4s16s64s128s4s", 1, 1, 6, 0, xid, 0, 0x8000,
                         b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4, chaddr.ljust(16, b"\0"),
                         b"\0" * 64, b"\0" * 128, b"\x63\x82\x53\x63") + options

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    sock.bind(("0.0.0.0", 68))
    sock.settimeout(0.5)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        sock.sendto(packet, ("255.255.255.255", 67))
        try:
            data, _ = sock.recvfrom(4096)
        except socket.timeout:
            continue
        if len(data) < 240 or data[0] != 2 or struct.unpack("!I", data[4:8])[0] != xid:
            continue
        boot_file = data[108:236].split(b"\0", 1)[0].decode(errors="replace")
        got = {}
        i = 240
        while i < len(data) and data[i] != 255:
            if data[i] == 0:
                i += 1
                continue
            got[data[i]] = data[i + 2:i + 2 + data[i + 1]]
            i += 2 + data[i + 1]
        if 67 in got:
            boot_file = got[67].split(b"\0", 1)[0].decode(errors="replace")
        print(f"file={boot_file} vendor-class={got.get(60, b'').decode(errors='replace')}")
        return 0
    print("no DHCP offer", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
