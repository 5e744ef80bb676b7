"""The programs themselves: configuration checks, refusing root, CGI mode,
and every migration going down and up again."""
import json
import os
import subprocess

import pytest

from conftest import ROOT, STACK, _as_user, request

BIN = os.environ["IAM_BIN"]
CONF = os.path.join(STACK, "iam.conf")


def run(args, env=None, text=True, **kw):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run(args, capture_output=True, text=text, env=e, **kw)


def test_check_mode_accepts_a_good_configuration():
    r = run([os.path.join(BIN, "iam-fcgi"), "-n", "-c", CONF])
    assert r.returncode == 0
    assert "configuration OK" in r.stdout


def test_check_mode_names_an_unknown_key_or_a_bad_value(tmp_path):
    bad = tmp_path / "bad.conf"
    bad.write_text("DATABASE_URL = x\nRATE_MAXIMUM = 3\n")
    r = run([os.path.join(BIN, "iam-fcgi"), "-n", "-c", str(bad)])
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "iam-fcgi: %s:2: unknown key RATE_MAXIMUM" % bad]
    r = run([os.path.join(BIN, "iam-fcgi"), "-n", "-c", CONF],
            env={"RATE_LIMIT_FAIL": "sometimes"})
    assert r.returncode == 1
    assert r.stderr.strip() == ("iam-fcgi: RATE_LIMIT_FAIL: invalid value, "
                                "expected one of open, closed")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to try running as root")
def test_the_server_refuses_to_run_as_root():
    r = run([os.path.join(BIN, "iam-fcgi"), "-c", CONF])
    assert r.returncode == 1
    assert "refusing to run as root" in r.stderr


def test_the_same_binary_answers_as_plain_cgi():
    env = {"REQUEST_METHOD": "GET", "DOCUMENT_URI": "/health",
           "REMOTE_ADDR": "127.0.0.1", "IAM_CONF": CONF}
    r = run(_as_user([os.path.join(STACK, "bin", "iam-fcgi")]), env=env,
            stdin=subprocess.DEVNULL, text=False)
    assert r.returncode == 0, r.stderr
    head, body = r.stdout.split(b"\r\n\r\n", 1)
    assert head.startswith(b"Status: 200 OK\r\n")
    assert b"\r\nX-Request-Id: " in head
    assert json.loads(body)["status"] == "ok"
    # Plain CGI does not connect to PostgreSQL for a route that needs none.
    assert b"db.connect" not in r.stderr
    env.update({"REQUEST_METHOD": "POST", "DOCUMENT_URI": "/v1/x",
                "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": "5"})
    r = run(_as_user([os.path.join(STACK, "bin", "iam-fcgi")]), env=env,
            input="{bad}")
    assert r.stdout.startswith("Status: 400")
    assert "INVALID_JSON" in r.stdout


def test_iamctl_misuse_exits_2_with_usage():
    r = run([os.path.join(BIN, "iamctl"), "migrate", "sideways"])
    assert r.returncode == 2
    assert "usage:" in r.stderr
    r = run([os.path.join(BIN, "iamctl"), "--help"])
    assert r.returncode == 0 and "migrate up" in r.stdout
