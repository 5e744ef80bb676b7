"""The hosted pages in a real browser: npm playwright-core driving
Debian's chromium (installed by scripts/deps.sh; never a browser
download).  No CSP violation may be reported on any page."""
import json
import os
import subprocess

from conftest import (mail_with, PASSWORD, ROOT, URL, fresh_ip, link_token, login,
                      mails_to, register, request)

FLOWS = os.path.join(ROOT, "tests", "integration", "browser", "flows.mjs")



def run(*args):
    env = dict(os.environ, CLIENT_IP=fresh_ip())
    p = subprocess.run(["node", FLOWS, *args], capture_output=True,
                       text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert "failure" not in out, out["failure"]
    assert out["csp"] == [], out["csp"]
    assert out["errors"] == [], out["errors"]
    for pg in out["pages"]:
        assert pg["styled"], pg          # the stylesheet applied
    return out


def test_sign_in_see_account_end_another_session_and_sign_out_in_chromium():
    email, uid = register()
    assert login(email).status == 200          # another session, by the API
    out = run("account", URL, email, PASSWORD)
    assert out["accountEmail"] == email
    assert out["sessionsBefore"] == 2
    assert out["sessionsAfter"] == 1 and out["endedStillListed"] == 0
    assert "has ended" in out["notice"]
    assert "signed out" in out["signedOutText"]
    assert "/login?return_to=/account" in out["afterSignOutUrl"]
    names = {c["name"]: c for c in out["cookies"]}
    assert "iam_sid" not in names               # dropped at sign-out
    assert names["iam_csrf"]["sameSite"] == "Strict"
    assert psql_sessions(uid) == 0


def psql_sessions(uid):
    from conftest import psql_value
    return int(psql_value("SELECT count(*) FROM sessions WHERE user_id = '%s'"
                          " AND revoked_at IS NULL" % uid))


def test_reset_a_password_from_the_mailed_link_in_chromium():
    email, _ = register()
    r = request("POST", "/v1/auth/forgot-password", body={"email": email})
    assert r.status == 202, r.body
    base, token = link_token(mail_with(email, "/reset-password"), "/reset-password")
    assert base == URL
    fresh = "Brand new staple h0rse"
    out = run("reset", URL, email, base + "/reset-password?token=" + token,
              fresh)
    assert "Your password is changed" in out["resetText"]
    assert out["accountEmail"] == email
    assert login(email, PASSWORD).status == 401
