"""What the README promises, each shown on the running stack: the email
verification gate, one-time token lifetimes, session lifetime under
refresh, the audit events it lists, METRICS_ALLOW, the keyring reloading
on an unknown kid, and the organisation's password policy on reset."""
import base64
import json
import subprocess
import os

from conftest import (CTL, PASSWORD, STACK, bearer, configured, everywhere,
                      forge, link_token, login, mail_with, mails_to, new_email, onboard,
                      psql_value, register, request, session, signing_key,
                      signing_keys_kept, token_alive)


def _uid(email):
    return psql_value("SELECT id FROM users WHERE lower(email) = lower('%s')"
                      % email)


def test_require_email_verification_refuses_login_until_verified():
    email, _ = register(new_email("gate"))
    with configured(REQUIRE_EMAIL_VERIFICATION="true"):
        r = login(email)
        assert r.status == 403 and r.error_code() == "EMAIL_NOT_VERIFIED"
        assert "accessToken" not in r.body.decode()
        _, token = link_token(mail_with(email, "/verify-email?token="),
                              "/verify-email")
        assert request("POST", "/v1/auth/verify-email",
                       body={"token": token}).status == 200
        r = login(email)
        assert r.status == 200, r.body
    # Off again (the stack's setting): an unverified address signs in.
    other, _ = register(new_email("nogate"))
    assert login(other).status == 200


def test_verification_lasts_24_hours_and_reset_one_hour():
    email, _ = register(new_email("life"))
    uid = _uid(email)
    assert request("POST", "/v1/auth/forgot-password",
                   body={"email": email}).status == 202
    ages = dict(line.split("|") for line in psql_value(
        "SELECT purpose, extract(epoch FROM expires_at - created_at)::int "
        "FROM email_tokens WHERE user_id = '%s'" % uid).splitlines())
    assert ages == {"verify": "86400", "reset": "3600"}
    # Past its time a link is refused and changes nothing.
    _, vtoken = link_token(mail_with(email, "/verify-email?token="),
                           "/verify-email")
    psql_value("UPDATE email_tokens SET expires_at = now() - interval "
               "'1 second' WHERE user_id = '%s'" % uid)
    r = request("POST", "/v1/auth/verify-email", body={"token": vtoken})
    assert r.status == 400 and r.error_code() == "INVALID_TOKEN"
    assert psql_value("SELECT email_verified_at IS NULL FROM users WHERE "
                      "id = '%s'" % uid) == "t"
    _, rtoken = link_token(mail_with(email, "/reset-password?token="),
                           "/reset-password")
    r = request("POST", "/v1/auth/reset-password",
                body={"token": rtoken, "password": "Another fine pass 9"})
    assert r.status == 400 and r.error_code() == "INVALID_TOKEN"
    assert login(email).status == 200


def test_refresh_never_extends_the_session():
    email, _, d = session(new_email("life2"))
    sid = psql_value("SELECT session_id FROM refresh_tokens WHERE user_id = "
                     "(SELECT id FROM users WHERE email = '%s')" % email)
    before = psql_value("SELECT expires_at FROM sessions WHERE id = '%s'" % sid)
    tok = d["refreshToken"]
    for _ in range(3):
        r = request("POST", "/v1/auth/refresh", body={"refreshToken": tok})
        assert r.status == 200, r.body
        tok = r.json["data"]["refreshToken"]
    assert psql_value("SELECT expires_at FROM sessions WHERE id = '%s'"
                      % sid) == before
    # No refresh token of the session outlives it...
    assert psql_value("SELECT bool_and(t.expires_at <= s.expires_at) FROM "
                      "refresh_tokens t JOIN sessions s ON s.id = "
                      "t.session_id WHERE s.id = '%s'" % sid) == "t"
    # ...and once the session's time is up, refresh ends.
    psql_value("UPDATE sessions SET expires_at = now() - interval '1 second'"
               " WHERE id = '%s'" % sid)
    r = request("POST", "/v1/auth/refresh", body={"refreshToken": tok})
    assert r.status == 401


def test_every_account_event_the_readme_lists_is_audited():
    email, _, d = session(new_email("audited"))
    uid = _uid(email)
    h = bearer(d["accessToken"])
    assert login(email, "wrong password 0").status == 401
    r = request("POST", "/v1/auth/refresh",
                body={"refreshToken": d["refreshToken"]})
    assert r.status == 200
    fresh = r.json["data"]
    # The old refresh token again: reuse.
    assert request("POST", "/v1/auth/refresh",
                   body={"refreshToken": d["refreshToken"]}).status == 401
    d2 = login(email).json["data"]
    h = bearer(d2["accessToken"])
    assert request("PATCH", "/v1/me", body={"firstName": "Audrey"},
                   headers=h).status == 200
    _, vtoken = link_token(mail_with(email, "/verify-email?token="),
                           "/verify-email")
    assert request("POST", "/v1/auth/verify-email",
                   body={"token": vtoken}).status == 200
    new = "A changed passphrase 11"
    assert request("POST", "/v1/me/password", headers=h, body={
        "currentPassword": PASSWORD, "newPassword": new}).status in (200, 204)
    d3 = login(email, new).json["data"]
    h = bearer(d3["accessToken"])
    assert request("GET", "/v1/me/export", headers=h).status == 200
    assert request("POST", "/v1/auth/logout",
                   body={"refreshToken": d3["refreshToken"]}).status in (200, 204)
    assert request("POST", "/v1/auth/forgot-password",
                   body={"email": email}).status == 202
    _, rtoken = link_token(mail_with(email, "/reset-password?token="),
                           "/reset-password")
    newer = "A reset passphrase 12"
    assert request("POST", "/v1/auth/reset-password",
                   body={"token": rtoken, "password": newer}).status == 200
    d4 = login(email, newer).json["data"]
    assert request("DELETE", "/v1/me", headers=bearer(d4["accessToken"]),
                   body={"password": newer}).status == 204
    actions = set(psql_value(
        "SELECT action FROM audit_log WHERE actor_id = '%s' OR target_id = "
        "'%s'" % (uid, uid)).splitlines())
    want = {"user.register", "auth.login", "auth.login_failed",
            "token.refresh", "token.reuse_detected", "auth.logout",
            "user.update", "email.verify", "password.change",
            "password.reset", "user.export", "user.delete"}
    assert want <= actions, want - actions
    # Never a secret in the rows.
    rows = psql_value("SELECT string_agg(a::text, '\n') FROM audit_log a "
                      "WHERE actor_id = '%s' OR target_id = '%s'" % (uid, uid))
    for secret in (PASSWORD, new, newer, d["refreshToken"], vtoken, rtoken,
                   fresh["refreshToken"], d["accessToken"]):
        assert secret not in rows


def test_metrics_allow_admits_listed_addresses_without_a_token():
    assert request("GET", "/metrics", ip="198.51.100.7").status == 403
    with configured(METRICS_ALLOW="198.51.100.0/24"):
        r = request("GET", "/metrics", ip="198.51.100.7")
        assert r.status == 200 and b"iam_workers" in r.body
        assert request("GET", "/metrics", ip="198.51.101.7").status == 403
        assert request("GET", "/metrics", ip="198.51.101.7", headers={
            "Authorization": "Bearer " + os.environ["METRICS_TOKEN"]
        }).status == 200
    assert request("GET", "/metrics", ip="198.51.100.7").status == 403


def test_an_unknown_kid_makes_every_worker_reload_its_keyring():
    email, uid, d = session(new_email("kid"))
    with signing_keys_kept():
        _unknown_kid_reloads(uid, d)


def _unknown_kid_reloads(uid, d):
    old_kid, _ = signing_key()
    # A new key written by another process (iamctl), no SIGHUP: the
    # workers know nothing of it until a token names it.
    r = subprocess.run(CTL + ["keys", "rotate"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    kid, _ = signing_key()
    assert kid != old_kid
    now = int(__import__("time").time())
    claims = {"iss": os.environ["IAM_TEST_URL"],
              "aud": os.environ["IAM_TEST_URL"], "sub": uid,
              "org": d["user"]["organisation"]["id"], "sid": "x",
              "iat": now, "exp": now + 300,
              "jti": base64.urlsafe_b64encode(os.urandom(12)).decode()}
    tok = json.loads(base64.urlsafe_b64decode(
        d["accessToken"].split(".")[1] + "=="))
    claims.update({k: v for k, v in tok.items()
                   if k not in ("iat", "exp", "jti")})
    token = forge(claims)
    assert everywhere("GET", "/v1/me", bearer(token)) == 200
    token_alive(d["accessToken"])


def test_the_organisations_password_policy_applies_to_a_reset():
    owner = onboard()
    r = owner.call("PATCH", "/v1/admin/organisation", {"settings": {
        "passwordPolicy": {"minLength": 16, "requireDigit": True}}})
    assert r.status == 200, r.body
    email = new_email("policy")
    r = owner.call("POST", "/v1/admin/users", {
        "email": email, "password": "Sixteen chars ok 1", "roles": ["user"]})
    assert r.status == 201, r.body
    assert request("POST", "/v1/auth/forgot-password",
                   body={"email": email}).status == 202
    _, token = link_token(mail_with(email, "/reset-password?token="),
                          "/reset-password")
    for weak in ("Short one 1", "Long enough but no digit"):
        r = request("POST", "/v1/auth/reset-password",
                    body={"token": token, "password": weak})
        assert r.status == 400 and r.error_code() == "WEAK_PASSWORD", weak
    # The refused attempts did not use the link up.
    r = request("POST", "/v1/auth/reset-password",
                body={"token": token, "password": "Sixteen and more 22"})
    assert r.status == 200, r.body
    assert login(email, "Sixteen and more 22").status == 200
