"""Every administration route, called by members holding each seeded role
(403 without the route's permission, 2xx with it), and by the owner of
another organisation with a real id (404, never a leak)."""
import pytest

from conftest import (add_member, assert_unchanged, db_state, new_email,
                      new_slug, onboard, request)

# The seeded roles (API.md, "Seeded roles").
SEEDED = {
    "owner": ["*"],
    "admin": ["users:*", "roles:*", "invitations:*", "clients:*",
              "audit:read", "organisation:read", "organisation:update"],
    "moderator": ["users:read", "users:update", "audit:read"],
    "user": [],
}


def holds(perms, need):
    for p in perms:
        if p == "*" or p == need:
            return True
        if p.endswith(":*") and need.startswith(p[:-1]):
            return True
    return False


@pytest.fixture(scope="module")
def orgs():
    a = onboard()
    b = onboard()
    members = {role: add_member(a, [role]) for role in ("admin", "moderator",
                                                        "user")}
    members["owner"] = a
    return {"a": a, "b": b, "members": members}


def fresh_user(owner):
    r = owner.call("POST", "/v1/admin/users", {
        "email": new_email("target"), "firstName": "Tar", "lastName": "Get"})
    assert r.status == 201, r.body
    return r.json["data"]["id"]


def fresh_role(owner):
    r = owner.call("POST", "/v1/admin/roles", {
        "slug": new_slug("role"), "name": "Auditor",
        "permissions": ["audit:read"]})
    assert r.status == 201, r.body
    return r.json["data"]["id"]


def fresh_invitation(owner):
    r = owner.call("POST", "/v1/admin/invitations",
                   {"email": new_email("invitee"), "role": "user"})
    assert r.status == 201, r.body
    return r.json["data"]["id"]


def some_audit_id(owner):
    r = owner.call("GET", "/v1/admin/audit-logs?limit=1")
    assert r.status == 200, r.body
    return str(r.json["data"][0]["id"])


def fresh_client(owner):
    r = owner.call("POST", "/v1/admin/clients", {
        "name": "App", "redirectUris": ["https://app.example.com/cb"]})
    assert r.status == 201, r.body
    return r.json["data"]["id"]


TARGETS = {"user": fresh_user, "role": fresh_role,
           "invitation": fresh_invitation, "audit": some_audit_id,
           "client": fresh_client}

# method, path, permission, body (or a function of nothing), success status
ROUTES = [
    ("GET", "/v1/admin/users", "users:read", None, 200),
    ("POST", "/v1/admin/users", "users:create",
     lambda: {"email": new_email("created"), "roles": ["user"]}, 201),
    ("GET", "/v1/admin/users/{user}", "users:read", None, 200),
    ("PATCH", "/v1/admin/users/{user}", "users:update",
     {"firstName": "Renamed"}, 200),
    ("DELETE", "/v1/admin/users/{user}", "users:delete", None, 204),
    ("PUT", "/v1/admin/users/{user}/roles", "users:update",
     {"roles": ["user"]}, 200),
    ("POST", "/v1/admin/users/{user}/revoke-sessions", "users:update", None,
     204),
    ("POST", "/v1/admin/users/{user}/force-password-reset", "users:update",
     None, 204),
    ("GET", "/v1/admin/roles", "roles:read", None, 200),
    ("POST", "/v1/admin/roles", "roles:write",
     lambda: {"slug": new_slug("r"), "name": "Reader",
              "permissions": ["audit:read"]}, 201),
    ("GET", "/v1/admin/roles/{role}", "roles:read", None, 200),
    ("PATCH", "/v1/admin/roles/{role}", "roles:write",
     {"description": "changed"}, 200),
    ("DELETE", "/v1/admin/roles/{role}", "roles:write", None, 204),
    ("GET", "/v1/admin/permissions", "roles:read", None, 200),
    ("GET", "/v1/admin/organisation", "organisation:read", None, 200),
    ("PATCH", "/v1/admin/organisation", "organisation:update",
     {"name": "Renamed org"}, 200),
    ("GET", "/v1/admin/invitations", "invitations:read", None, 200),
    ("POST", "/v1/admin/invitations", "invitations:create",
     lambda: {"email": new_email("inv"), "role": "user"}, 201),
    ("DELETE", "/v1/admin/invitations/{invitation}", "invitations:delete",
     None, 204),
    ("POST", "/v1/admin/invitations/{invitation}/resend",
     "invitations:create", None, 204),
    ("GET", "/v1/admin/audit-logs", "audit:read", None, 200),
    ("GET", "/v1/admin/audit-logs/verify", "audit:read", None, 200),
    ("GET", "/v1/admin/audit-logs/{audit}", "audit:read", None, 200),
    ("GET", "/v1/admin/clients", "clients:read", None, 200),
    ("POST", "/v1/admin/clients", "clients:write",
     lambda: {"name": "New", "redirectUris": ["https://n.example.com/cb"]},
     201),
    ("GET", "/v1/admin/clients/{client}", "clients:read", None, 200),
    ("PATCH", "/v1/admin/clients/{client}", "clients:write",
     {"name": "Renamed"}, 200),
    ("DELETE", "/v1/admin/clients/{client}", "clients:write", None, 204),
    ("POST", "/v1/admin/clients/{client}/rotate-secret", "clients:write",
     {}, 200),
]


def fill(path, owner):
    for name, make in TARGETS.items():
        if "{%s}" % name in path:
            path = path.replace("{%s}" % name, make(owner))
    return path


def body_of(b):
    return b() if callable(b) else b


def test_the_table_covers_every_admin_route_in_the_route_table():
    import os
    import re
    from conftest import ROOT
    src = open(os.path.join(ROOT, "src", "server", "routes.c")).read()
    found = set()
    for m, p, perm in re.findall(
            r'\{ M_(\w+), "(/v1/admin/[^"]*)",\s*\w+,\s*\w+,\s*"([^"]+)"', src):
        found.add((m, re.sub(r":(\w+)", lambda x: "{%s}" % {
            "id": "X"}.get(x.group(1), x.group(1)), p), perm))
    mine = set((m, re.sub(r"\{\w+\}", "{X}", p), perm)
               for m, p, perm, _, _ in ROUTES)
    assert found == mine


@pytest.mark.parametrize("role", ["user", "moderator", "admin", "owner"])
@pytest.mark.parametrize("method,path,perm,body,ok", ROUTES,
                         ids=["%s %s" % (r[0], r[1]) for r in ROUTES])
def test_each_route_needs_its_permission(orgs, role, method, path, perm,
                                         body, ok):
    caller = orgs["members"][role]
    target, payload = fill(path, orgs["a"]), body_of(body)
    before = db_state()
    r = caller.call(method, target, payload)
    if holds(SEEDED[role], perm):
        assert r.status == ok, (role, r.body)
        if ok != 204:
            assert r.json["success"] is True
    else:
        assert r.status == 403, (role, r.body)
        assert r.error_code() == "FORBIDDEN"
        # Nothing anywhere changed: no field, role, session, invitation,
        # mail, key or revocation.
        assert_unchanged(before, "%s %s refused to %s" % (method, path, role))


@pytest.mark.parametrize("method,path,perm,body,ok",
                         [r for r in ROUTES if "{" in r[1]],
                         ids=["%s %s" % (r[0], r[1]) for r in ROUTES
                              if "{" in r[1]])
def test_another_organisations_owner_gets_404_for_a_real_id(orgs, method,
                                                            path, perm, body,
                                                            ok):
    target = fill(path, orgs["a"])
    payload = body_of(body)
    before = db_state()
    r = orgs["b"].call(method, target, payload)
    assert r.status == 404, r.body
    assert r.error_code() == "NOT_FOUND"
    assert_unchanged(before, "%s %s by another organisation" % (method, path))
    # And the object is untouched: its own organisation still sees it.
    if "/invitations/" in target:
        mine = [i for i in orgs["a"].call(
            "GET", "/v1/admin/invitations?limit=100").json["data"]
            if i["id"] in target]
        assert mine and mine[0]["status"] == "pending"
    elif method in ("DELETE", "PATCH", "PUT"):
        get = target.rsplit("/roles", 1)[0] if path.endswith("/roles") \
            else target
        assert orgs["a"].call("GET", get).status == 200


def test_lists_are_scoped_to_the_callers_organisation(orgs):
    a, b = orgs["a"], orgs["b"]
    ids_b = {u["id"] for u in b.call("GET", "/v1/admin/users?limit=100")
             .json["data"]}
    assert a.id not in ids_b and b.id in ids_b
    r = b.call("GET", "/v1/admin/users?search=" + a.email)
    assert r.json["meta"]["total"] == 0 and r.json["data"] == []
    for path in ("/v1/admin/audit-logs?limit=100", "/v1/admin/invitations"):
        for item in b.call("GET", path).json["data"]:
            assert a.email not in str(item)
    r = b.call("GET", "/v1/admin/audit-logs?actor=" + a.id)
    assert r.status == 200 and r.json["data"] == []


def test_ids_that_are_not_uuids_are_404(orgs):
    a = orgs["a"]
    for path in ("/v1/admin/users/nope", "/v1/admin/roles/1",
                 "/v1/admin/audit-logs/abc", "/v1/admin/audit-logs/-1",
                 "/v1/admin/users/00000000-0000-0000-0000-000000000000"):
        r = a.call("GET", path)
        assert r.status == 404, path


def test_admin_routes_without_a_token_are_401():
    for method, path, _, _, _ in ROUTES:
        r = request(method, path.replace("{user}", "x").replace(
            "{role}", "x").replace("{invitation}", "x").replace("{audit}", "1"))
        assert r.status == 401, (method, path, r.body)
        assert r.error_code() == "UNAUTHORIZED"
