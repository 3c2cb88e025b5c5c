#!/usr/bin/python3
# Runs a command and reports its wall time, CPU time and peak RSS from wait4's
# rusage, which covers the process even though it has already exited.
#
#   measure.py OUT.txt -- CMD [ARGS...]
#
# Writes one line to OUT.txt: "exit=<n> wall=<s> user=<s> sys=<s> maxrss_kib=<n>"
# and exits with the command's status. The command's own output passes through.
import os
import sys
import time


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        print("usage: measure.py OUT -- CMD [ARGS...]", file=sys.stderr)
        return 2
    out, command = sys.argv[1], sys.argv[3:]
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    with open(out, "w") as f:
        f.write("exit=%d wall=%.3f user=%.3f sys=%.3f maxrss_kib=%d\n"
                % (code, wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss))
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
