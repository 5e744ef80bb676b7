"""/v1/admin/clients: OAuth clients of an organisation (API.md, "Clients"):
defaults, the redirect URI rules, the secret shown once and stored as a
hash, permissions, organisation boundaries, rotation, audit."""
import hashlib

import pytest

from conftest import (add_member, assert_unchanged, db_state, onboard,
                      psql_value)

KEYS = {"id", "clientId", "name", "redirectUris", "postLogoutRedirectUris",
        "grantTypes", "tokenEndpointAuthMethod", "scopes", "firstParty",
        "requirePkce", "idTokenSignedResponseAlg", "createdAt", "updatedAt"}


def create(owner, **body):
    body.setdefault("name", "App")
    body.setdefault("redirectUris", ["https://app.example.com/cb"])
    return owner.call("POST", "/v1/admin/clients", body)


def test_a_client_is_created_with_the_defaults_and_its_secret_shown_once():
    owner = onboard()
    r = create(owner)
    assert r.status == 201, r.body
    c = r.json["data"]
    assert set(c) == KEYS | {"clientSecret"}
    assert c["grantTypes"] == ["authorization_code", "refresh_token"]
    assert c["tokenEndpointAuthMethod"] == "client_secret_basic"
    assert c["scopes"] == ["openid", "profile", "email"]
    assert c["postLogoutRedirectUris"] == []
    assert c["firstParty"] is False and c["requirePkce"] is True
    assert c["idTokenSignedResponseAlg"] == "RS256"
    assert len(c["clientSecret"]) == 43
    # only the hash is held, and never shown again
    h = psql_value("SELECT encode(secret_hash, 'hex') FROM oauth_clients"
                   " WHERE id = '%s'" % c["id"])
    assert h == hashlib.sha256(c["clientSecret"].encode()).hexdigest()
    g = owner.call("GET", "/v1/admin/clients/" + c["id"])
    assert g.status == 200 and set(g.json["data"]) == KEYS
    lst = owner.call("GET", "/v1/admin/clients")
    assert lst.status == 200 and lst.json["meta"]["total"] == 1
    assert "clientSecret" not in lst.body.decode()
    assert psql_value("SELECT count(*) FROM audit_log WHERE action ="
                      " 'client.create' AND target_id = '%s'" % c["id"]) == "1"
    assert c["clientSecret"] not in psql_value(
        "SELECT string_agg(details::text, '') FROM audit_log")


@pytest.mark.parametrize("uri", [
    "http://app.example.com/cb", "https://app.example.com/cb#x",
    "https://user@app.example.com/cb", "/cb", "app.example.com/cb",
    "https://*.example.com/cb", "javascript:alert(1)", "myapp:/cb",
    "https://app.example.com:/cb", "http://127.0.0.2/cb",
])
def test_a_redirect_uri_that_breaks_the_rules_is_refused_naming_the_field(uri):
    owner = onboard()
    before = db_state()
    r = create(owner, redirectUris=["https://ok.example.com/cb", uri])
    assert r.status == 400, uri
    assert r.json["error"]["details"][0]["field"] == "redirectUris"
    assert_unchanged(before, uri)


@pytest.mark.parametrize("uri", [
    "https://app.example.com/cb?x=1", "http://127.0.0.1:51004/cb",
    "http://[::1]/cb", "http://localhost:3000/cb",
    "com.example.app:/oauth2redirect",
])
def test_loopback_and_private_use_redirect_uris_are_accepted(uri):
    owner = onboard()
    r = create(owner, redirectUris=[uri])
    assert r.status == 201, (uri, r.body)


@pytest.mark.parametrize("body,field", [
    ({"tokenEndpointAuthMethod": "none", "grantTypes": ["client_credentials"]},
     "grantTypes"),
    ({"tokenEndpointAuthMethod": "none", "requirePkce": False}, "requirePkce"),
    ({"tokenEndpointAuthMethod": "private_key_jwt"}, "tokenEndpointAuthMethod"),
    ({"grantTypes": ["implicit"]}, "grantTypes"),
    ({"grantTypes": []}, "grantTypes"),
    ({"scopes": ["has space"]}, "scopes"),
    ({"idTokenSignedResponseAlg": "HS256"}, "idTokenSignedResponseAlg"),
    ({"redirectUris": []}, "redirectUris"),
    ({"name": ""}, "name"),
    ({"unknown": 1}, "unknown"),
    ({"firstParty": "yes"}, "firstParty"),
])
def test_client_rules_refuse_with_validation_error_naming_the_field(body, field):
    owner = onboard()
    before = db_state()
    r = create(owner, **body)
    assert r.status == 400, (body, r.body)
    assert r.error_code() == "VALIDATION_ERROR"
    assert r.json["error"]["details"][0]["field"] == field, r.body
    assert_unchanged(before)


def test_a_public_client_has_no_secret_and_client_credentials_needs_none():
    owner = onboard()
    r = create(owner, tokenEndpointAuthMethod="none")
    assert r.status == 201, r.body
    assert "clientSecret" not in r.json["data"]
    assert r.json["data"]["requirePkce"] is True
    cc = create(owner, redirectUris=[], grantTypes=["client_credentials"])
    assert cc.status == 201, cc.body
    rot = owner.call("POST", "/v1/admin/clients/%s/rotate-secret"
                     % r.json["data"]["id"], {})
    assert rot.status == 409


def test_update_checks_the_whole_client_and_rotation_ends_the_old_secret():
    owner = onboard()
    c = create(owner).json["data"]
    u = owner.call("PATCH", "/v1/admin/clients/" + c["id"],
                   {"name": "Renamed", "firstParty": True,
                    "tokenEndpointAuthMethod": "client_secret_post"})
    assert u.status == 200, u.body
    assert u.json["data"]["name"] == "Renamed"
    assert u.json["data"]["firstParty"] is True
    assert u.json["data"]["clientId"] == c["clientId"]
    assert "clientSecret" not in u.json["data"]
    # the merged client must still hold: authorization_code needs a URI
    bad = owner.call("PATCH", "/v1/admin/clients/" + c["id"],
                     {"redirectUris": []})
    assert bad.status == 400
    old = psql_value("SELECT encode(secret_hash, 'hex') FROM oauth_clients"
                     " WHERE id = '%s'" % c["id"])
    rot = owner.call("POST", "/v1/admin/clients/%s/rotate-secret" % c["id"], {})
    assert rot.status == 200, rot.body
    assert set(rot.json["data"]) == {"clientId", "clientSecret"}
    new = psql_value("SELECT encode(secret_hash, 'hex') FROM oauth_clients"
                     " WHERE id = '%s'" % c["id"])
    assert new != old
    assert new == hashlib.sha256(rot.json["data"]["clientSecret"].encode()).hexdigest()
    assert owner.call("DELETE", "/v1/admin/clients/" + c["id"]).status == 204
    assert owner.call("GET", "/v1/admin/clients/" + c["id"]).status == 404
    for a in ("client.update", "client.rotate_secret", "client.delete"):
        assert psql_value("SELECT count(*) FROM audit_log WHERE action = '%s'"
                          " AND target_id = '%s'" % (a, c["id"])) == "1", a


def test_clients_need_their_permissions_and_stay_in_their_organisation():
    owner = onboard()
    c = create(owner).json["data"]
    member = add_member(owner, roles=("user",))
    assert member.call("GET", "/v1/admin/clients").status == 403
    assert create(member).status == 403
    admin = add_member(owner, roles=("admin",))
    assert admin.call("GET", "/v1/admin/clients/" + c["id"]).status == 200
    other = onboard()
    assert other.call("GET", "/v1/admin/clients/" + c["id"]).status == 404
    assert other.call("DELETE", "/v1/admin/clients/" + c["id"]).status == 404
    assert other.call("GET", "/v1/admin/clients").json["meta"]["total"] == 0
    assert owner.call("GET", "/v1/admin/clients/not-a-uuid").status == 404


def test_iamctl_creates_lists_and_rotates_a_client_with_the_same_rules():
    import json as _json
    from conftest import iamctl
    owner = onboard()
    r = iamctl("client", "create", "--org", owner.org, "--name", "From CLI",
               "--redirect-uri", "https://cli.example.com/cb",
               "--redirect-uri", "http://127.0.0.1/cb", "--scope", "openid")
    assert r.returncode == 0, r.stderr
    c = _json.loads(r.stdout)
    assert c["redirectUris"] == ["https://cli.example.com/cb", "http://127.0.0.1/cb"]
    assert c["scopes"] == ["openid"] and len(c["clientSecret"]) == 43
    bad = iamctl("client", "create", "--org", owner.org, "--name", "Bad",
                 "--redirect-uri", "http://evil.example/cb")
    assert bad.returncode != 0 and "redirectUris" in bad.stderr
    lst = iamctl("client", "list", "--org", owner.org)
    assert lst.returncode == 0
    assert [x["id"] for x in _json.loads(lst.stdout)] == [c["id"]]
    assert "clientSecret" not in lst.stdout
    rot = iamctl("client", "rotate-secret", "--org", owner.org, "--id", c["id"])
    assert rot.returncode == 0, rot.stderr
    new = _json.loads(rot.stdout)["clientSecret"]
    assert new != c["clientSecret"]
    h = psql_value("SELECT encode(secret_hash, 'hex') FROM oauth_clients"
                   " WHERE id = '%s'" % c["id"])
    assert h == hashlib.sha256(new.encode()).hexdigest()
    # the API sees the client the CLI made
    assert owner.call("GET", "/v1/admin/clients/" + c["id"]).status == 200
    assert iamctl("client", "list", "--org", "nope").returncode == 2
