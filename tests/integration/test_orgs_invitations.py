"""Organisations (settings, onboarding, the system administrators' list),
invitations, CORS and the OpenAPI document."""
import json
import os
import re
import subprocess

import pytest

from conftest import (ROOT, PASSWORD, STACK, _as_user, assert_unchanged,
                      db_state, default_org_settings, token_alive,
                      token_dead,
                      add_member, all_mail_to, link_token, login, mails_to,
                      new_email,
                      new_slug, onboard, request, sysadmin)


@pytest.fixture(scope="module")
def org():
    return onboard()


# --- onboarding ----------------------------------------------------------------

def test_onboarding_creates_an_organisation_and_its_owner():
    o = onboard()
    assert o.user["roles"] == ["owner"]
    assert o.data["tokenType"] == "Bearer" and o.data["expiresIn"] > 0
    org = o.data["organisation"]
    assert org["slug"].startswith("org-") and org["status"] == "active"
    assert org["settings"]["registrationMode"] == "invite"
    me = o.call("GET", "/v1/me").json["data"]
    assert me["organisation"]["id"] == org["id"]
    assert "roles:write" in me["permissions"]
    # The slug is taken now.
    r = request("POST", "/v1/auth/onboard", body={
        "organisation": {"name": "Again", "slug": org["slug"]},
        "email": new_email(), "password": PASSWORD, "firstName": "A",
        "lastName": "B"})
    assert r.status == 409 and r.error_code() == "CONFLICT"


def test_onboarding_checks_its_body():
    base = {"organisation": {"name": "N", "slug": new_slug()},
            "email": new_email(), "password": PASSWORD, "firstName": "A",
            "lastName": "B"}
    for change, field in (({"organisation": {"name": "N"}},
                           "organisation.slug"),
                          ({"organisation": {"name": "N", "slug": "Bad!"}},
                           "organisation.slug"),
                          ({"organisation": {"name": "N", "slug": "ok",
                                             "x": 1}}, "organisation.x"),
                          ({"email": "nope"}, "email"),
                          ({"lastName": None}, "lastName")):
        body = dict(base)
        body.update(change)
        if body.get("lastName") is None:
            del body["lastName"]
        r = request("POST", "/v1/auth/onboard", body=body)
        assert r.status == 400, (change, r.body)
        assert r.json["error"]["details"][0]["field"] == field
    body = dict(base)
    body["password"] = "short"
    r = request("POST", "/v1/auth/onboard", body=body)
    assert r.status == 400 and r.error_code() == "WEAK_PASSWORD"


def test_onboarding_off_is_404():
    conf = os.path.join(STACK, "iam.conf")
    env = dict(os.environ, REQUEST_METHOD="POST",
               DOCUMENT_URI="/v1/auth/onboard", REMOTE_ADDR="127.0.0.1",
               IAM_CONF=conf, ONBOARDING_ENABLED="false",
               CONTENT_TYPE="application/json", CONTENT_LENGTH="2")
    r = subprocess.run(_as_user([os.path.join(STACK, "bin", "iam-fcgi")]),
                       env=env, input="{}", capture_output=True, text=True)
    assert r.stdout.startswith("Status: 404"), r.stdout
    assert "NOT_FOUND" in r.stdout


# --- settings ----------------------------------------------------------------

def test_settings_have_defaults_and_are_checked(org):
    s = org.call("GET", "/v1/admin/organisation").json["data"]["settings"]
    assert s["passwordPolicy"]["minLength"] == 8
    assert s["requireMfa"] is False and s["allowedOrigins"] == []
    for bad, field in (({"colour": "red"}, "settings.colour"),
                       ({"registrationMode": "sometimes"},
                        "settings.registrationMode"),
                       ({"passwordPolicy": {"minLength": 200}},
                        "settings.passwordPolicy.minLength"),
                       ({"passwordPolicy": {"minLength": 4}},
                        "settings.passwordPolicy.minLength"),
                       ({"passwordPolicy": {"emoji": True}},
                        "settings.passwordPolicy.emoji"),
                       ({"sessionLifetime": 5}, "settings.sessionLifetime"),
                       ({"allowedOrigins": ["javascript:alert(1)"]},
                        "settings.allowedOrigins"),
                       ({"requireMfa": "yes"}, "settings.requireMfa")):
        r = org.call("PATCH", "/v1/admin/organisation", {"settings": bad})
        assert r.status == 400, bad
        assert r.json["error"]["details"][0]["field"] == field
    r = org.call("PATCH", "/v1/admin/organisation", {"settings": {
        "requireMfa": True, "allowedOrigins": ["https://app.example.test"],
        "sessionIdleTimeout": 600}})
    assert r.status == 200
    s = r.json["data"]["settings"]
    assert s["requireMfa"] is True and s["sessionIdleTimeout"] == 600
    assert s["allowedOrigins"] == ["https://app.example.test"]


def test_the_password_policy_binds_every_password_set(org):
    # The module's organisation gets its settings back, whatever fails.
    with default_org_settings(org.org):
        r = org.call("PATCH", "/v1/admin/organisation", {"settings": {
            "passwordPolicy": {"minLength": 12, "requireDigit": True,
                               "requireUpper": True}}})
        assert r.status == 200
        pol = r.json["data"]["settings"]["passwordPolicy"]
        assert pol["minLength"] == 12 and pol["requireLower"] is False
        # Merged, not replaced.
        r = org.call("PATCH", "/v1/admin/organisation", {"settings": {
            "passwordPolicy": {"requireSymbol": True}}})
        pol = r.json["data"]["settings"]["passwordPolicy"]
        assert pol["minLength"] == 12 and pol["requireSymbol"] is True
        for pw in ("short1A!", "no digits here A!", "no upper 1234 !",
                   "NoSymbolHere1234"):
            r = org.call("POST", "/v1/admin/users", {"email": new_email(),
                                                     "password": pw})
            assert r.status == 400 and r.error_code() == "WEAK_PASSWORD", pw
        good = "Good one 1234!"
        m = add_member(org, ["user"], password=good)
        r = m.call("POST", "/v1/me/password", {"currentPassword": good,
                                               "newPassword": "weak but long"})
        assert r.status == 400 and r.error_code() == "WEAK_PASSWORD"
        r = m.call("POST", "/v1/me/password", {"currentPassword": good,
                                               "newPassword": "Better one 5678?"})
        assert r.status == 200
        # Invitation acceptance too.
        r = org.call("POST", "/v1/admin/invitations", {"email": new_email(),
                                                       "role": "user"})
        inv = r.json["data"]
        _, token = link_token(all_mail_to(inv["email"])[-1], "/invitations/accept")
        r = request("POST", "/v1/public/invitations/%s/accept" % token,
                    body={"password": "all lower case words"})
        assert r.status == 400 and r.error_code() == "WEAK_PASSWORD"


def test_registration_mode_of_the_default_organisation():
    admin = sysadmin()
    with default_org_settings():
        r = admin.call("PATCH", "/v1/admin/organisation",
                       {"settings": {"registrationMode": "closed"}})
        assert r.status == 200
        r = request("POST", "/v1/auth/register",
                    body={"email": new_email(), "password": PASSWORD})
        assert r.status == 403 and r.error_code() == "REGISTRATION_CLOSED"
        r = admin.call("PATCH", "/v1/admin/organisation",
                       {"settings": {"registrationMode": "open"}})
        assert r.status == 200
        r = request("POST", "/v1/auth/register",
                    body={"email": new_email(), "password": PASSWORD})
        assert r.status == 201


# --- invitations -------------------------------------------------------------

def test_an_invitation_from_mail_to_member(org):
    email = new_email("invitee")
    r = org.call("POST", "/v1/admin/invitations",
                 {"email": email, "role": "moderator"})
    assert r.status == 201
    inv = r.json["data"]
    assert set(inv) == {"id", "email", "role", "status", "expiresAt",
                        "createdAt"}
    assert inv["status"] == "pending" and inv["role"] == "moderator"
    mail = all_mail_to(email)[-1]
    base, token = link_token(mail, "/invitations/accept")
    assert token not in json.dumps(inv)
    r = request("GET", "/v1/public/invitations/" + token)
    assert r.status == 200
    pub = r.json["data"]
    assert pub["email"] == email and pub["role"] == "moderator"
    assert pub["organisation"]["slug"] == org.data["organisation"]["slug"]
    # Only a hash is stored.
    from conftest import psql_value
    assert psql_value("SELECT count(*) FROM invitations WHERE "
                      "token_hash::text LIKE '%%%s%%'" % token.encode().hex()
                      ) == "0"
    # Already a member?  No: an invitation to an existing address is 409.
    r = org.call("POST", "/v1/admin/invitations",
                 {"email": org.email, "role": "user"})
    assert r.status == 409 and r.error_code() == "EMAIL_EXISTS"
    r = org.call("POST", "/v1/admin/invitations",
                 {"email": email.upper(), "role": "user"})
    assert r.status == 409 and r.error_code() == "CONFLICT"
    r = request("POST", "/v1/public/invitations/%s/accept" % token,
                body={"password": PASSWORD, "firstName": "In",
                      "lastName": "Vitee"})
    assert r.status == 201, r.body
    u = r.json["data"]["user"]
    assert u["emailVerified"] is True and u["roles"] == ["moderator"]
    assert u["organisation"]["id"] == org.org
    assert u["profile"]["firstName"] == "In"
    assert login(email).status == 200
    # Single use.
    r = request("POST", "/v1/public/invitations/%s/accept" % token,
                body={"password": PASSWORD})
    assert r.status == 400 and r.error_code() == "INVALID_TOKEN"
    assert request("GET", "/v1/public/invitations/" + token).status == 404
    lst = org.call("GET", "/v1/admin/invitations").json["data"]
    assert [i["status"] for i in lst if i["id"] == inv["id"]] == ["accepted"]
    assert org.call("DELETE", "/v1/admin/invitations/" + inv["id"]
                    ).status == 404


def test_resend_replaces_the_link_and_revoke_ends_it(org):
    email = new_email("resent")
    inv = org.call("POST", "/v1/admin/invitations",
                   {"email": email, "role": "user"}).json["data"]
    _, first = link_token(all_mail_to(email)[-1], "/invitations/accept")
    assert org.call("POST", "/v1/admin/invitations/%s/resend" % inv["id"]
                    ).status == 204
    second = None

    def new_link():
        nonlocal second
        mails = mails_to(email)
        if len(mails) >= 2:
            second = link_token(mails[-1], "/invitations/accept")[1]
        return second and second != first
    from conftest import wait_for
    assert wait_for(new_link)
    assert request("GET", "/v1/public/invitations/" + first).status == 404
    assert request("GET", "/v1/public/invitations/" + second).status == 200
    assert org.call("DELETE", "/v1/admin/invitations/" + inv["id"]
                    ).status == 204
    assert request("GET", "/v1/public/invitations/" + second).status == 404
    r = request("POST", "/v1/public/invitations/%s/accept" % second,
                body={"password": PASSWORD})
    assert r.status == 400 and r.error_code() == "INVALID_TOKEN"
    for bad in ("short", "x" * 300, "has%20space"):
        assert request("GET", "/v1/public/invitations/" + bad).status == 404


def test_an_expired_invitation_is_gone(org):
    from conftest import psql_value
    email = new_email("late")
    inv = org.call("POST", "/v1/admin/invitations",
                   {"email": email, "role": "user"}).json["data"]
    _, token = link_token(all_mail_to(email)[-1], "/invitations/accept")
    psql_value("UPDATE invitations SET expires_at = now() - interval '1s' "
               "WHERE id = '%s'" % inv["id"])
    assert request("GET", "/v1/public/invitations/" + token).status == 404
    r = request("POST", "/v1/public/invitations/%s/accept" % token,
                body={"password": PASSWORD})
    assert r.status == 400 and r.error_code() == "INVALID_TOKEN"


def test_the_invitation_token_never_reaches_the_access_log(org):
    from conftest import log_cursor, log_text, wait_log
    email = new_email("quiet")
    org.call("POST", "/v1/admin/invitations", {"email": email, "role": "user"})
    _, token = link_token(all_mail_to(email)[-1], "/invitations/accept")
    cursor = log_cursor()
    rid = "quiet-%d" % os.getpid()
    r = request("GET", "/v1/public/invitations/" + token,
                headers={"X-Request-Id": rid + "-1"})
    assert r.status == 200
    request("POST", "/v1/public/invitations/%s/accept" % token,
            body={"password": "x"}, headers={"X-Request-Id": rid + "-2"})
    # Both access lines are written, and neither (nor anything else in
    # the whole log) carries the token.
    text = wait_log(cursor, '"requestId":"%s-2"' % rid)
    assert '"requestId":"%s-1"' % rid in text
    assert token not in text and token not in log_text()


# --- organisations, for system administrators ----------------------------------

def test_system_routes_are_for_system_administrators_only(org):
    for method, path in (("GET", "/v1/system/organisations"),
                         ("POST", "/v1/system/organisations"),
                         ("PATCH", "/v1/system/organisations/%s" % org.org),
                         ("DELETE", "/v1/system/organisations/%s" % org.org),
                         ("POST", "/v1/system/revoke-all-tokens"),
                         ("POST", "/v1/system/force-password-reset"),
                         ("POST", "/v1/system/rotate-signing-key"),
                         ("POST", "/v1/system/rotate-encryption-key")):
        before = db_state()
        jwks = request("GET", "/oauth2/jwks").json["keys"]
        r = org.call(method, path)
        assert r.status == 403, (path, r.body)
        r = request(method, path)
        assert r.status == 401
        # No token revoked, no reset forced, no key rotated, no
        # organisation touched.
        assert_unchanged(before, "%s %s refused to an owner" % (method, path))
        assert request("GET", "/oauth2/jwks").json["keys"] == jwks
        token_alive(org.token)


def test_system_administrators_manage_organisations():
    admin = sysadmin()
    slug = new_slug("sys")
    r = admin.call("POST", "/v1/system/organisations",
                   {"name": "Made by sys", "slug": slug,
                    "settings": {"registrationMode": "closed"}})
    assert r.status == 201, r.body
    made = r.json["data"]
    assert made["slug"] == slug and made["settings"]["registrationMode"] == \
        "closed"
    r = admin.call("POST", "/v1/system/organisations",
                   {"name": "Dup", "slug": slug})
    assert r.status == 409
    r = admin.call("GET", "/v1/system/organisations?limit=100&page=1")
    assert r.status == 200 and r.json["meta"]["total"] >= 2
    r = admin.call("GET", "/v1/system/organisations?limit=0")
    assert r.status == 400
    # Suspension ends every token of the members, at once.
    o = onboard()
    m = add_member(o, ["user"])
    r = admin.call("PATCH", "/v1/system/organisations/%s" % o.org,
                   {"status": "suspended"})
    assert r.status == 200 and r.json["data"]["status"] == "suspended"
    for who in (o, m):
        token_dead(who.token)
        assert request("POST", "/v1/auth/refresh",
                       body={"refreshToken": who.refresh}).status == 401
        r = login(who.email)
        assert r.status == 403 and r.error_code() == "ACCOUNT_SUSPENDED"
    admin.call("PATCH", "/v1/system/organisations/%s" % o.org,
               {"status": "active"})
    assert login(m.email).status == 200
    # Soft delete.
    assert admin.call("DELETE", "/v1/system/organisations/%s" % o.org
                      ).status == 204
    assert login(m.email).status == 403
    assert admin.call("DELETE", "/v1/system/organisations/%s" % o.org
                      ).status == 404
    # The default organisation stays.
    default = admin.org
    assert admin.call("DELETE", "/v1/system/organisations/%s" % default
                      ).status == 409
    r = admin.call("PATCH", "/v1/system/organisations/%s" % default,
                   {"status": "suspended"})
    assert r.status == 409


def test_iamctl_org_and_user_commands():
    from conftest import iamctl
    slug = new_slug("cli")
    r = iamctl("org", "create", "--name", "From CLI", "--slug", slug)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["slug"] == slug
    r = iamctl("org", "create", "--name", "Again", "--slug", slug)
    assert r.returncode == 5
    r = iamctl("org", "list")
    assert r.returncode == 0 and slug in r.stdout
    assert iamctl("org", "create", "--name", "x").returncode == 2
    assert iamctl("org", "--help").returncode == 0
    o = onboard()
    m = add_member(o, ["user"])
    r = iamctl("user", "show", m.email)
    assert r.returncode == 0 and json.loads(r.stdout)["id"] == m.id
    r = iamctl("user", "list", "--org", o.org, "--search", m.email)
    assert r.returncode == 0
    assert [u["id"] for u in json.loads(r.stdout)] == [m.id]
    r = iamctl("user", "suspend", m.id)
    assert r.returncode == 0
    assert json.loads(r.stdout)["status"] == "suspended"
    token_dead(m.token)
    assert iamctl("user", "show", new_email()).returncode == 4
    assert iamctl("user", "fly").returncode == 2
    r = iamctl("create-admin", "--email", "not-an-address", stdin="x\n")
    assert r.returncode == 2
    r = iamctl("create-admin", "--email", m.email, stdin=PASSWORD + "\n")
    assert r.returncode == 5
    r = iamctl("create-admin", "--email", new_email(), stdin="weak\n")
    assert r.returncode == 2 and "short" in r.stderr.lower()
    for cmd in ("create-admin", "user", "audit", "revoke-tokens"):
        assert iamctl(cmd, "--help").returncode == 0


# --- CORS ----------------------------------------------------------------------

def test_cors_for_the_admin_console_only():
    ok = "https://console.example.test"
    r = request("OPTIONS", "/v1/admin/users", headers={
        "Origin": ok, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert r.status == 204
    assert r.headers["access-control-allow-origin"] == ok
    assert r.headers["access-control-allow-credentials"] == "true"
    assert "GET" in r.headers["access-control-allow-methods"]
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "Authorization" in r.headers["access-control-allow-headers"]
    r = request("GET", "/v1/admin/users", headers={"Origin": ok})
    assert r.status == 401
    assert r.headers["access-control-allow-origin"] == ok
    assert "X-Request-Id" in r.headers["access-control-expose-headers"]
    for bad in ("https://evil.example.test", "null",
                "https://console.example.test.evil.test", "*"):
        r = request("OPTIONS", "/v1/admin/users", headers={
            "Origin": bad, "Access-Control-Request-Method": "GET"})
        assert r.status == 403
        assert "access-control-allow-origin" not in r.headers
        r = request("GET", "/v1/me", headers={"Origin": bad})
        assert "access-control-allow-origin" not in r.headers
    r = request("GET", "/health", headers={"Origin": ok})
    assert "access-control-allow-origin" not in r.headers
    r = request("OPTIONS", "/v1/nothing-here", headers={
        "Origin": ok, "Access-Control-Request-Method": "GET"})
    assert r.status == 404


# --- OpenAPI -------------------------------------------------------------------

def test_openapi_describes_exactly_the_route_table():
    r = request("GET", "/openapi.json")
    assert r.status == 200
    doc = r.json
    assert doc["openapi"].startswith("3.1")
    served = set()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            served.add((method.upper(), path, op.get("x-permission")))
            assert op["summary"] and op["responses"]
    src = open(os.path.join(ROOT, "src", "server", "routes.c")).read()
    table = set()
    for m, p, flags, perm in re.findall(
            r'\{ M_(\w+), "([^"]+)",\s*\w+,\s*([\w |]+),\s*(NULL|"[^"]+")', src):
        # the hosted HTML pages and their stylesheet are not the API
        if "R_PAGE" in flags or p.startswith("/static/"):
            continue
        table.add((m, re.sub(r":(\w+)", r"{\1}", p),
                   None if perm == "NULL" else perm.strip('"')))
    assert len(table) > 50
    assert served == table
    users = doc["paths"]["/v1/admin/users/{id}"]["patch"]
    assert users["x-permission"] == "users:update"
    assert users["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]
    assert doc["paths"]["/v1/system/organisations"]["get"]["security"] == \
        [{"bearerAuth": []}]
    assert doc["components"]["securitySchemes"]["cookieAuth"]["name"] == "iam_sid"
    assert users["parameters"][0]["name"] == "id"
    assert "security" not in doc["paths"]["/health"]["get"]
    assert doc["paths"]["/v1/system/rotate-signing-key"]["post"][
        "x-system-administrator"] is True


def test_openapi_request_schemas_say_what_the_server_enforces():
    """The request schemas come from the field catalogue the handlers
    check with: every public /v1/auth body refuses a property its schema
    does not list, and lists' query parameters carry their bounds."""
    doc = request("GET", "/openapi.json").json
    schemas = doc["components"]["schemas"]
    login = doc["paths"]["/v1/auth/login"]["post"]["requestBody"]
    assert login["required"] is True
    ref = login["content"]["application/json"]["schema"]["$ref"]
    shape = schemas[ref.rsplit("/", 1)[1]]
    assert set(shape["required"]) == {"email", "password"}
    assert shape["additionalProperties"] is False
    assert shape["properties"]["email"]["format"] == "email"
    checked = 0
    for path, item in doc["paths"].items():
        op = item.get("post")
        if not path.startswith("/v1/auth/") or op is None or \
                "requestBody" not in op or "security" in op:
            continue
        ref = op["requestBody"]["content"]["application/json"]["schema"]
        shape = schemas[ref["$ref"].rsplit("/", 1)[1]]
        assert shape["additionalProperties"] is False, path
        assert "notAField" not in shape["properties"]
        r = request("POST", path, body={"notAField": 1})
        if path == "/v1/auth/onboard" and r.status == 404:
            continue            # ONBOARDING_ENABLED off: no such route
        assert r.status == 400, (path, r.status, r.body)
        assert r.error_code() == "VALIDATION_ERROR", (path, r.body)
        checked += 1
    assert checked >= 7
    params = {p["name"]: p for p in
              doc["paths"]["/v1/admin/users"]["get"]["parameters"]}
    assert set(params) == {"page", "limit", "search", "role", "status",
                           "sort"}
    assert params["limit"]["schema"]["maximum"] == 100
    assert params["page"]["schema"]["minimum"] == 1


def test_session_lifetime_and_idle_timeout_bind_sessions():
    from conftest import psql_value
    o = onboard()
    r = o.call("PATCH", "/v1/admin/organisation", {"settings": {
        "sessionLifetime": 3600, "sessionIdleTimeout": 600}})
    assert r.status == 200
    m = add_member(o, ["user"])
    life = int(psql_value(
        "SELECT extract(epoch FROM expires_at - created_at)::int FROM "
        "sessions WHERE user_id = '%s' ORDER BY created_at DESC LIMIT 1"
        % m.id))
    assert 3590 <= life <= 3600
    r = request("POST", "/v1/auth/refresh", body={"refreshToken": m.refresh})
    assert r.status == 200
    nxt = r.json["data"]["refreshToken"]
    psql_value("UPDATE sessions SET last_seen_at = now() - interval '700s' "
               "WHERE user_id = '%s'" % m.id)
    r = request("POST", "/v1/auth/refresh", body={"refreshToken": nxt})
    assert r.status == 401 and r.error_code() == "INVALID_TOKEN"
