"""Forward auth through a real NGINX running conf/nginx-forward-auth.conf
as shipped (only its addresses replaced): protected content only with a
session or a token, X-Auth-* reach the application, and no path trick
gets past the gate."""
import http.client
import http.server
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading

import pytest

from conftest import (PASSWORD, ROOT, URL, Browser, add_member, bearer,
                      fresh_ip, login, metric_value, metrics, onboard,
                      register, request, wait_for)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Echo(http.server.BaseHTTPRequestHandler):
    """The protected application: says what it received."""

    def do_GET(self):
        body = json.dumps({"path": self.path, "headers": {
            k: v for k, v in self.headers.items()
            if k.lower().startswith("x-auth")}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def gate():
    app = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Echo)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    d = tempfile.mkdtemp(prefix="iam-fa-")
    os.chmod(d, 0o755)
    port = free_port()
    with open(os.path.join(ROOT, "conf", "nginx-forward-auth.conf")) as f:
        site = f.read()
    iam = URL.split("//", 1)[1]
    site = (site.replace("127.0.0.1:3000", "127.0.0.1:%d" % app.server_port)
                .replace("127.0.0.1:8080", iam)
                .replace("https://iam.example.com", URL)
                .replace("listen 80;", "listen 127.0.0.1:%d;" % port))
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(d, "tmp", sub))
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""%s
pid %s/nginx.pid;
error_log %s/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path %s/tmp/body;
    proxy_temp_path %s/tmp/proxy;
    fastcgi_temp_path %s/tmp/fastcgi;
    uwsgi_temp_path %s/tmp/uwsgi;
    scgi_temp_path %s/tmp/scgi;
    %s
}
""" % ("user root;" if os.getuid() == 0 else "", d, d, d, d, d, d, d, site))
    subprocess.run(["nginx", "-t", "-q", "-p", d, "-c", conf], check=True)
    subprocess.run(["nginx", "-p", d, "-c", conf], check=True)
    assert wait_for(lambda: os.path.exists(os.path.join(d, "nginx.pid")))
    try:
        yield port
    finally:
        subprocess.run(["nginx", "-p", d, "-c", conf, "-s", "stop"])
        app.shutdown()
        shutil.rmtree(d, ignore_errors=True)


def via(port, path, headers=None, host="app.example.test"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    h = {"Host": host}
    h.update(headers or {})
    try:
        c.request("GET", path, headers=h)
        r = c.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        c.close()


def test_without_a_session_the_browser_is_sent_to_login_with_the_original_url(gate):
    st, h, body = via(gate, "/reports/2026?x=1")
    assert st == 302
    assert h["location"] == URL + "/login?return_to=http://app.example.test/reports/2026?x=1"
    assert b"reports" not in body


def test_a_session_cookie_reaches_the_content_and_x_auth_headers_reach_the_app(gate):
    email, uid = register()
    b = Browser()
    b.sign_in(email)
    st, h, body = via(gate, "/reports", {"Cookie": b.cookie_header()})
    assert st == 200, body
    seen = json.loads(body)
    assert seen["path"] == "/reports"
    hd = {k.lower(): v for k, v in seen["headers"].items()}
    assert hd["x-auth-user"] == uid
    assert hd["x-auth-email"] == email
    assert hd["x-auth-roles"] == "user"
    assert len(hd["x-auth-org"]) == 36


def test_a_bearer_token_reaches_the_content(gate):
    email, uid = register()
    tok = login(email).json["data"]["accessToken"]
    st, _, body = via(gate, "/api/x", bearer(tok))
    assert st == 200
    assert json.loads(body)["headers"]["X-Auth-User"] == uid


def test_x_auth_headers_a_client_sends_never_reach_the_app(gate):
    email, uid = register()
    b = Browser()
    b.sign_in(email)
    st, _, body = via(gate, "/", {"Cookie": b.cookie_header(),
                                  "X-Auth-User": "someone-else",
                                  "X-Auth-Roles": "owner"})
    hd = json.loads(body)["headers"]
    assert hd["X-Auth-User"] == uid and hd["X-Auth-Roles"] == "user"
    st, _, _ = via(gate, "/", {"X-Auth-User": uid})
    assert st == 302


def test_a_role_gated_location_answers_403_to_members_without_it(gate):
    owner = onboard()
    member = add_member(owner, roles=("user",))
    st, _, _ = via(gate, "/admin/panel", bearer(member.token))
    assert st == 403
    st, _, body = via(gate, "/admin/panel", bearer(owner.token))
    # the owner's roles are owner (not admin): the gate is exact
    assert st == 403
    admin = add_member(owner, roles=("admin",))
    st, _, body = via(gate, "/admin/panel", bearer(admin.token))
    assert st == 200, body


@pytest.mark.parametrize("path", [
    "/../reports", "/%2e%2e/reports", "/a/%2e%2e/reports", "//reports",
    "/reports;jsessionid=x", "/_iam/verify", "/_iam/../reports",
    "/%2F/reports", "/admin/../admin/panel", "/ADMIN/panel",
])
def test_path_tricks_never_reach_protected_content_unauthenticated(gate, path):
    st, h, body = via(gate, path)
    assert st in (302, 400, 404), (path, st)
    assert b'"path"' not in body, path


def test_garbage_credentials_are_refused_and_a_suspended_users_session_stops(gate):
    st, _, _ = via(gate, "/", {"Authorization": "Bearer not.a.jwt"})
    assert st == 302
    st, _, _ = via(gate, "/", {"Cookie": "iam_sid=" + "A" * 43})
    assert st == 302
    owner = onboard()
    member = add_member(owner)
    b = Browser()
    b.sign_in(member.email)
    assert via(gate, "/", {"Cookie": b.cookie_header()})[0] == 200
    assert via(gate, "/", bearer(member.token))[0] == 200
    r = owner.call("PATCH", "/v1/admin/users/%s" % member.id, {"status": "suspended"})
    assert r.status == 200, r.body
    assert via(gate, "/", {"Cookie": b.cookie_header()})[0] == 302
    assert wait_for(lambda: via(gate, "/", bearer(member.token))[0] == 302)


def test_verify_answers_the_contract_directly():
    email, uid = register()
    tok = login(email).json["data"]["accessToken"]
    r = request("GET", "/auth/verify", headers=bearer(tok))
    assert r.status == 200 and r.body == b""
    assert r.headers["x-auth-user"] == uid
    assert r.headers["x-auth-email"] == email
    assert request("GET", "/auth/verify?role=owner", headers=bearer(tok)).status == 403
    assert request("GET", "/auth/verify?permission=users:read",
                   headers=bearer(tok)).status == 403
    assert request("GET", "/auth/verify?role=user", headers=bearer(tok)).status == 200
    assert request("GET", "/auth/verify?aud=https://other.example",
                   headers=bearer(tok)).status == 401
    assert request("GET", "/auth/verify").status == 401


def test_verify_counts_only_its_failures_per_ip():
    ip = fresh_ip()
    email, _ = register()
    tok = login(email).json["data"]["accessToken"]
    # far more successes than RATE_MAX (40 in the test stack): never throttled
    for _ in range(60):
        assert request("GET", "/auth/verify", headers=bearer(tok), ip=ip).status == 200
    codes = [request("GET", "/auth/verify", ip=ip).status for _ in range(45)]
    assert codes[:40] == [401] * 40
    assert set(codes[40:]) == {429}
    # a good credential still passes from the same address
    assert request("GET", "/auth/verify", headers=bearer(tok), ip=ip).status == 200
