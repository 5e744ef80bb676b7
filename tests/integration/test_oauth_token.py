"""POST /oauth2/token, client_credentials (RFC 6749 §4.4, API.md "Token"):
client authentication (Basic, post; wrong, unknown, public), RFC 6749
errors, scopes, the token's claims, nothing written per token."""
import base64
import json
import urllib.parse

import pytest

from conftest import (assert_unchanged, bearer, db_state, fresh_ip, metric_value,
                      metrics, onboard, psql_value, request)


def client(owner, **body):
    body.setdefault("name", "Machine")
    body.setdefault("grantTypes", ["client_credentials"])
    body.setdefault("scopes", ["reports:read", "reports:write", "openid"])
    r = owner.call("POST", "/v1/admin/clients", body)
    assert r.status == 201, r.body
    return r.json["data"]


def basic(cid, secret):
    raw = "%s:%s" % (urllib.parse.quote(cid, safe=""),
                     urllib.parse.quote(secret, safe=""))
    return {"Authorization": "Basic " + base64.b64encode(raw.encode()).decode()}


def token(form, headers=None, ip=None):
    return request("POST", "/oauth2/token", body=urllib.parse.urlencode(form),
                   ctype="application/x-www-form-urlencoded",
                   headers=headers, ip=ip)


def claims(jwt):
    p = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))


def test_client_credentials_with_basic_gives_a_client_token_and_writes_nothing():
    owner = onboard()
    c = client(owner)
    before = db_state()
    r = token({"grant_type": "client_credentials", "scope": "reports:read"},
              basic(c["clientId"], c["clientSecret"]))
    assert r.status == 200, r.body
    assert r.headers["cache-control"] == "no-store"
    d = r.json
    assert d["token_type"] == "Bearer" and d["scope"] == "reports:read"
    assert d["expires_in"] > 0 and "refresh_token" not in d
    cl = claims(d["access_token"])
    assert cl["sub"] == cl["aud"] == cl["client_id"] == c["clientId"]
    assert cl["scope"] == "reports:read" and cl["org"] == owner.org
    assert_unchanged(before, "a client_credentials token")
    # not a first-party token: /v1 refuses it
    assert request("GET", "/v1/me", headers=bearer(d["access_token"])).status == 401


def test_without_scope_the_client_gets_its_scopes_but_the_openid_ones():
    owner = onboard()
    c = client(owner)
    r = token({"grant_type": "client_credentials"},
              basic(c["clientId"], c["clientSecret"]))
    assert r.status == 200, r.body
    assert r.json["scope"] == "reports:read reports:write"


def test_client_secret_post_works_only_for_a_client_registered_for_it():
    owner = onboard()
    c = client(owner, tokenEndpointAuthMethod="client_secret_post")
    ok = token({"grant_type": "client_credentials", "client_id": c["clientId"],
                "client_secret": c["clientSecret"]})
    assert ok.status == 200, ok.body
    b = client(owner)
    r = token({"grant_type": "client_credentials", "client_id": b["clientId"],
               "client_secret": b["clientSecret"]})
    assert r.status == 401 and r.json["error"] == "invalid_client"


@pytest.mark.parametrize("how", ["wrong secret", "unknown client", "no credentials",
                                 "malformed basic", "bearer"])
def test_failed_client_authentication_is_401_invalid_client_and_audited(how):
    owner = onboard()
    c = client(owner)
    hdr = {"wrong secret": basic(c["clientId"], "x" * 43),
           "unknown client": basic("NoSuchClient0000000000", "x" * 43),
           "no credentials": {},
           "malformed basic": {"Authorization": "Basic !!!"},
           "bearer": {"Authorization": "Bearer abc.def.ghi"}}[how]
    n0 = metric_value(metrics(), "iam_client_auth_failures_total")
    r = token({"grant_type": "client_credentials"}, hdr)
    assert r.status == 401, r.body
    assert r.json["error"] == "invalid_client"
    assert r.headers["cache-control"] == "no-store"
    if how in ("wrong secret", "unknown client", "no credentials", "malformed basic"):
        assert r.headers["www-authenticate"].startswith("Basic")
    if how == "wrong secret":
        assert psql_value("SELECT count(*) FROM audit_log WHERE action ="
                          " 'client.auth_failed' AND target_id = '%s'"
                          % c["clientId"]) == "1"
        assert metric_value(metrics(), "iam_client_auth_failures_total") >= n0 + 1


def test_rfc_6749_errors_for_bad_requests():
    owner = onboard()
    c = client(owner)
    h = basic(c["clientId"], c["clientSecret"])
    r = request("POST", "/oauth2/token", body={"grant_type": "client_credentials"},
                headers=h)
    assert r.status == 400 and r.json["error"] == "invalid_request"
    r = request("POST", "/oauth2/token",
                body="grant_type=client_credentials&grant_type=client_credentials",
                ctype="application/x-www-form-urlencoded", headers=h)
    assert r.status == 400 and r.json["error"] == "invalid_request"
    r = token({"scope": "reports:read"}, h)
    assert r.status == 400 and r.json["error"] == "invalid_request"
    r = token({"grant_type": "password", "username": "a", "password": "b"}, h)
    assert r.status == 400 and r.json["error"] == "unsupported_grant_type"
    r = token({"grant_type": "client_credentials", "scope": "openid"}, h)
    assert r.status == 400 and r.json["error"] == "invalid_scope"
    r = token({"grant_type": "client_credentials", "scope": "admin:everything"}, h)
    assert r.status == 400 and r.json["error"] == "invalid_scope"
    # an unknown parameter is ignored (RFC 6749 §3.2)
    r = token({"grant_type": "client_credentials", "foo": "bar"}, h)
    assert r.status == 200, r.body
    # two authentication methods at once
    r = token({"grant_type": "client_credentials", "client_id": c["clientId"],
               "client_secret": c["clientSecret"]}, h)
    assert r.status == 400 and r.json["error"] == "invalid_request"


def test_a_public_client_or_one_without_the_grant_is_unauthorized_client():
    owner = onboard()
    pub = client(owner, tokenEndpointAuthMethod="none",
                 grantTypes=["authorization_code"],
                 redirectUris=["https://app.example.com/cb"])
    r = token({"grant_type": "client_credentials", "client_id": pub["clientId"]})
    assert r.status == 400 and r.json["error"] == "unauthorized_client"
    web = client(owner, grantTypes=["authorization_code"],
                 redirectUris=["https://app.example.com/cb"])
    r = token({"grant_type": "client_credentials"},
              basic(web["clientId"], web["clientSecret"]))
    assert r.status == 400 and r.json["error"] == "unauthorized_client"


def test_a_rotated_or_deleted_clients_old_secret_stops_at_once():
    owner = onboard()
    c = client(owner)
    h = basic(c["clientId"], c["clientSecret"])
    assert token({"grant_type": "client_credentials"}, h).status == 200
    rot = owner.call("POST", "/v1/admin/clients/%s/rotate-secret" % c["id"], {})
    assert token({"grant_type": "client_credentials"}, h).status == 401
    h2 = basic(c["clientId"], rot.json["data"]["clientSecret"])
    assert token({"grant_type": "client_credentials"}, h2).status == 200
    assert owner.call("DELETE", "/v1/admin/clients/" + c["id"]).status == 204
    assert token({"grant_type": "client_credentials"}, h2).status == 401


def test_a_suspended_organisations_clients_are_refused():
    from conftest import sysadmin
    owner = onboard()
    c = client(owner)
    h = basic(c["clientId"], c["clientSecret"])
    sa = sysadmin()
    r = sa.call("PATCH", "/v1/system/organisations/" + owner.org,
                {"status": "suspended"})
    assert r.status == 200, r.body
    assert token({"grant_type": "client_credentials"}, h).json["error"] == \
        "invalid_client"
