#!/usr/bin/python3
# Prints the v1 info-hash (40 lowercase hex digits) of a .torrent, as libtorrent
# computes it: an independent check of `ezio torrent info`.
#
#   /usr/bin/python3 lt_info.py TORRENT
import sys

import libtorrent as lt

if __name__ == "__main__":
    print(str(lt.torrent_info(sys.argv[1]).info_hashes().v1))
