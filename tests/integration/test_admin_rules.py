"""The rules of administration: escalation refused, the last owner kept,
changes effective at once, lists bounded and validated."""
import pytest

from conftest import (PASSWORD, add_member, all_mail_to, assert_unchanged, db_state,
                      on_every_worker, token_alive, token_dead,
                      link_token, login, mails_to, new_email, new_slug,
                      onboard, request)


@pytest.fixture(scope="module")
def org():
    return onboard()


# --- privilege escalation ---------------------------------------------------

def test_nobody_changes_their_own_roles(org):
    r = org.call("PUT", "/v1/admin/users/%s/roles" % org.id,
                 {"roles": ["user"]})
    assert r.status == 403 and r.error_code() == "FORBIDDEN"
    # Refused before any other rule: even an unknown role is 403 here.
    r = org.call("PUT", "/v1/admin/users/%s/roles" % org.id,
                 {"roles": ["no-such-role"]})
    assert r.status == 403


def test_an_admin_cannot_grant_what_it_does_not_hold(org):
    admin = add_member(org, ["admin"])
    plain = add_member(org, ["user"])
    god_slug = new_slug("god")
    made_email, invited_email = new_email("made"), new_email("invited")
    refused = [
        # owner carries "*", which an admin does not hold.
        ("PUT", "/v1/admin/users/%s/roles" % plain.id, {"roles": ["owner"]}),
        ("POST", "/v1/admin/roles", {"slug": god_slug, "name": "God",
                                     "permissions": ["*"]}),
        ("POST", "/v1/admin/users", {"email": made_email,
                                     "roles": ["owner"]}),
        ("POST", "/v1/admin/invitations", {"email": invited_email,
                                           "role": "owner"}),
        # Nor edit the owner (who holds more), nor take its role away.
        ("PATCH", "/v1/admin/users/%s" % org.id, {"status": "suspended"}),
        ("PUT", "/v1/admin/users/%s/roles" % org.id, {"roles": ["user"]}),
    ]
    for method, path, body in refused:
        before = db_state()
        r = admin.call(method, path, body)
        assert r.status == 403 and r.error_code() == "FORBIDDEN", (path, r.body)
        assert_unchanged(before, "%s %s by an admin" % (method, path))
    # Read back through the API as well: nothing of it exists.
    roles = org.call("GET", "/v1/admin/roles").json["data"]
    assert god_slug not in [x["slug"] for x in roles]
    assert [x for x in roles if "*" in x["permissions"]] == \
        [x for x in roles if x["slug"] == "owner"]
    assert org.call("GET", "/v1/admin/users?search=" + made_email
                    ).json["meta"]["total"] == 0
    invs = org.call("GET", "/v1/admin/invitations?limit=100").json["data"]
    assert invited_email not in [i["email"] for i in invs]
    assert org.call("GET", "/v1/admin/users/%s" % plain.id
                    ).json["data"]["roles"] == ["user"]
    me = org.call("GET", "/v1/admin/users/%s" % org.id).json["data"]
    assert me["status"] == "active" and me["roles"] == ["owner"]
    # What it holds, it may grant.
    r = admin.call("PUT", "/v1/admin/users/%s/roles" % plain.id,
                   {"roles": ["moderator", "user"]})
    assert r.status == 200 and r.json["data"]["roles"] == ["moderator",
                                                           "user"]


def test_a_moderator_cannot_make_itself_or_others_admin(org):
    mod = add_member(org, ["moderator"])
    other = add_member(org, ["user"])
    r = mod.call("PUT", "/v1/admin/users/%s/roles" % mod.id,
                 {"roles": ["admin"]})
    assert r.status == 403
    r = mod.call("PUT", "/v1/admin/users/%s/roles" % other.id,
                 {"roles": ["admin"]})
    assert r.status == 403
    r = mod.call("POST", "/v1/admin/roles", {"slug": new_slug("x"),
                                             "name": "x"})
    assert r.status == 403
    # The role set did not change.
    r = org.call("GET", "/v1/admin/users/%s" % other.id)
    assert r.json["data"]["roles"] == ["user"]


def test_unknown_roles_and_permissions_are_validation_errors(org):
    plain = add_member(org, ["user"])
    r = org.call("PUT", "/v1/admin/users/%s/roles" % plain.id,
                 {"roles": ["nope"]})
    assert r.status == 400 and r.error_code() == "VALIDATION_ERROR"
    assert r.json["error"]["details"][0]["field"] == "roles"
    r = org.call("POST", "/v1/admin/roles", {
        "slug": new_slug("r"), "name": "R", "permissions": ["users:fly"]})
    assert r.status == 400
    assert r.json["error"]["details"][0]["field"] == "permissions"
    r = org.call("POST", "/v1/admin/roles", {"slug": "Bad Slug", "name": "R"})
    assert r.status == 400
    r = org.call("POST", "/v1/admin/roles", {"slug": "x", "name": "R",
                                             "extra": 1})
    assert r.status == 400
    assert r.json["error"]["details"][0]["field"] == "extra"
    r = org.call("PUT", "/v1/admin/users/%s/roles" % plain.id,
                 {"roles": "admin"})
    assert r.status == 400


def test_the_last_owner_stays():
    o = onboard()
    r = o.call("DELETE", "/v1/admin/users/%s" % o.id)
    assert r.status == 409 and r.error_code() == "CONFLICT"
    r = o.call("DELETE", "/v1/me", {"password": PASSWORD})
    assert r.status == 409 and r.error_code() == "CONFLICT"
    m = add_member(o, ["admin"])
    # An admin may not remove the owner role (it does not hold "*").
    r = m.call("PUT", "/v1/admin/users/%s/roles" % o.id, {"roles": ["user"]})
    assert r.status == 403
    # A second owner...
    r = o.call("PUT", "/v1/admin/users/%s/roles" % m.id,
               {"roles": ["owner"]})
    assert r.status == 200
    # ...may take the role from the first (another owner remains)...
    r = m.call("PUT", "/v1/admin/users/%s/roles" % o.id, {"roles": ["user"]})
    assert r.status == 200, r.body
    # ...but not delete itself, now the last one.
    r = m.call("DELETE", "/v1/admin/users/%s" % m.id)
    assert r.status == 409
    # Nobody changes their own status...
    r = request("PATCH", "/v1/admin/users/%s" % m.id,
                body={"status": "suspended"},
                headers={"Authorization": "Bearer " + m.token})
    assert r.status == 403
    # ...and the last owner may not be suspended by anyone (the operator's
    # iamctl holds every permission): 409, and it stays active.
    from conftest import iamctl
    r = iamctl("user", "suspend", m.id)
    assert r.returncode == 5, r.stdout + r.stderr
    assert "owner" in r.stderr
    assert m.call("GET", "/v1/me").json["data"]["status"] == "active"
    roles = o.call("GET", "/v1/admin/users/%s" % o.id)
    assert roles.status == 403    # o is no longer an owner: no users:read


def test_a_removed_role_takes_effect_on_the_next_call(org):
    p = add_member(org, ["user"])
    assert p.call("GET", "/v1/admin/users").status == 403
    r = org.call("PUT", "/v1/admin/users/%s/roles" % p.id,
                 {"roles": ["moderator"]})
    assert r.status == 200
    # Same token, no refresh: the database decides.
    assert p.call("GET", "/v1/admin/users").status == 200
    r = org.call("PUT", "/v1/admin/users/%s/roles" % p.id,
                 {"roles": ["user"]})
    assert p.call("GET", "/v1/admin/users").status == 403
    # A role's permissions changed: the same.
    slug = new_slug("aud")
    r = org.call("POST", "/v1/admin/roles", {"slug": slug, "name": "Aud",
                                             "permissions": ["audit:read"]})
    rid = r.json["data"]["id"]
    org.call("PUT", "/v1/admin/users/%s/roles" % p.id, {"roles": [slug]})
    assert p.call("GET", "/v1/admin/audit-logs").status == 200
    r = org.call("PATCH", "/v1/admin/roles/%s" % rid, {"permissions": []})
    assert r.status == 200 and r.json["data"]["permissions"] == []
    assert p.call("GET", "/v1/admin/audit-logs").status == 403
    assert org.call("DELETE", "/v1/admin/roles/%s" % rid).status == 204
    assert org.call("GET", "/v1/admin/users/%s" % p.id).json["data"][
        "roles"] == []


def test_built_in_roles_keep_their_shape(org):
    roles = {r["slug"]: r for r in org.call("GET", "/v1/admin/roles")
             .json["data"]}
    assert set(roles) >= {"owner", "admin", "moderator", "user"}
    assert roles["owner"]["permissions"] == ["*"]
    assert roles["moderator"]["permissions"] == ["users:read",
                                                 "users:update", "audit:read"]
    perms = {p["name"] for p in org.call("GET", "/v1/admin/permissions")
             .json["data"]}
    for r in roles.values():
        for p in r["permissions"]:
            assert p == "*" or p in perms or (
                p.endswith(":*") and any(q.startswith(p[:-1]) for q in perms))
    r = org.call("DELETE", "/v1/admin/roles/%s" % roles["admin"]["id"])
    assert r.status == 409
    r = org.call("PATCH", "/v1/admin/roles/%s" % roles["owner"]["id"],
                 {"permissions": ["users:read"]})
    assert r.status == 409
    r = org.call("PATCH", "/v1/admin/roles/%s" % roles["user"]["id"],
                 {"slug": "member"})
    assert r.status == 409
    r = org.call("POST", "/v1/admin/roles", {"slug": "admin", "name": "A"})
    assert r.status == 409


# --- members: effects -------------------------------------------------------

def test_suspending_a_member_ends_its_tokens_at_once(org):
    m = add_member(org, ["user"])
    token_alive(m.token)
    r = org.call("PATCH", "/v1/admin/users/%s" % m.id,
                 {"status": "suspended", "phone": "+44 20 7946 0000"})
    assert r.status == 200
    assert r.json["data"]["status"] == "suspended"
    assert r.json["data"]["profile"]["phone"] == "+44 20 7946 0000"
    for rs in on_every_worker("GET", "/v1/me", m.h).values():
        for r in rs:
            assert r.status == 401 and r.error_code() == "INVALID_TOKEN"
    r = request("POST", "/v1/auth/refresh", body={"refreshToken": m.refresh})
    assert r.status == 401
    r = login(m.email)
    assert r.status == 403 and r.error_code() == "ACCOUNT_SUSPENDED"
    r = org.call("PATCH", "/v1/admin/users/%s" % m.id, {"status": "active"})
    assert login(m.email).status == 200
    r = org.call("PATCH", "/v1/admin/users/%s" % m.id, {"status": "asleep"})
    assert r.status == 400


def test_revoking_sessions_and_deleting_end_tokens(org):
    m = add_member(org, ["user"])
    token_alive(m.token)
    assert org.call("POST", "/v1/admin/users/%s/revoke-sessions" % m.id
                    ).status == 204
    token_dead(m.token)
    assert request("POST", "/v1/auth/refresh",
                   body={"refreshToken": m.refresh}).status == 401
    r = login(m.email)
    assert r.status == 200
    fresh = r.json["data"]["accessToken"]
    token_alive(fresh)
    assert org.call("DELETE", "/v1/admin/users/%s" % m.id).status == 204
    token_dead(fresh)
    assert org.call("GET", "/v1/admin/users/%s" % m.id).status == 404
    assert login(m.email).status == 401


def test_forcing_a_reset_mails_a_link_and_blocks_login(org):
    m = add_member(org, ["user"])
    assert org.call("POST", "/v1/admin/users/%s/force-password-reset" %
                    m.id).status == 204
    token_dead(m.token)
    r = login(m.email)
    assert r.status == 403 and r.error_code() == "PASSWORD_RESET_REQUIRED"
    mail = [m_ for m_ in all_mail_to(m.email) if "/reset-password" in m_][-1]
    _, token = link_token(mail, "/reset-password")
    r = request("POST", "/v1/auth/reset-password",
                body={"token": token, "password": "A new one, 4 sure"})
    assert r.status == 200, r.body
    assert login(m.email, "A new one, 4 sure").status == 200


def test_a_member_created_without_a_password_gets_a_link(org):
    email = new_email("nopw")
    r = org.call("POST", "/v1/admin/users", {
        "email": email, "firstName": "No", "lastName": "Pass",
        "roles": ["moderator"], "emailVerified": True})
    assert r.status == 201
    u = r.json["data"]
    assert u["roles"] == ["moderator"] and u["emailVerified"] is True
    assert u["profile"]["firstName"] == "No"
    assert login(email, PASSWORD).status == 401
    _, token = link_token(all_mail_to(email)[-1], "/reset-password")
    r = request("POST", "/v1/auth/reset-password",
                body={"token": token, "password": PASSWORD})
    assert r.status == 200
    assert login(email).status == 200
    r = org.call("POST", "/v1/admin/users", {"email": email})
    assert r.status == 409 and r.error_code() == "EMAIL_EXISTS"


def test_the_admin_view_of_a_user_matches_its_own(org):
    m = add_member(org, ["moderator"])
    mine = m.call("GET", "/v1/me").json["data"]
    theirs = org.call("GET", "/v1/admin/users/%s" % m.id).json["data"]
    perms = mine.pop("permissions")
    assert perms == ["users:read", "users:update", "audit:read"]
    assert mine == theirs
    listed = [u for u in org.call("GET", "/v1/admin/users?search=" +
                                  m.email).json["data"]]
    assert listed == [theirs]


# --- lists -------------------------------------------------------------------

@pytest.fixture(scope="module")
def crowd():
    o = onboard()
    people = []
    for i, (first, last) in enumerate([("Ann", "Zed"), ("bob", "Young"),
                                       ("Cy", "Xu"), ("Di", "Wong_x"),
                                       ("Ed", "Vance%"), ("Flo", "Ames")]):
        r = o.call("POST", "/v1/admin/users", {
            "email": "p%d.%s" % (i, new_email("crowd")), "firstName": first,
            "lastName": last, "roles": ["moderator" if i % 2 else "user"],
            "status": "inactive" if i == 5 else "active"})
        assert r.status == 201, r.body
        people.append(r.json["data"])
    return o, people


def test_pagination_bounds_are_checked(crowd):
    o, _ = crowd
    for q, field in (("limit=0", "limit"), ("limit=101", "limit"),
                     ("limit=abc", "limit"), ("page=0", "page"),
                     ("page=-1", "page"), ("sort=password", "sort"),
                     ("sort=--email", "sort"), ("sort=email,id", "sort"),
                     ("status=gone", "status"), ("role=nope", "role")):
        r = o.call("GET", "/v1/admin/users?" + q)
        assert r.status == 400, q
        assert r.error_code() == "VALIDATION_ERROR"
        assert r.json["error"]["details"][0]["field"] == field, q
    r = o.call("GET", "/v1/admin/users?limit=2&page=2&sort=createdAt")
    assert r.status == 200
    assert r.json["meta"] == {"page": 2, "limit": 2, "total": 7, "pages": 4}
    assert len(r.json["data"]) == 2
    r = o.call("GET", "/v1/admin/users?limit=100&page=99")
    assert r.json["data"] == [] and r.json["meta"]["total"] == 7
    r = o.call("GET", "/v1/admin/audit-logs?limit=101")
    assert r.status == 400
    r = o.call("GET", "/v1/admin/audit-logs?since=yesterday")
    assert r.status == 400
    assert r.json["error"]["details"][0]["field"] == "since"
    r = o.call("GET", "/v1/admin/audit-logs?until=2026-02-30")
    assert r.status == 400
    r = o.call("GET", "/v1/admin/audit-logs?actor=someone")
    assert r.status == 400


def test_sort_search_role_and_status_filters(crowd):
    o, people = crowd
    emails = [u["email"] for u in o.call(
        "GET", "/v1/admin/users?sort=email&limit=100").json["data"]]
    assert emails == sorted(emails, key=str.lower)
    emails = [u["email"] for u in o.call(
        "GET", "/v1/admin/users?sort=-email&limit=100").json["data"]]
    assert emails == sorted(emails, key=str.lower, reverse=True)
    created = [u["createdAt"] for u in o.call(
        "GET", "/v1/admin/users?sort=-createdAt&limit=100").json["data"]]
    assert created == sorted(created, reverse=True)
    # Case-insensitive, on first or last name or email.
    r = o.call("GET", "/v1/admin/users?search=BOB")
    assert [u["profile"]["firstName"] for u in r.json["data"]] == ["bob"]
    r = o.call("GET", "/v1/admin/users?search=wong")
    assert r.json["meta"]["total"] == 1
    # Taken literally: % and _ are not wildcards.
    r = o.call("GET", "/v1/admin/users?search=%25")
    assert [u["profile"]["lastName"] for u in r.json["data"]] == ["Vance%"]
    r = o.call("GET", "/v1/admin/users?search=g_x")
    assert [u["profile"]["lastName"] for u in r.json["data"]] == ["Wong_x"]
    r = o.call("GET", "/v1/admin/users?search=o_g")
    assert r.json["data"] == []
    r = o.call("GET", "/v1/admin/users?role=moderator&limit=100")
    assert r.json["meta"]["total"] == 3
    assert all("moderator" in u["roles"] for u in r.json["data"])
    # Search with role, status and sort together.
    r = o.call("GET", "/v1/admin/users?search=CROWD&role=moderator&sort=-email")
    assert r.json["meta"]["total"] == 3
    got = [u["email"] for u in r.json["data"]]
    assert got == sorted(got, key=str.lower, reverse=True)
    assert all(u["roles"] == ["moderator"] for u in r.json["data"])
    r = o.call("GET", "/v1/admin/users?search=crowd&status=inactive&limit=1"
               "&page=2")
    assert r.json["data"] == [] and r.json["meta"]["total"] == 1
    r = o.call("GET", "/v1/admin/users?status=inactive")
    assert [u["profile"]["firstName"] for u in r.json["data"]] == ["Flo"]
    r = o.call("GET", "/v1/admin/users?search=zzzznothing")
    assert r.json["meta"] == {"page": 1, "limit": 50, "total": 0, "pages": 0}
