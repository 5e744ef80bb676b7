"""Helpers shared by the integration tests.

Every test talks HTTP to the real stack that scripts/test.sh started
(NGINX -> iam-fcgi -> PostgreSQL + memcached).  Tests act as distinct
clients through X-Forwarded-For (the test stack trusts loopback as a
proxy), so rate limits of one test do not leak into another.
"""
import http.client
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import time
import urllib.parse

import pytest

URL = os.environ["IAM_TEST_URL"]
STACK = os.environ["IAM_STACK_DIR"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_u = urllib.parse.urlparse(URL)
HOST, PORT = _u.hostname, _u.port

_ips = itertools.count(random.randint(0, 2**20))


def fresh_ip():
    """A client address no other test uses (TEST-NET and benchmark ranges)."""
    n = next(_ips)
    return "198.18.%d.%d" % ((n >> 8) & 0xFF, (n & 0xFF) or 1)


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    @property
    def json(self):
        return json.loads(self.body)

    def error_code(self):
        return self.json["error"]["code"]


def request(method, path, body=None, headers=None, ip=None, ctype=None,
            timeout=20):
    h = dict(headers or {})
    h["X-Forwarded-For"] = ip or fresh_ip()
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        ctype = ctype or "application/json"
    if isinstance(body, str):
        body = body.encode()
    if ctype:
        h["Content-Type"] = ctype
    c = http.client.HTTPConnection(HOST, PORT, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return Resp(r.status, r.getheaders(), r.read())
    finally:
        c.close()


def raw(data, timeout=10):
    """Sends raw bytes; returns the raw answer."""
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


def stack(*args):
    subprocess.run([os.path.join(ROOT, "scripts", "stack.sh"), *args],
                   check=True, env=os.environ, stdout=subprocess.DEVNULL)


def master_pid():
    with open(os.path.join(STACK, "run", "iam-fcgi.pid")) as f:
        return int(f.read().strip())


def worker_pids():
    m = master_pid()
    out = subprocess.run(["pgrep", "-P", str(m)], capture_output=True, text=True)
    return sorted(int(p) for p in out.stdout.split())


def wait_for(pred, timeout=15.0, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        try:
            v = pred()
            if v:
                return v
        except (OSError, http.client.HTTPException, ValueError):
            pass
        time.sleep(step)
    return pred()


def log_text():
    with open(os.path.join(STACK, "log", "iam.log"), errors="replace") as f:
        return f.read()


def psql(sql, **kw):
    return subprocess.Popen(
        _as_user(["psql", "-h", os.path.join(STACK, "run"), "-U", "iam",
                  "-d", "iam", "-v", "ON_ERROR_STOP=1", "-qAtc", sql]), **kw)


def _as_user(cmd):
    if os.geteuid() == 0:
        return ["runuser", "-u", "iam", "--"] + cmd
    return cmd


def metrics():
    r = request("GET", "/metrics",
                headers={"Authorization": "Bearer " + os.environ["METRICS_TOKEN"]})
    assert r.status == 200, r.body
    return r.body.decode()


def metric_value(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


@pytest.fixture
def healthy_stack():
    """Makes sure every service is up before and after a fault test."""
    stack("up")
    yield
    stack("up")
    assert wait_for(lambda: request("GET", "/health/ready").status == 200)
