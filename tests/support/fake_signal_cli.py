#!/usr/bin/env python3
"""A stand-in for the `signal-cli` launcher, for the supervisor test (tests/signal_engine.rs).

Called exactly as tresen calls signal-cli:
    fake_signal_cli.py --config DIR daemon --socket PATH --receive-mode manual
It serves signal-cli's JSON-RPC on the UNIX socket, appends its PID to DIR/pids (so the
test can kill it as a crashing JVM dies), records every request in DIR/requests.jsonl,
and after `subscribeReceive` delivers each notification file dropped into DIR/inbox
(then deletes it), as Signal hands queued messages to a subscribed client.
"""
import json
import os
import socket
import sys
import threading
import time

args = sys.argv[1:]
data = args[args.index("--config") + 1]
path = args[args.index("--socket") + 1]
assert "daemon" in args and args[args.index("--receive-mode") + 1] == "manual", args
os.makedirs(os.path.join(data, "inbox"), exist_ok=True)
with open(os.path.join(data, "pids"), "a") as f:
    f.write(f"{os.getpid()}\n")

srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen()
lock = threading.Lock()


def log(req):
    with lock, open(os.path.join(data, "requests.jsonl"), "a") as f:
        f.write(json.dumps(req) + "\n")


def deliver(out):
    inbox = os.path.join(data, "inbox")
    while True:
        for name in sorted(os.listdir(inbox)):
            if not name.endswith(".json"):
                continue
            p = os.path.join(inbox, name)
            with open(p) as f:
                line = f.read().strip()
            with lock:
                out.write(line + "\n")
                out.flush()
            os.remove(p)
        time.sleep(0.05)


def serve(conn):
    out = conn.makefile("w")
    for line in conn.makefile("r"):
        req = json.loads(line)
        log(req)
        m, p = req.get("method"), req.get("params") or {}
        if m == "version":
            res = {"result": {"version": "0.14.6"}}
        elif "account" not in p:
            res = {"error": {"code": -32602, "message": "Method requires valid account parameter", "data": None}}
        elif m == "subscribeReceive":
            res = {"result": 0}
            threading.Thread(target=deliver, args=(out,), daemon=True).start()
        elif m in ("sendReceipt", "sendTyping", "send"):
            res = {"result": {"timestamp": int(time.time() * 1000), "results": []}}
        else:
            res = {"error": {"code": -32601, "message": "Method not implemented", "data": None}}
        res.update({"jsonrpc": "2.0", "id": req["id"]})
        with lock:
            out.write(json.dumps(res) + "\n")
            out.flush()


while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
