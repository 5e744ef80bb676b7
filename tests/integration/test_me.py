"""/v1/me: the caller's profile, password, sessions, export and deletion."""
from conftest import PASSWORD, bearer, login, new_email, psql_value, request, session


def test_patch_updates_the_profile_and_answers_the_user():
    _, uid, d = session(new_email("me"))
    body = {"firstName": "Grace", "lastName": "Hopper", "phone": "+1 555 0100",
            "preferences": {"theme": "dark", "lang": "en"},
            "addresses": [{"line1": "1 Main St", "city": "Arlington", "country": "US"}]}
    r = request("PATCH", "/v1/me", body=body, headers=bearer(d["accessToken"]))
    assert r.status == 200
    p = r.json["data"]["profile"]
    assert p == body
    r = request("PATCH", "/v1/me", body={"phone": "+44"}, headers=bearer(d["accessToken"]))
    assert r.json["data"]["profile"]["firstName"] == "Grace"
    assert r.json["data"]["profile"]["phone"] == "+44"
    assert psql_value("SELECT count(*) FROM audit_log WHERE action = 'user.update' "
                      "AND actor_id = '%s'" % uid) == "2"


def test_patch_refuses_bad_fields():
    _, _, d = session(new_email("mebad"))
    for body, field in [({"email": "x@y.z"}, "email"), ({"phone": "1" * 33}, "phone"),
                        ({"preferences": []}, "preferences"),
                        ({"addresses": {}}, "addresses"),
                        ({"addresses": [{"street": "x"}]}, "addresses"),
                        ({"addresses": [{"city": 5}]}, "addresses"),
                        ({"firstName": None}, "firstName")]:
        r = request("PATCH", "/v1/me", body=body, headers=bearer(d["accessToken"]))
        assert r.status == 400, body
        assert r.error_code() == "VALIDATION_ERROR"
        assert r.json["error"]["details"][0]["field"] == field


def test_password_change_needs_the_current_one_and_ends_other_sessions():
    email, _, a = session(new_email("pw"))
    b = login(email).json["data"]
    r = request("POST", "/v1/me/password", headers=bearer(a["accessToken"]),
                body={"currentPassword": "wrong one!", "newPassword": "Another fine one 9"})
    assert r.status == 401 and r.error_code() == "INVALID_CREDENTIALS"
    r = request("POST", "/v1/me/password", headers=bearer(a["accessToken"]),
                body={"currentPassword": PASSWORD, "newPassword": "password1"})
    assert r.status == 400 and r.error_code() == "WEAK_PASSWORD"
    r = request("POST", "/v1/me/password", headers=bearer(a["accessToken"]),
                body={"currentPassword": PASSWORD, "newPassword": "Another fine one 9"})
    assert r.status == 200
    assert request("POST", "/v1/auth/refresh",
                   body={"refreshToken": b["refreshToken"]}).status == 401
    assert request("POST", "/v1/auth/refresh",
                   body={"refreshToken": a["refreshToken"]}).status == 200
    assert login(email, "Another fine one 9").status == 200


def test_sessions_are_listed_with_current_and_can_be_ended():
    email, _, a = session(new_email("sess"))
    b = login(email).json["data"]
    r = request("GET", "/v1/me/sessions", headers=bearer(a["accessToken"]))
    assert r.status == 200
    lst = r.json["data"]
    assert len(lst) == 2
    assert set(lst[0]) == {"id", "createdAt", "lastSeenAt", "expiresAt", "ip",
                           "userAgent", "current", "type"}
    assert {s["type"] for s in lst} == {"api"}
    assert sum(s["current"] for s in lst) == 1
    other = [s for s in lst if not s["current"]][0]["id"]
    r = request("DELETE", "/v1/me/sessions/" + other, headers=bearer(a["accessToken"]))
    assert r.status == 204
    assert request("POST", "/v1/auth/refresh",
                   body={"refreshToken": b["refreshToken"]}).status == 401
    r = request("DELETE", "/v1/me/sessions/" + other, headers=bearer(a["accessToken"]))
    assert r.status == 404
    r = request("DELETE", "/v1/me/sessions/not-a-uuid", headers=bearer(a["accessToken"]))
    assert r.status == 404
    # Someone else's session is not ours to end.
    _, _, c = session(new_email("sess2"))
    mine = request("GET", "/v1/me/sessions", headers=bearer(c["accessToken"])).json["data"][0]["id"]
    r = request("DELETE", "/v1/me/sessions/" + mine, headers=bearer(a["accessToken"]))
    assert r.status == 404
    d = login(email).json["data"]
    r = request("DELETE", "/v1/me/sessions", headers=bearer(a["accessToken"]))
    assert r.status == 204
    assert request("POST", "/v1/auth/refresh",
                   body={"refreshToken": d["refreshToken"]}).status == 401
    assert request("POST", "/v1/auth/refresh",
                   body={"refreshToken": a["refreshToken"]}).status == 200


def test_export_holds_everything_about_the_caller():
    _, uid, d = session(new_email("exp"))
    r = request("GET", "/v1/me/export", headers=bearer(d["accessToken"]))
    assert r.status == 200
    doc = r.json["data"]
    assert doc["user"]["id"] == uid
    assert len(doc["sessions"]) == 1
    assert {e["action"] for e in doc["auditEvents"]} >= {"user.register", "auth.login"}
    assert "password" not in r.body.decode().lower().replace("password.", "")


def test_delete_needs_the_password_and_ends_everything():
    email, uid, d = session(new_email("del"))
    r = request("DELETE", "/v1/me", body={"password": "not it at all"},
                headers=bearer(d["accessToken"]))
    assert r.status == 401 and r.error_code() == "INVALID_CREDENTIALS"
    r = request("DELETE", "/v1/me", body={"password": PASSWORD},
                headers=bearer(d["accessToken"]))
    assert r.status == 204
    assert login(email).status == 401
    assert request("POST", "/v1/auth/refresh",
                   body={"refreshToken": d["refreshToken"]}).status == 401
    assert psql_value("SELECT deleted_at IS NOT NULL AND password_hash IS NULL "
                      "FROM users WHERE id = '%s'" % uid) == "t"
    # The address can be registered again.
    r = request("POST", "/v1/auth/register", body={"email": email, "password": PASSWORD})
    assert r.status == 201
