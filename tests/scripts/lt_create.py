#!/usr/bin/python3
# Builds a BitTorrent v1 .torrent with libtorrent's create_torrent.
#
#   /usr/bin/python3 lt_create.py --source PATH --output OUT.torrent
#       [--piece-size BYTES] [--tracker URL]
#
# PATH is a file (single-file torrent) or a directory (multi-file torrent named
# after it). v1 only, so any v1 client can use it. Prints the info-hash (hex).
import argparse
import os
import sys

import libtorrent as lt


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--source", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--piece-size", type=int, default=0)
    ap.add_argument("--tracker", action="append", default=[])
    args = ap.parse_args()

    source = os.path.abspath(args.source)
    files = lt.file_storage()
    lt.add_files(files, source)
    if files.num_files() == 0:
        print("no files under %s" % source, file=sys.stderr)
        return 2
    creator = lt.create_torrent(files, args.piece_size, lt.create_torrent.v1_only)
    for tier, url in enumerate(args.tracker):
        creator.add_tracker(url, tier)
    creator.set_creator("ezio tests")
    lt.set_piece_hashes(creator, os.path.dirname(source))
    data = lt.bencode(creator.generate())
    with open(args.output, "wb") as out:
        out.write(data)
    print(str(lt.torrent_info(args.output).info_hashes().v1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
