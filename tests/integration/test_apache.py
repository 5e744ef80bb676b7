"""Apache mod_fcgid smoke test: the same binary, started by Apache with the
deployment file conf/apache-fcgid.conf (install paths substituted), answers
/health and the JSON errors."""
import http.client
import json
import os
import shutil
import signal
import subprocess

import pytest

from conftest import ROOT, STACK, wait_for

PORT = int(os.environ["IAM_APACHE_PORT"])
MODULES = "/usr/lib/apache2/modules"


def get(method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        c.close()


@pytest.fixture(scope="module")
def apache():
    d = os.path.join(STACK, "apache")
    os.makedirs(os.path.join(d, "fcgid"), exist_ok=True)
    libdir = os.path.join(d, "lib")
    os.makedirs(libdir, exist_ok=True)
    shutil.copy(os.path.join(STACK, "bin", "iam-fcgi"), libdir)
    with open(os.path.join(ROOT, "conf", "apache-fcgid.conf")) as f:
        site = f.read()
    site = (site.replace("/usr/local/lib/iam", libdir)
                .replace("/etc/iam/iam.conf", os.path.join(STACK, "iam.conf")))
    user = ""
    if os.geteuid() == 0:
        user = "User iam\nGroup iam\n"
        subprocess.run(["chown", "-R", "iam:", d], check=True)
    conf = os.path.join(d, "httpd.conf")
    with open(conf, "w") as f:
        f.write(f"""ServerRoot {d}
ServerName 127.0.0.1
Listen 127.0.0.1:{PORT}
PidFile {STACK}/run/apache.pid
ErrorLog {STACK}/log/apache-error.log
DefaultRuntimeDir {d}
Mutex file:{d} default
LoadModule mpm_event_module {MODULES}/mod_mpm_event.so
LoadModule authz_core_module {MODULES}/mod_authz_core.so
LoadModule alias_module {MODULES}/mod_alias.so
LoadModule fcgid_module {MODULES}/mod_fcgid.so
{user}FcgidIPCDir {d}/fcgid
FcgidProcessTableFile {d}/fcgid/shm
{site}
""")
    r = subprocess.run(["/usr/sbin/apache2", "-f", conf, "-k", "start"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    try:
        assert wait_for(lambda: get("GET", "/health")[0] == 200, timeout=20)
        yield
    finally:
        pidfile = os.path.join(STACK, "run", "apache.pid")
        if os.path.exists(pidfile):
            pid = int(open(pidfile).read())
            os.kill(pid, signal.SIGTERM)

            def gone():
                try:
                    os.kill(pid, 0)
                    return False
                except ProcessLookupError:
                    return True
            assert wait_for(gone, timeout=10)


def test_apache_serves_health_through_mod_fcgid(apache):
    status, headers, body = get("GET", "/health")
    assert status == 200
    assert json.loads(body)["status"] == "ok"
    assert headers["x-content-type-options"] == "nosniff"
    status, _, body = get("GET", "/health/ready")
    assert status == 200
    assert json.loads(body)["checks"]["database"]["status"] == "up"


def test_apache_passes_json_errors_through(apache):
    status, headers, body = get("GET", "/no/such/thing")
    assert status == 404
    assert json.loads(body)["error"]["code"] == "NOT_FOUND"
    status, headers, body = get("DELETE", "/health")
    assert status == 405 and headers["allow"] == "GET, HEAD"
    status, _, body = get("POST", "/v1/auth/register", body=b"{nope",
                          headers={"Content-Type": "application/json"})
    assert status == 400
    assert json.loads(body)["error"]["code"] == "INVALID_JSON"


def test_apache_passes_the_authorization_header(apache):
    token = os.environ["METRICS_TOKEN"]
    status, _, _ = get("GET", "/metrics")
    assert status == 403
    status, _, body = get("GET", "/metrics",
                          headers={"Authorization": "Bearer " + token})
    assert status == 200 and b"iam_http_requests_total" in body
