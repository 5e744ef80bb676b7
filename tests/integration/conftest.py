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


# Every secret the tests sent or were given (passwords, tokens, one-time
# link tokens): the final test looks for each in every log of the run.
SECRETS = set()
_SECRET_KEYS = {"password", "currentPassword", "newPassword", "accessToken",
                "refreshToken", "token", "mfaToken", "secret", "clientSecret"}


def remember_secrets(doc):
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k in _SECRET_KEYS and isinstance(v, str) and len(v) >= 12:
                SECRETS.add(v)
            else:
                remember_secrets(v)
    elif isinstance(doc, list):
        for v in doc:
            remember_secrets(v)


def request(method, path, body=None, headers=None, ip=None, ctype=None,
            timeout=20):
    remember_secrets(body)
    auth = (headers or {}).get("Authorization", "")
    if auth.startswith("Bearer ") and len(auth) > 19:
        SECRETS.add(auth[7:])
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
        resp = Resp(r.status, r.getheaders(), r.read())
        if resp.headers.get("content-type", "").startswith("application/json"):
            try:
                remember_secrets(resp.json)
            except ValueError:
                pass
        return resp
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


def _children():
    m = master_pid()
    out = subprocess.run(["pgrep", "-P", str(m)], capture_output=True, text=True)
    kids = []
    for p in out.stdout.split():
        try:
            with open("/proc/%s/comm" % p) as f:
                kids.append((int(p), f.read().strip()))
        except OSError:
            pass
    return kids


def worker_pids():
    """The master's workers (its audit chainer is a child too)."""
    return sorted(p for p, comm in _children() if comm != "iam-chainer")


def chainer_pids():
    return sorted(p for p, comm in _children() if comm == "iam-chainer")


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


def psql(sql, user="postgres", **kw):
    """SQL as the cluster's superuser (tampering, set-up), or as user:
    "iam" is the server's runtime role, "iam_owner" the schema owner."""
    return subprocess.Popen(
        _as_user(["psql", "-h", os.path.join(STACK, "run"), "-U", user,
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
SECRETS.add(PASSWORD)


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


def psql_value(sql, user="postgres"):
    p = psql(sql, user=user, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
             text=True)
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
    SECRETS.add(m.group(2))
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


# --- what a refused call must leave alone ----------------------------------

# Every durable fact a request could change, table by table.  Columns that
# background work changes on its own (the mailer's delivery state) are left
# out, so two snapshots differ only by what a request did.
_STATE_TABLES = {
    "organisations": "SELECT o::text FROM organisations o",
    "users": "SELECT u::text FROM users u",
    "profiles": "SELECT p::text FROM profiles p",
    "roles": "SELECT r::text FROM roles r",
    "user_roles": "SELECT ur::text FROM user_roles ur",
    "sessions": "SELECT s::text FROM sessions s",
    "refresh_tokens": "SELECT t::text FROM refresh_tokens t",
    "email_tokens": "SELECT e::text FROM email_tokens e",
    "invitations": "SELECT i::text FROM invitations i",
    "signing_keys": "SELECT k::text FROM signing_keys k",
    "token_revocations": "SELECT t::text FROM token_revocations t",
    "email_outbox": "SELECT row(id, to_addr, subject, body)::text"
                    " FROM email_outbox",
}


def db_state():
    """A digest and row count of each table in _STATE_TABLES."""
    parts = ["SELECT '%s', count(*), coalesce(md5(string_agg(x, '|' ORDER BY"
             " x)), '') FROM (%s) s(x)" % (name, q)
             for name, q in _STATE_TABLES.items()]
    out = psql_value(" UNION ALL ".join(parts))
    state = {}
    for line in out.splitlines():
        name, n, digest = line.split("|")
        state[name] = (int(n), digest)
    return state


def assert_unchanged(before, what=""):
    after = db_state()
    changed = sorted(k for k in before if before[k] != after[k])
    assert not changed, "%s changed %s" % (what, changed)


# --- every worker ----------------------------------------------------------

_rid = itertools.count(1)


def log_cursor():
    """The log's current end: lines written after it are 'new'."""
    return os.path.getsize(os.path.join(STACK, "log", "iam.log"))


def log_since(cursor):
    with open(os.path.join(STACK, "log", "iam.log"), "rb") as f:
        f.seek(cursor)
        return f.read().decode(errors="replace")


def wait_log(cursor, needle, timeout=10.0):
    """Waits (bounded) until a line written after cursor holds needle;
    returns the text since cursor."""
    found = wait_for(lambda: needle in log_since(cursor), timeout=timeout)
    assert found, "no log line with %r after the action" % needle
    return log_since(cursor)


def _answered_by(cursor, rids, timeout=10.0):
    """Maps each request id to the pid of the worker whose access line
    carries it (the line is written right after the answer)."""
    def all_there():
        text = log_since(cursor)
        return all('"requestId":"%s"' % r in text for r in rids)
    assert wait_for(all_there, timeout=timeout), "access lines missing"
    pids = {}
    for line in log_since(cursor).splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if ev.get("event") == "http.access" and ev.get("requestId") in rids:
            pids[ev["requestId"]] = ev["pid"]
    return pids


def on_every_worker(method, path, headers=None, body=None, rounds=25):
    """Sends the same request in parallel batches until every worker has
    answered it at least once.  Returns {worker pid: [Resp, ...]} with an
    entry for each worker; fails if some worker never answered."""
    from concurrent.futures import ThreadPoolExecutor
    workers = set(worker_pids())
    seen = {}
    width = 2 * max(len(workers), 1)
    with ThreadPoolExecutor(max_workers=width) as pool:
        for _ in range(rounds):
            cursor = log_cursor()
            rids = ["ew-%d-%d" % (os.getpid(), next(_rid))
                    for _ in range(width)]

            def send(rid):
                h = dict(headers or {})
                h["X-Request-Id"] = rid
                return rid, request(method, path, body=body, headers=h)
            answers = dict(pool.map(send, rids))
            for rid, pid in _answered_by(cursor, set(rids)).items():
                seen.setdefault(pid, []).append(answers[rid])
            if workers <= set(seen):
                return seen
    assert workers <= set(seen), "workers %s never answered" % (
        workers - set(seen))
    return seen


def refused_everywhere(method, path, headers=None, body=None, status=401):
    """Every worker answers status (default 401) to this request."""
    seen = on_every_worker(method, path, headers, body)
    bad = {pid: [r.status for r in rs] for pid, rs in seen.items()
           if any(r.status != status for r in rs)}
    assert not bad, "workers answered other than %d: %s" % (status, bad)


def accepted_everywhere(method, path, headers=None, body=None, status=200):
    refused_everywhere(method, path, headers, body, status)


def everywhere(method, path, headers=None, body=None):
    """The one status every worker answers to this request; fails when
    the workers disagree (one of them has not heard of a change)."""
    seen = on_every_worker(method, path, headers, body)
    statuses = {pid: sorted({r.status for r in rs}) for pid, rs in seen.items()}
    flat = {s for ss in statuses.values() for s in ss}
    assert len(flat) == 1, "workers disagree: %s" % statuses
    return flat.pop()


def token_dead(token):
    """The access token is refused by every worker."""
    refused_everywhere("GET", "/v1/me", bearer(token))


def token_alive(token):
    accepted_everywhere("GET", "/v1/me", bearer(token))


# --- mail that must not come ------------------------------------------------

def outbox_count(addr):
    return int(psql_value("SELECT count(*) FROM email_outbox WHERE "
                          "lower(to_addr) = lower('%s')" % addr.replace("'", "''")))


def no_mail_to(addr):
    """Nothing was queued for addr, and nothing was delivered to it by the
    time a mail queued after this call has been delivered (the mailer
    sends in queue order): as long as a positive check would wait."""
    assert outbox_count(addr) == 0
    probe = new_email("probe")
    register(probe)
    assert mails_to(probe), "the probe mail never arrived"
    assert mails_to(addr, timeout=0) == []


# --- configuration changed for one test, and restored ----------------------

def _reload_and_wait():
    """SIGHUP the master; returns once a whole new generation of workers
    serves (bounded)."""
    old = set(worker_pids())
    n = len(old)
    cursor = log_cursor()
    os.kill(master_pid(), signal.SIGHUP)
    assert wait_for(lambda: len(worker_pids()) == n and
                    old.isdisjoint(worker_pids()), timeout=20), \
        "the workers were not replaced after SIGHUP"
    # Forked is not serving yet (connecting, preparing, the sandbox):
    # each new worker says worker.start just before it accepts.
    assert wait_for(lambda: all(
        '"pid":%d,"component":"worker","event":"worker.start"' % p
        in log_since(cursor) for p in worker_pids()), timeout=20), \
        "the new workers never started serving"
    assert wait_for(lambda: request("GET", "/health").status == 200)


class configured:
    """with configured(RATE_LIMIT_FAIL="closed"): the stack's configuration
    file carries these keys (replacing any earlier line of the same key)
    until the block ends; then the file is put back byte for byte and the
    workers are reloaded again, also when the block fails."""

    def __init__(self, **keys):
        self.keys = keys
        self.path = os.path.join(STACK, "iam.conf")

    def __enter__(self):
        with open(self.path) as f:
            self.original = f.read()
        lines = [l for l in self.original.splitlines()
                 if l.split("=", 1)[0].strip() not in self.keys]
        lines += ["%s = %s" % kv for kv in self.keys.items()]
        with open(self.path, "w") as f:
            f.write("\n".join(lines) + "\n")
        _reload_and_wait()
        return self

    def __exit__(self, *exc):
        with open(self.path, "w") as f:
            f.write(self.original)
        _reload_and_wait()
        return False


# --- order ------------------------------------------------------------------

def pytest_configure(config):
    config.addinivalue_line(
        "markers", "final: runs after everything else (reads the whole "
        "run's logs)")
    config.addinivalue_line(
        "markers", "destructive: stops services or ends every token; runs "
        "after every other test")
    config.addinivalue_line(
        "markers", "last: runs after every destructive test (takes the "
        "schema down)")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """Whatever order the others run in (random, by seed), destructive
    tests come after them and 'last' tests after those; each group keeps
    the order it was given."""
    def rank(item):
        if item.get_closest_marker("final"):
            return 3
        if item.get_closest_marker("last"):
            return 2
        if item.get_closest_marker("destructive"):
            return 1
        return 0
    items[:] = sorted(items, key=rank)   # sorted() is stable


class default_org_settings:
    """with default_org_settings(): the default organisation's settings (or
    those of the organisation org_id) are put back exactly as they were
    found when the block ends."""

    def __init__(self, org_id=None):
        self.where = "is_default" if org_id is None else "id = '%s'" % org_id

    def __enter__(self):
        self.saved = psql_value("SELECT settings::text FROM organisations "
                                "WHERE " + self.where)
        return self

    def __exit__(self, *exc):
        psql_value("UPDATE organisations SET settings = '%s'::jsonb WHERE %s"
                   % (self.saved.replace("'", "''"), self.where))
        assert psql_value("SELECT settings::text FROM organisations WHERE "
                          + self.where) == self.saved
        return False


def mail_with(addr, needle, timeout=10.0):
    """The newest message to addr that contains needle (waits, bounded)."""
    found = wait_for(lambda: [m for m in mails_to(addr, timeout=0)
                              if needle in m], timeout=timeout)
    assert found, "no mail to %s with %r" % (addr, needle)
    return found[-1]


class signing_keys_kept:
    """with signing_keys_kept(): the signing-key table is put back row for
    row when the block ends (keys minted inside it are removed, dates
    moved inside it restored) and the workers reload their keyrings."""

    def __enter__(self):
        self.saved = psql_value("SELECT coalesce(json_agg(k), '[]')::text "
                                "FROM signing_keys k")
        return self

    def __exit__(self, *exc):
        psql_value("BEGIN; DELETE FROM signing_keys; INSERT INTO "
                   "signing_keys SELECT * FROM json_populate_recordset("
                   "NULL::signing_keys, '%s'); COMMIT"
                   % self.saved.replace("'", "''"))
        assert psql_value("SELECT coalesce(json_agg(k), '[]')::text FROM "
                          "signing_keys k") == self.saved
        _reload_and_wait()
        return False


def all_mail_to(addr, timeout=15.0):
    """Every message queued for addr so far, once all are delivered (a
    newer link voids an older one, so tests take the last of them)."""
    want = outbox_count(addr)
    assert wait_for(lambda: len(mails_to(addr, timeout=0)) >= want,
                    timeout=timeout), "mail to %s not all delivered" % addr
    return mails_to(addr, timeout=0)


# --- a browser, for the hosted pages -----------------------------------------

class Browser:
    """A cookie jar and one client address: what a browser sends the pages.

    Cookies are kept as Set-Cookie says (a Max-Age=0 drops one); forms'
    _csrf values are read from the HTML as a browser would submit them.
    """

    def __init__(self, ip=None):
        self.ip = ip or fresh_ip()
        self.jar = {}
        self.set_cookies = []

    def cookie_header(self):
        return "; ".join("%s=%s" % kv for kv in self.jar.items())

    def send(self, method, path, form=None, headers=None, body=None, ctype=None):
        h = dict(headers or {})
        if self.jar:
            h["Cookie"] = self.cookie_header()
        if form is not None:
            body = urllib.parse.urlencode(form)
            ctype = "application/x-www-form-urlencoded"
            remember_secrets(dict(form))
        h["X-Forwarded-For"] = self.ip
        if ctype:
            h["Content-Type"] = ctype
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h["Content-Type"] = "application/json"
        c = http.client.HTTPConnection(HOST, PORT, timeout=20)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            self.set_cookies = r.headers.get_all("Set-Cookie") or []
            resp = Resp(r.status, r.getheaders(), r.read())
        finally:
            c.close()
        for sc in self.set_cookies:
            name, _, rest = sc.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in sc:
                self.jar.pop(name, None)
            else:
                self.jar[name] = value
                if name in ("iam_sid", "iam_csrf"):
                    SECRETS.add(value)
        resp.text = resp.body.decode("utf-8", "replace")
        return resp

    def get(self, path, **kw):
        return self.send("GET", path, **kw)

    def csrf(self, page="/login"):
        """The _csrf of a form on page (fetching it sets iam_csrf)."""
        import re as _re
        r = self.get(page)
        m = _re.search(r'name="_csrf" value="([^"]+)"', r.text)
        assert m, r.text
        return m.group(1)

    def post(self, path, form, csrf=True, page="/login", **kw):
        form = dict(form)
        if csrf is True:
            form["_csrf"] = self.jar.get("iam_csrf") or self.csrf(page)
        elif csrf:
            form["_csrf"] = csrf
        return self.send("POST", path, form=form, **kw)

    def sign_in(self, email, password=PASSWORD, return_to=None):
        form = {"email": email, "password": password}
        if return_to is not None:
            form["return_to"] = return_to
        r = self.post("/login", form)
        assert r.status == 303, (r.status, r.text)
        return r


def set_cookie_attrs(header):
    """'name=v; A; B=c' -> (name, value, {lower attr: value or True})."""
    parts = [p.strip() for p in header.split(";")]
    name, _, value = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        k, eq, v = p.partition("=")
        attrs[k.lower()] = v if eq else True
    return name, value, attrs
