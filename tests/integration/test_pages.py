"""The hosted pages over HTTP: headers, forms, cookie sessions, expiry,
return_to, escaping, one-time tokens, and the cookie on /v1."""
import re
import urllib.parse

import pytest

from conftest import (mail_with, PASSWORD, Browser, Who, add_member, bearer, configured, fresh_ip,
                      link_token, login, mails_to, metric_value, metrics,
                      new_email, new_slug, onboard, psql_value, register,
                      request, set_cookie_attrs)

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

PAGES = ["/login", "/logout", "/forgot-password",
         "/reset-password?token=abc", "/verify-email?token=abc"]



def page_headers_ok(r):
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["content-security-policy"] == CSP
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert '<html lang="en">' in r.text


def test_every_page_answers_html_with_a_strict_csp_no_framing_and_no_caching():
    b = Browser()
    for p in PAGES:
        r = b.get(p)
        assert r.status == 200, (p, r.status)
        page_headers_ok(r)
    email, _ = register()
    b.sign_in(email)
    r = b.get("/account")
    assert r.status == 200
    page_headers_ok(r)


def test_forms_carry_labels_autocomplete_and_the_csrf_field():
    b = Browser()
    r = b.get("/login")
    assert 'autocomplete="username"' in r.text
    assert 'autocomplete="current-password"' in r.text
    for i in ("email", "password"):
        assert '<label for="%s">' % i in r.text and 'id="%s"' % i in r.text
    csrf = re.search(r'name="_csrf" value="([^"]+)"', r.text).group(1)
    assert b.jar["iam_csrf"] == csrf
    assert 'autocomplete="email"' in b.get("/forgot-password").text
    assert 'autocomplete="new-password"' in \
        b.get("/reset-password?token=abcdef").text


def test_the_stylesheet_is_served_with_a_long_cache_lifetime_at_a_versioned_url():
    r = Browser().get("/login")
    href = re.search(r'href="(/static/iam\.css\?v=[0-9a-f]{16})"', r.text).group(1)
    c = request("GET", href)
    assert c.status == 200
    assert c.headers["content-type"].startswith("text/css")
    assert "max-age=31536000" in c.headers["cache-control"]
    assert b"font" in c.body


def test_sign_in_sets_both_cookies_with_the_contract_attributes():
    email, _ = register()
    b = Browser()
    r = b.sign_in(email)
    assert r.headers["location"] == "/account"
    got = {set_cookie_attrs(h)[0]: set_cookie_attrs(h) for h in b.set_cookies}
    _, sid, a = got["iam_sid"]
    assert len(sid) == 43
    assert a["path"] == "/" and a["httponly"] is True
    assert a["samesite"] == "Lax"
    assert "secure" not in a and "domain" not in a   # http ISSUER_URL
    assert 0 < int(a["max-age"]) <= 12 * 3600
    _, csrf, c = got["iam_csrf"]
    assert c["samesite"] == "Strict" and "httponly" not in c
    assert c["path"] == "/"
    # only the hash is stored
    h = psql_value("SELECT encode(cookie_hash, 'hex') FROM sessions s JOIN"
                   " users u ON u.id = s.user_id WHERE u.email = '%s'" % email)
    import hashlib
    assert h == hashlib.sha256(sid.encode()).hexdigest()
    assert sid not in psql_value("SELECT string_agg(s::text, '') FROM sessions s")


def test_account_shows_who_is_signed_in_and_the_session_appears_in_v1_me_sessions():
    email, uid = register()
    b = Browser()
    b.sign_in(email)
    r = b.get("/account")
    assert r.status == 200
    assert 'id="account-email">%s<' % email in r.text
    # the same session, seen through the API with the cookie
    s = b.get("/v1/me/sessions")
    assert s.status == 200
    mine = [x for x in s.json["data"] if x["current"]]
    assert len(mine) == 1 and mine[0]["type"] == "browser"
    assert mine[0]["id"] in r.text


def test_a_planted_session_cookie_is_replaced_at_sign_in_and_never_authenticates():
    email, _ = register()
    b = Browser()
    planted = "A" * 43
    b.jar["iam_sid"] = planted
    assert b.get("/account").status == 302      # the planted one is nobody
    b.jar["iam_sid"] = planted
    b.sign_in(email)
    assert b.jar["iam_sid"] != planted
    assert b.get("/account").status == 200
    # an attacker who knows the planted value has nothing
    x = Browser()
    x.jar["iam_sid"] = planted
    assert x.get("/account").status == 302


def test_each_sign_in_issues_a_new_session_id():
    email, _ = register()
    b = Browser()
    b.sign_in(email)
    first = b.jar["iam_sid"]
    b.sign_in(email)
    assert b.jar["iam_sid"] != first
    # the session the browser held before ends with it
    x = Browser()
    x.jar["iam_sid"] = first
    assert x.get("/account").status == 302


def test_a_page_that_needs_a_session_sends_the_browser_to_login_with_return_to():
    r = Browser().get("/account")
    assert r.status == 302
    assert r.headers["location"] == "/login?return_to=/account"
    r = Browser().get("/account?tab=sessions")
    assert r.headers["location"] == "/login?return_to=/account%3Ftab%3Dsessions"


def test_wrong_password_on_the_page_says_nothing_about_the_address():
    email, _ = register()
    b = Browser()
    b.csrf()
    known = b.post("/login", {"email": email, "password": "wrong one, sorry"})
    unknown = b.post("/login", {"email": new_email(), "password": "wrong one, sorry"})
    assert known.status == unknown.status == 401
    strip = lambda t: re.sub(r'value="[^"]*"', "", t)
    assert strip(known.text) == strip(unknown.text)
    assert "not right" in known.text
    assert 'aria-describedby="form-error"' in known.text
    assert "iam_sid" not in b.jar


def test_lockout_on_the_page_is_429_with_retry_after_and_the_wait_in_words():
    email, _ = register()
    b = Browser()
    b.csrf()
    for _ in range(5):
        assert b.post("/login", {"email": email, "password": "not it at all"}).status == 401
    r = b.post("/login", {"email": email, "password": PASSWORD})
    assert r.status == 429
    assert int(r.headers["retry-after"]) > 0
    assert re.search(r"Try again in \d+ minutes?", r.text)
    assert "iam_sid" not in b.jar


def test_sign_out_needs_a_confirming_post_and_ends_the_session():
    email, _ = register()
    b = Browser()
    b.sign_in(email)
    sid = b.jar["iam_sid"]
    r = b.get("/logout")
    assert r.status == 200 and 'action="/logout"' in r.text
    assert b.get("/account").status == 200          # a GET ended nothing
    r = b.post("/logout", {})
    assert r.status == 200 and "signed out" in r.text
    assert "iam_sid" not in b.jar
    x = Browser()
    x.jar["iam_sid"] = sid
    assert x.get("/account").status == 302
    assert psql_value("SELECT count(*) FROM audit_log WHERE action ="
                      " 'session.end' AND actor_email = '%s'" % email) == "1"
    assert psql_value("SELECT count(*) FROM audit_log WHERE action ="
                      " 'session.create' AND actor_email = '%s'" % email) == "1"


def test_another_session_can_be_ended_from_account():
    email, _ = register()
    a, b = Browser(), Browser()
    a.sign_in(email)
    b.sign_in(email)
    other = [x["id"] for x in a.get("/v1/me/sessions").json["data"]
             if not x["current"]]
    assert len(other) == 1
    r = a.post("/account/sessions/%s/end" % other[0], {})
    assert r.status == 200 and "has ended" in r.text
    assert b.get("/account").status == 302
    assert a.get("/account").status == 200


def test_password_change_on_account_keeps_this_session_and_ends_the_others():
    email, _ = register()
    a, b = Browser(), Browser()
    a.sign_in(email)
    b.sign_in(email)
    api = login(email).json["data"]["accessToken"]
    r = a.post("/account/password", {"currentPassword": "not the one",
                                      "newPassword": "An0ther fine horse"})
    assert r.status == 401 and 'aria-invalid="true"' in r.text
    new = "An0ther fine horse staple"
    r = a.post("/account/password", {"currentPassword": PASSWORD,
                                      "newPassword": new})
    assert r.status == 200, r.text
    assert a.get("/account").status == 200
    assert b.get("/account").status == 302
    assert request("GET", "/v1/me", headers=bearer(api)).status == 401
    assert login(email, new).status == 200


def fresh_browser_session(email):
    """A signed-in browser whose session no worker has looked up yet (a
    worker trusts a lookup for SCACHE_TTL seconds), and its id."""
    b = Browser()
    b.sign_in(email)
    sid = psql_value("SELECT s.id FROM sessions s JOIN users u ON u.id ="
                     " s.user_id WHERE u.email = '%s' AND kind = 'browser'"
                     " AND s.revoked_at IS NULL ORDER BY s.created_at DESC"
                     " LIMIT 1" % email)
    return b, sid


def test_idle_and_absolute_expiry_end_a_browser_session():
    email, _ = register()
    # idle: unused longer than SESSION_IDLE_TIMEOUT (1h)
    b, sid = fresh_browser_session(email)
    psql_value("UPDATE sessions SET last_seen_at = now() - interval '61 minutes'"
               " WHERE id = '%s'" % sid)
    assert b.get("/account").status == 302
    # not yet idle: served, and the use moves last_seen (at most once a
    # minute)
    b, sid = fresh_browser_session(email)
    psql_value("UPDATE sessions SET last_seen_at = now() - interval '59 minutes'"
               " WHERE id = '%s'" % sid)
    assert b.get("/account").status == 200
    seen = psql_value("SELECT now() - last_seen_at < interval '5 seconds'"
                      " FROM sessions WHERE id = '%s'" % sid)
    assert seen == "t"
    # absolute: past its end, however recently used
    b, sid = fresh_browser_session(email)
    psql_value("UPDATE sessions SET expires_at = now() - interval '1 second'"
               " WHERE id = '%s'" % sid)
    assert b.get("/account").status == 302


def test_an_ended_browser_session_is_refused_at_once_by_every_worker():
    from conftest import accepted_everywhere, refused_everywhere
    email, _ = register()
    b = Browser()
    b.sign_in(email)
    hdr = {"Cookie": b.cookie_header()}
    accepted_everywhere("GET", "/v1/me", headers=hdr)     # cached everywhere
    other = Browser()
    other.sign_in(email)
    sid = [s["id"] for s in other.get("/v1/me/sessions").json["data"]
           if not s["current"]][0]
    r = other.send("DELETE", "/v1/me/sessions/" + sid,
                   headers={"X-CSRF-Token": other.jar["iam_csrf"]})
    assert r.status == 204
    refused_everywhere("GET", "/v1/me", headers=hdr)
    # a suspended member's session too
    owner = onboard()
    m = add_member(owner)
    mb = Browser()
    mb.sign_in(m.email)
    mh = {"Cookie": mb.cookie_header()}
    accepted_everywhere("GET", "/v1/me", headers=mh)
    assert owner.call("PATCH", "/v1/admin/users/%s" % m.id,
                      {"status": "suspended"}).status == 200
    refused_everywhere("GET", "/v1/me", headers=mh)


def test_the_organisations_idle_timeout_overrides_the_default():
    owner = onboard()
    r = owner.call("PATCH", "/v1/admin/organisation",
                   {"settings": {"sessionIdleTimeout": 120}})
    assert r.status == 200, r.body
    b = Browser()
    b.sign_in(owner.email)
    sid = psql_value("SELECT s.id FROM sessions s JOIN users u ON u.id ="
                     " s.user_id WHERE u.email = '%s' AND kind = 'browser'" % owner.email)
    psql_value("UPDATE sessions SET last_seen_at = now() - interval '3 minutes'"
               " WHERE id = '%s'" % sid)
    assert b.get("/account").status == 302


def test_open_redirects_through_return_to_are_ignored():
    email, _ = register()
    for bad in ["//evil.example", "/\\evil.example", "https:evil.example",
                "https://evil.example/", "http://evil.example/x",
                "javascript:alert(1)", "https://app.example.test/",
                "/x\\y", "http://127.0.0.1/"]:
        b = Browser()
        r = b.sign_in(email, return_to=bad)
        assert r.headers["location"] == "/account", bad
        b2 = Browser()
        r = b2.get("/login?return_to=" + urllib.parse.quote(bad, safe=""))
        assert r.status == 200 and 'name="return_to"' not in r.text, bad
    # a line break is not a one-line value: refused, and nothing is set
    b = Browser()
    b.csrf()
    r = b.post("/login", {"email": email, "password": PASSWORD,
                          "return_to": "/\r\nSet-Cookie: x=y"})
    assert r.status == 400 and "location" not in r.headers
    assert "iam_sid" not in b.jar and "x" not in b.jar
    b = Browser()
    r = b.sign_in(email, return_to="/account?tab=1")
    assert r.headers["location"] == "/account?tab=1"


def test_escaping_of_a_script_first_name():
    email, _ = register()
    b = Browser()
    b.sign_in(email)
    csrf = b.jar["iam_csrf"]
    r = b.send("PATCH", "/v1/me", body={"firstName": "<script>alert('x')</script>"},
               headers={"X-CSRF-Token": csrf})
    assert r.status == 200, r.body
    page = b.get("/account").text
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page


def test_escaping_of_an_invitations_organisation_name():
    slug = new_slug()
    name = '<img src=x onerror="alert(1)"> & Co'
    r = request("POST", "/v1/auth/onboard", body={
        "organisation": {"name": name, "slug": slug},
        "email": new_email("owner"), "password": PASSWORD,
        "firstName": "O", "lastName": "W"})
    assert r.status == 201, r.body
    owner = Who(r.json["data"]["user"]["email"], r.json["data"])
    invited = new_email("inv")
    r = owner.call("POST", "/v1/admin/invitations", {"email": invited, "role": "user"})
    assert r.status == 201, r.body
    _, token = link_token(mails_to(invited)[-1], "/invitations/accept")
    page = Browser().get("/invitations/accept?token=" + token)
    assert page.status == 200
    assert "<img" not in page.text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Co" in page.text


def test_an_invitation_is_accepted_from_its_page_and_a_get_spends_nothing():
    owner = onboard()
    invited = new_email("inv")
    assert owner.call("POST", "/v1/admin/invitations",
                      {"email": invited, "role": "user"}).status == 201
    _, token = link_token(mails_to(invited)[-1], "/invitations/accept")
    b = Browser()
    for _ in range(2):
        assert b.get("/invitations/accept?token=" + token).status == 200
    r = b.post("/invitations/accept", {"token": token, "password": PASSWORD,
                                       "firstName": "Ina", "lastName": "Vited"},
               page="/invitations/accept?token=" + token)
    assert r.status == 200, r.text
    assert login(invited).status == 200
    again = Browser().get("/invitations/accept?token=" + token)
    assert again.status == 400


def test_a_reset_link_survives_gets_and_sets_the_password_by_post():
    email, _ = register()
    b = Browser()
    r = b.post("/forgot-password", {"email": email}, page="/forgot-password")
    assert r.status == 200 and "on its way" in r.text
    unknown = b.post("/forgot-password", {"email": new_email()})
    assert unknown.status == 200 and unknown.text == r.text
    _, token = link_token(mail_with(email, "/reset-password"), "/reset-password")
    for _ in range(3):            # a mail scanner, then the person
        g = Browser().get("/reset-password?token=" + token)
        assert g.status == 200 and 'value="%s"' % token in g.text
    new = "Correct h0rse battery st4ple"
    r = b.post("/reset-password", {"token": token, "password": new})
    assert r.status == 200, r.text
    assert login(email, new).status == 200
    r = b.post("/reset-password", {"token": token, "password": "Y3t another one here"})
    assert r.status == 400


def test_a_verification_link_survives_gets_and_confirms_by_post():
    email, uid = register()
    _, token = link_token(mails_to(email)[-1], "/verify-email")
    for _ in range(2):
        assert Browser().get("/verify-email?token=" + token).status == 200
    assert psql_value("SELECT email_verified_at IS NOT NULL FROM users WHERE id = '%s'" % uid) == "f"
    b = Browser()
    r = b.post("/verify-email", {"token": token}, page="/verify-email?token=" + token)
    assert r.status == 200 and "confirmed" in r.text
    assert psql_value("SELECT email_verified_at IS NOT NULL FROM users WHERE id = '%s'" % uid) == "t"


def test_the_cookie_session_on_v1_me_reads_freely_and_writes_only_with_x_csrf_token():
    email, _ = register()
    b = Browser()
    b.sign_in(email)
    assert b.get("/v1/me").status == 200
    r = b.send("PATCH", "/v1/me", body={"firstName": "Changed"})
    assert r.status == 403 and r.error_code() == "CSRF_FAILED"
    r = b.send("PATCH", "/v1/me", body={"firstName": "Changed"},
               headers={"X-CSRF-Token": "x" * 43})
    assert r.status == 403
    assert b.get("/v1/me").json["data"]["profile"]["firstName"] != "Changed"
    r = b.send("PATCH", "/v1/me", body={"firstName": "Changed"},
               headers={"X-CSRF-Token": b.jar["iam_csrf"]})
    assert r.status == 200
    assert b.get("/v1/me").json["data"]["profile"]["firstName"] == "Changed"


def test_a_csrf_cookie_planted_by_a_sibling_host_does_not_pass_for_the_sessions():
    email, _ = register()
    b = Browser()
    b.sign_in(email)
    b.jar["iam_csrf"] = "P" * 43            # planted, and sent as the token
    r = b.send("PATCH", "/v1/me", body={"firstName": "Planted"},
               headers={"X-CSRF-Token": "P" * 43})
    assert r.status == 403


def test_a_bearer_header_decides_alone_even_beside_a_good_cookie():
    email, _ = register()
    b = Browser()
    b.sign_in(email)
    r = b.get("/v1/me", headers={"Authorization": "Bearer not.a.token"})
    assert r.status == 401


def test_the_cookie_is_never_accepted_by_system_routes():
    b = Browser()
    b.sign_in(register()[0])
    assert b.get("/v1/system/organisations").status == 401


def test_page_sign_ins_and_live_sessions_are_in_metrics():
    m0 = metrics()
    ok0 = metric_value(m0, 'iam_page_logins_total{result="ok"}') or 0
    bad0 = metric_value(m0, 'iam_page_logins_total{result="failed"}') or 0
    email, _ = register()
    b = Browser()
    b.sign_in(email)
    b.post("/login", {"email": email, "password": "no no no no"})
    m1 = metrics()
    assert metric_value(m1, 'iam_page_logins_total{result="ok"}') >= ok0 + 1
    assert metric_value(m1, 'iam_page_logins_total{result="failed"}') >= bad0 + 1
    assert metric_value(m1, "iam_browser_sessions_active") >= 1


def test_sessions_from_pages_end_with_the_api_calls_too():
    email, _ = register()
    a, b = Browser(), Browser()
    a.sign_in(email)
    b.sign_in(email)
    ids = [s["id"] for s in a.get("/v1/me/sessions").json["data"] if not s["current"]]
    r = a.send("DELETE", "/v1/me/sessions/" + ids[0],
               headers={"X-CSRF-Token": a.jar["iam_csrf"]})
    assert r.status == 204
    assert b.get("/account").status == 302
    b.sign_in(email)
    tok = login(email).json["data"]["accessToken"]
    assert request("POST", "/v1/auth/logout-all", headers=bearer(tok)).status == 204
    assert a.get("/account").status == 302 and b.get("/account").status == 302


@pytest.mark.destructive
def test_with_a_cookie_domain_return_to_may_name_hosts_under_it_and_cookies_carry_it():
    email, _ = register()
    with configured(SESSION_COOKIE_DOMAIN="example.test",
                    SESSION_COOKIE_SECURE="true"):
        b = Browser()
        r = b.get("/login?return_to=https://app.example.test/x")
        assert 'value="https://app.example.test/x"' in r.text
        # the redirect after the POST leaves this origin: form-action says so
        assert "form-action 'self' https://app.example.test;" in \
            r.headers["content-security-policy"]
        r = b.sign_in(email, return_to="https://app.example.test/x?y=1")
        assert r.headers["location"] == "https://app.example.test/x?y=1"
        for h in b.set_cookies:
            _, _, attrs = set_cookie_attrs(h)
            assert attrs["domain"] == "example.test" and attrs["secure"] is True
        for bad in ["https://evil-example.test/", "https://example.test.evil/",
                    "http://app.example.test/", "https://app.example.test@evil/",
                    "//app.example.test/"]:
            r = Browser().sign_in(email, return_to=bad)
            assert r.headers["location"] == "/account", bad
