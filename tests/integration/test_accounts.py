"""/v1/auth over HTTP: registration, login, lockout, refresh rotation and
reuse, logout, email verification and password reset."""
import os
import threading

from conftest import (PASSWORD, bearer, fresh_ip, link_token, login, mails_to,
                      default_org_settings, new_email, no_mail_to, onboard,
                      psql_value, register,
                      request, session, wait_for)

LOCKOUT = int(os.environ.get("LOCKOUT_THRESHOLD", "5"))


def test_register_creates_the_account_and_sends_the_verification_mail():
    email = new_email("Reg")
    r = request("POST", "/v1/auth/register",
                body={"email": email, "password": PASSWORD, "firstName": "Ada",
                      "lastName": "Lovelace"})
    assert r.status == 201
    d = r.json["data"]
    assert d["email"] == email and len(d["userId"]) == 36 and d["message"]
    mail = mails_to(email)
    assert len(mail) == 1
    base, token = link_token(mail[0], "/verify-email")
    assert base == os.environ["IAM_TEST_URL"]
    # Only the hash is stored.
    assert psql_value("SELECT count(*) FROM email_tokens WHERE token_hash = "
                      "sha256(convert_to('%s', 'UTF8'))" % token) == "1"
    assert token not in psql_value("SELECT string_agg(encode(token_hash, 'hex'), ',')"
                                   " FROM email_tokens")


def test_duplicate_registration_in_any_letter_case_is_409():
    email = new_email("dup")
    register(email)
    for variant in [email, email.upper(), email.capitalize()]:
        r = request("POST", "/v1/auth/register",
                    body={"email": variant, "password": PASSWORD})
        assert r.status == 409, variant
        assert r.error_code() == "EMAIL_EXISTS"


def test_weak_and_common_passwords_are_400_weak_password():
    email = new_email("weak")
    for pw in ["short1", "password", "12345678", "Password1", "qwertyuiop",
               email, email.upper(), "x" * 129]:
        r = request("POST", "/v1/auth/register", body={"email": email, "password": pw})
        assert r.status == 400, pw
        assert r.error_code() == "WEAK_PASSWORD", pw
        assert r.json["error"]["details"][0]["field"] == "password"
    # 128 characters (of two bytes each, some) is still a password; one
    # character 128 times is not (cracklib: too few different ones).
    r = request("POST", "/v1/auth/register", body={"email": email, "password": "é" * 128})
    assert r.status == 400 and r.error_code() == "WEAK_PASSWORD"
    long = ("é correct horse battery staple 42 " * 4)[:128]
    assert len(long) == 128
    r = request("POST", "/v1/auth/register", body={"email": email, "password": long})
    assert r.status == 201, r.body


def test_register_validates_every_field_and_refuses_unknown_ones():
    cases = [
        ({"password": PASSWORD}, "email"),
        ({"email": "not-an-address", "password": PASSWORD}, "email"),
        ({"email": "a@b", "password": PASSWORD}, "email"),
        ({"email": 42, "password": PASSWORD}, "email"),
        ({"email": new_email(), "password": ["x"]}, "password"),
        ({"email": new_email(), "password": PASSWORD, "role": "admin"}, "role"),
        ({"email": new_email(), "password": PASSWORD, "firstName": "x" * 101}, "firstName"),
    ]
    for body, field in cases:
        r = request("POST", "/v1/auth/register", body=body)
        assert r.status == 400, body
        assert r.error_code() == "VALIDATION_ERROR"
        assert r.json["error"]["details"][0]["field"] == field, body
    for body in [b"[1]", b'"s"', b"3", b"null"]:
        r = request("POST", "/v1/auth/register", body=body, ctype="application/json")
        assert r.status == 400 and r.error_code() == "VALIDATION_ERROR"


def test_registration_closed_or_invite_only_is_403():
    with default_org_settings():
        for mode in ["invite", "closed"]:
            psql_value("UPDATE organisations SET settings = jsonb_set(settings, "
                       "'{registrationMode}', '\"%s\"') WHERE is_default" % mode)
            email = new_email()
            r = request("POST", "/v1/auth/register",
                        body={"email": email, "password": PASSWORD})
            assert r.status == 403
            assert r.error_code() == "REGISTRATION_CLOSED"
            assert psql_value("SELECT count(*) FROM users WHERE email = '%s'"
                              % email) == "0"


def test_registration_mode_from_the_configuration_applies_until_one_is_set():
    import json as _json
    import subprocess
    from conftest import STACK, _as_user
    body = _json.dumps({"email": new_email("cgi"), "password": PASSWORD}).encode()
    env = dict(os.environ, REQUEST_METHOD="POST", DOCUMENT_URI="/v1/auth/register",
               CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(body)),
               REMOTE_ADDR="127.0.0.1", IAM_CONF=os.path.join(STACK, "iam.conf"),
               REGISTRATION_MODE="closed")
    cmd = _as_user([os.path.join(STACK, "bin", "iam-fcgi")])
    out = subprocess.run(cmd, input=body, capture_output=True, env=env).stdout
    assert out.startswith(b"Status: 403"), out
    assert b"REGISTRATION_CLOSED" in out
    with default_org_settings():
        # A mode the organisation holds wins over the configuration.
        psql_value("UPDATE organisations SET settings = settings || "
                   "'{\"registrationMode\":\"open\"}' WHERE is_default")
        out = subprocess.run(cmd, input=body, capture_output=True, env=env).stdout
        assert out.startswith(b"Status: 201"), out


def test_login_answers_the_contract_shape():
    email, uid = register(new_email("login"), firstName="Lin")
    r = login(email.upper())
    assert r.status == 200
    d = r.json["data"]
    assert d["tokenType"] == "Bearer" and d["expiresIn"] == 900
    assert d["accessToken"].count(".") == 2 and len(d["refreshToken"]) >= 43
    u = d["user"]
    assert u["id"] == uid and u["email"] == email
    assert u["organisation"]["slug"] == "default"
    assert u["profile"] == {"firstName": "Lin", "lastName": "", "phone": "",
                            "preferences": {}, "addresses": []}
    assert u["lastLoginAt"] and u["emailVerified"] is False
    for secret in ["password", "passwordHash", "password_hash"]:
        assert secret not in r.body.decode()
    assert r.headers["cache-control"] == "no-store"


def test_wrong_password_and_unknown_email_get_the_same_answer():
    email, _ = register(new_email("same"))
    a = login(email, "wrong password 1")
    b = login(new_email("nobody"), "wrong password 1")
    assert a.status == b.status == 401
    assert a.json == b.json
    assert a.error_code() == "INVALID_CREDENTIALS"


def test_unknown_known_and_passwordless_addresses_each_cost_one_hash():
    # No timing here (the benchmark compares the latencies): each path of a
    # failed login computes exactly one scrypt hash, which the server
    # counts in iam_password_hashes_total.
    from conftest import metric_value, metrics
    email, _ = register(new_email("timing"))
    owner = onboard()
    r = owner.call("POST", "/v1/admin/users", {"email": new_email("nopw")})
    assert r.status == 201, r.body
    nopw = r.json["data"]["email"]
    name = "iam_password_hashes_total"
    for addr in (email, new_email("ghost"), nopw):
        before = metric_value(metrics(), name)
        assert login(addr, "not the password").status == 401
        assert metric_value(metrics(), name) - before == 1, addr
    # The right password costs one too, and so does a registration.
    before = metric_value(metrics(), name)
    assert login(email).status == 200
    register(new_email("one-hash"))
    assert metric_value(metrics(), name) - before == 2


def test_lockout_after_the_threshold_then_429_even_with_the_right_password():
    email, _ = register(new_email("lock"))
    for i in range(LOCKOUT):
        r = login(email, "bad password %d" % i)
        assert r.status == 401, (i, r.body)
        assert r.error_code() == "INVALID_CREDENTIALS"
    r = login(email, PASSWORD)
    assert r.status == 429
    assert r.error_code() == "TOO_MANY_ATTEMPTS"
    retry = int(r.headers["retry-after"])
    assert 800 < retry <= 901          # rounded up: waiting that long is enough
    assert r.json["error"]["details"] == [{"retryAfter": retry}]
    # The lock is in PostgreSQL, so it survives a memcached restart; let it
    # run out and a good login resets the count.
    psql_value("UPDATE users SET locked_until = now() - interval '1 second' "
               "WHERE lower(email) = lower('%s')" % email)
    assert login(email, PASSWORD).status == 200
    assert psql_value("SELECT failed_logins FROM users WHERE lower(email) = "
                      "lower('%s')" % email) == "0"


def test_unknown_addresses_are_throttled_the_same_way():
    ghost = new_email("ghostlock")
    for i in range(LOCKOUT):
        assert login(ghost, "x%d-password" % i).status == 401
    r = login(ghost, "another password")
    assert r.status == 429 and r.error_code() == "TOO_MANY_ATTEMPTS"
    assert int(r.headers["retry-after"]) >= 1


def test_suspended_accounts_get_403_only_with_the_right_password():
    email, uid = register(new_email("susp"))
    psql_value("UPDATE users SET status = 'suspended' WHERE id = '%s'" % uid)
    assert login(email, "wrong password").error_code() == "INVALID_CREDENTIALS"
    r = login(email)
    assert r.status == 403 and r.error_code() == "ACCOUNT_SUSPENDED"


def test_refresh_rotates_and_a_spent_token_revokes_the_family():
    email, uid, d = session(new_email("rot"))
    rt1 = d["refreshToken"]
    r = request("POST", "/v1/auth/refresh", body={"refreshToken": rt1})
    assert r.status == 200
    rt2 = r.json["data"]["refreshToken"]
    assert rt2 != rt1 and r.json["data"]["accessToken"]
    # rt1 is spent: presenting it again is reuse.
    r = request("POST", "/v1/auth/refresh", body={"refreshToken": rt1})
    assert r.status == 401 and r.error_code() == "INVALID_TOKEN"
    # ...which revoked the whole family, rt2 included.
    r = request("POST", "/v1/auth/refresh", body={"refreshToken": rt2})
    assert r.status == 401 and r.error_code() == "INVALID_TOKEN"
    assert psql_value("SELECT count(*) FROM audit_log WHERE action = "
                      "'token.reuse_detected' AND actor_id = '%s'" % uid) == "1"
    assert psql_value("SELECT count(*) FROM refresh_tokens WHERE user_id = '%s' "
                      "AND revoked_at IS NULL" % uid) == "0"


def test_two_concurrent_refreshes_of_one_token_exactly_one_wins():
    for _ in range(3):
        _, _, d = session(new_email("race"))
        results = []
        barrier = threading.Barrier(2)

        def go():
            barrier.wait()
            results.append(request("POST", "/v1/auth/refresh",
                                   body={"refreshToken": d["refreshToken"]}).status)
        ts = [threading.Thread(target=go) for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert sorted(results) == [200, 401], results


def test_refresh_rejects_unknown_expired_and_malformed_tokens():
    _, uid, d = session(new_email("rexp"))
    assert request("POST", "/v1/auth/refresh",
                   body={"refreshToken": "A" * 43}).error_code() == "INVALID_TOKEN"
    psql_value("UPDATE refresh_tokens SET expires_at = now() - interval '1 s' "
               "WHERE user_id = '%s'" % uid)
    r = request("POST", "/v1/auth/refresh", body={"refreshToken": d["refreshToken"]})
    assert r.status == 401 and r.error_code() == "INVALID_TOKEN"
    r = request("POST", "/v1/auth/refresh", body={})
    assert r.status == 400 and r.error_code() == "VALIDATION_ERROR"


def test_logout_ends_that_session_and_logout_all_ends_every_one():
    email, _, a = session(new_email("out"))
    b = login(email).json["data"]
    r = request("POST", "/v1/auth/logout", body={"refreshToken": a["refreshToken"]})
    assert r.status == 204 and r.body == b""
    assert request("POST", "/v1/auth/refresh",
                   body={"refreshToken": a["refreshToken"]}).status == 401
    c = login(email).json["data"]
    r = request("POST", "/v1/auth/logout-all", headers=bearer(b["accessToken"]))
    assert r.status == 204
    for t in [b, c]:
        assert request("POST", "/v1/auth/refresh",
                       body={"refreshToken": t["refreshToken"]}).status == 401
    assert request("POST", "/v1/auth/logout-all").status == 401


def test_verification_token_is_single_use():
    email, _ = register(new_email("ver"))
    _, token = link_token(mails_to(email)[0], "/verify-email")
    r = request("POST", "/v1/auth/verify-email", body={"token": token})
    assert r.status == 200
    r = request("POST", "/v1/auth/verify-email", body={"token": token})
    assert r.status == 400 and r.error_code() == "INVALID_TOKEN"
    d = login(email).json["data"]
    assert d["user"]["emailVerified"] is True
    r = request("POST", "/v1/auth/verify-email", body={"token": "nonsense"})
    assert r.status == 400 and r.error_code() == "INVALID_TOKEN"


def test_resend_and_forgot_answer_202_for_any_address():
    for path in ["/v1/auth/resend-verification", "/v1/auth/forgot-password"]:
        ghost = new_email("ghost")
        r = request("POST", path, body={"email": ghost})
        assert r.status == 202, path
        no_mail_to(ghost)
        r = request("POST", path, body={"email": "nope"})
        assert r.status == 400 and r.error_code() == "VALIDATION_ERROR"
        r = request("POST", path, body={})
        assert r.status == 400 and r.error_code() == "VALIDATION_ERROR"
    email, _ = register(new_email("resend"))
    assert request("POST", "/v1/auth/resend-verification",
                   body={"email": email.upper()}).status == 202
    assert len(mails_to(email)) >= 1
    assert wait_for(lambda: len(mails_to(email, timeout=0)) >= 2, timeout=10)


def test_password_reset_is_single_use_and_ends_every_session():
    email, _, d = session(new_email("reset"))
    assert request("POST", "/v1/auth/forgot-password", body={"email": email}).status == 202
    assert wait_for(lambda: any("/reset-password?token=" in m
                                for m in mails_to(email, timeout=0)),
                    timeout=10)
    mail = [m for m in mails_to(email) if "/reset-password?token=" in m]
    _, token = link_token(mail[-1], "/reset-password")
    r = request("POST", "/v1/auth/reset-password", body={"token": token, "password": "short"})
    assert r.status == 400 and r.error_code() == "WEAK_PASSWORD"
    new = "A brand new passphrase 7"
    r = request("POST", "/v1/auth/reset-password", body={"token": token, "password": new})
    assert r.status == 200
    r = request("POST", "/v1/auth/reset-password", body={"token": token, "password": new + "x"})
    assert r.status == 400 and r.error_code() == "INVALID_TOKEN"
    assert request("POST", "/v1/auth/refresh",
                   body={"refreshToken": d["refreshToken"]}).status == 401
    assert login(email).status == 401
    r = login(email, new)
    assert r.status == 200
    assert r.json["data"]["user"]["emailVerified"] is True


def test_auth_routes_have_their_own_tighter_bucket():
    ip = fresh_ip()
    limit = int(os.environ.get("AUTH_RATE_MAX", "30"))
    statuses = [request("POST", "/v1/auth/forgot-password", body={"email": "x@y.example"},
                        ip=ip) for _ in range(limit + 1)]
    assert statuses[0].headers["ratelimit-limit"] == str(limit)
    assert statuses[-1].status == 429
    assert statuses[-1].error_code() == "RATE_LIMIT_EXCEEDED"
