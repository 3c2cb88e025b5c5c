#!/usr/bin/env python3
# A stand-in for PID 1 systemd: names itself "systemd" (Microsoft.Extensions.Hosting.Systemd
# looks at the parent's name), listens on a NOTIFY_SOCKET datagram socket, starts the agent
# as its child with WATCHDOG_USEC/WATCHDOG_PID set, records every notification, sends
# SIGTERM some seconds after READY=1 and writes what it saw as JSON.
import ctypes, json, os, signal, socket, sys, time

sock_path, out_path, term_after, deadline = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
agent = sys.argv[5:]
ctypes.CDLL(None).prctl(15, b"systemd", 0, 0, 0)  # PR_SET_NAME
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
s.settimeout(0.1)
pid = os.fork()
if pid == 0:
    env = dict(os.environ, NOTIFY_SOCKET=sock_path, WATCHDOG_USEC="400000", WATCHDOG_PID=str(os.getpid()))
    os.execve(agent[0], agent, env)
start = time.time()
messages, ready_at, term_at, status = [], None, None, None
while True:
    try:
        messages.append([round(time.time() - start, 3), s.recv(4096).decode()])
    except socket.timeout:
        pass
    if ready_at is None and any("READY=1" in m for _, m in messages):
        ready_at = time.time()
    if term_at is None and ((ready_at is not None and time.time() - ready_at >= term_after) or time.time() - start >= deadline):
        os.kill(pid, signal.SIGTERM)
        term_at = round(time.time() - start, 3)
        got_ready = ready_at is not None
    if status is None:
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(code)
            stop_drain = time.time() + 0.3
    if status is not None and time.time() > stop_drain:
        break
    if time.time() - start > deadline + 20:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        status = -9
        break
with open(out_path, "w") as f:
    json.dump({"messages": messages, "term_at": term_at, "ready": ready_at is not None, "exit": status}, f)
