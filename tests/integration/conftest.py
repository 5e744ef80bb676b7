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
    # 254 host numbers per third octet, so no two counters share an address.
    n = next(_ips)
    return "198.18.%d.%d" % ((n // 254) % 256, n % 254 + 1)


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
    stack("ensure")
    yield
    stack("ensure")
    assert wait_for(lambda: request("GET", "/health/ready").status == 200)


# --- accounts helpers -------------------------------------------------------

_users = itertools.count(1)


def new_email(tag="user"):
    return "%s.%d.%d@example.test" % (tag, os.getpid(), next(_users) + random.randint(0, 10**6))


PASSWORD = "Tr0ub4dor and 3 horses"


def register(email=None, password=PASSWORD, **extra):
    email = email or new_email()
    body = {"email": email, "password": password}
    body.update(extra)
    r = request("POST", "/v1/auth/register", body=body)
    assert r.status == 201, r.body
    return email, r.json["data"]["userId"]


def login(email, password=PASSWORD, ip=None):
    return request("POST", "/v1/auth/login",
                   body={"email": email, "password": password}, ip=ip)


def session(email=None, password=PASSWORD):
    """Registers and logs in; returns (email, user id, login data)."""
    email, uid = register(email, password)
    r = login(email, password)
    assert r.status == 200, r.body
    return email, uid, r.json["data"]


def bearer(token):
    return {"Authorization": "Bearer " + token}


def psql_value(sql):
    p = psql(sql, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    return out.strip()


def mails_to(addr, timeout=10.0):
    """Messages the file transport delivered to addr (waits for one)."""
    d = os.path.join(STACK, "mail")

    def find():
        found = []
        for name in sorted(os.listdir(d)):
            if name.endswith(".eml"):
                with open(os.path.join(d, name), errors="replace", newline="") as f:
                    text = f.read()
                if "\r\nTo: %s\r\n" % addr in text:
                    found.append(text)
        return found
    return wait_for(find, timeout=timeout) or []


def link_token(mail, path):
    import re as _re
    m = _re.search(r"(http://[^\s]+)%s\?token=([A-Za-z0-9_-]+)" % _re.escape(path), mail)
    assert m, mail
    return m.group(1), m.group(2)


def b64u(data):
    import base64
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signing_key():
    """The stack's current signing key, decrypted as the server does."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    row = psql_value("SELECT kid || ' ' || encode(private_key_enc, 'hex') "
                     "FROM signing_keys WHERE activates_at <= now() "
                     "AND retires_at > now() ORDER BY activates_at DESC LIMIT 1")
    kid, sealed = row.split()
    sealed = bytes.fromhex(sealed)
    key = bytes.fromhex(open(os.path.join(STACK, "secret.key")).read().strip())
    priv = AESGCM(key).decrypt(sealed[:12], sealed[12:], kid.encode())
    return kid, Ed25519PrivateKey.from_private_bytes(priv)


def forge(claims, header=None, key=None):
    """A token signed with the real key (or key), any header and claims."""
    kid, k = signing_key()
    h = {"alg": "EdDSA", "typ": "at+jwt", "kid": kid}
    if header is not None:
        h = header
    inp = b64u(json.dumps(h).encode()) + "." + b64u(json.dumps(claims).encode())
    sig = (key or k).sign(inp.encode())
    return inp + "." + b64u(sig)


# --- administration -------------------------------------------------------

CTL = [os.path.join(os.environ.get("IAM_BIN", os.path.join(ROOT, "bin")),
                    "iamctl"), "-c", os.path.join(STACK, "iam.conf")]


def iamctl(*args, stdin=None, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run(CTL + list(args), input=stdin, capture_output=True,
                          text=True, env=e, timeout=120)


def new_slug(tag="org"):
    return "%s-%d-%d" % (tag, os.getpid(), next(_users) + random.randint(0, 10**6))


class Who:
    """A signed-in caller: ids and a bearer token."""

    def __init__(self, email, data, password=PASSWORD):
        self.email = email
        self.password = password
        self.data = data
        self.token = data["accessToken"]
        self.refresh = data["refreshToken"]
        self.user = data["user"]
        self.id = self.user["id"]
        self.org = self.user["organisation"]["id"]

    @property
    def h(self):
        return bearer(self.token)

    def call(self, method, path, body=None, **kw):
        return request(method, path, body=body, headers=self.h, **kw)


def onboard(password=PASSWORD):
    """A new organisation and its owner, signed in."""
    email = new_email("owner")
    slug = new_slug()
    r = request("POST", "/v1/auth/onboard", body={
        "organisation": {"name": "Org " + slug, "slug": slug},
        "email": email, "password": password, "firstName": "Olive",
        "lastName": "Owner"})
    assert r.status == 201, r.body
    return Who(email, r.json["data"], password)


def add_member(owner, roles=("user",), password=PASSWORD, **extra):
    """A member of owner's organisation with roles, signed in."""
    email = new_email("member")
    body = {"email": email, "password": password, "roles": list(roles),
            "firstName": extra.pop("firstName", "Mem"),
            "lastName": extra.pop("lastName", "Ber")}
    body.update(extra)
    r = owner.call("POST", "/v1/admin/users", body)
    assert r.status == 201, r.body
    r = login(email, password)
    assert r.status == 200, r.body
    return Who(email, r.json["data"], password)


def sysadmin():
    """A fresh system administrator (iamctl create-admin), signed in."""
    email = new_email("sysadmin")
    r = iamctl("create-admin", "--email", email, stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    r = login(email)
    assert r.status == 200, r.body
    return Who(email, r.json["data"])
