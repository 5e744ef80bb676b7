"""CSRF, checked centrally: every unsafe request made with the cookie
session, and every page form, without the token or with a wrong one is
403 and changes nothing."""
import pytest

from conftest import (PASSWORD, Browser, assert_unchanged, db_state,
                      link_token, mails_to, onboard, register)

WRONG = [None, "", "x" * 43, "wrong"]


def signed_in():
    email, uid = register()
    b = Browser()
    b.sign_in(email)
    return email, uid, b


def page_posts(b, sid):
    """Every page form that ends in a change, with good values."""
    return [
        ("/logout", {}),
        ("/account/password", {"currentPassword": PASSWORD,
                               "newPassword": "Quite new h0rses here"}),
        ("/account/sessions/%s/end" % sid, {}),
    ]


@pytest.mark.parametrize("token", WRONG)
def test_signed_in_page_forms_refuse_a_missing_or_wrong_token_and_change_nothing(token):
    email, uid, b = signed_in()
    sid = b.get("/v1/me/sessions").json["data"][0]["id"]
    for path, form in page_posts(b, sid):
        before = db_state()
        f = dict(form)
        if token is not None:
            f["_csrf"] = token
        r = b.send("POST", path, form=f)
        assert r.status == 403, (path, r.status)
        assert r.headers["content-type"].startswith("text/html"), path
        assert "expired" in r.text
        assert r.headers["x-frame-options"] == "DENY"
        assert_unchanged(before, path)
    assert b.get("/account").status == 200


@pytest.mark.parametrize("token", WRONG)
def test_public_page_forms_refuse_a_missing_or_wrong_token_and_change_nothing(token):
    email, uid = register()
    owner = onboard()
    invited = "inv-%s" % owner.email
    assert owner.call("POST", "/v1/admin/invitations",
                      {"email": invited, "role": "user"}).status == 201
    _, itok = link_token(mails_to(invited)[-1], "/invitations/accept")
    _, vtok = link_token(mails_to(email)[-1], "/verify-email")
    b = Browser()
    b.csrf()                       # the browser holds a real iam_csrf
    forms = [
        ("/login", {"email": email, "password": PASSWORD}),
        ("/forgot-password", {"email": email}),
        ("/verify-email", {"token": vtok}),
        ("/invitations/accept", {"token": itok, "password": PASSWORD}),
        ("/reset-password", {"token": vtok, "password": PASSWORD}),
    ]
    for path, form in forms:
        before = db_state()
        f = dict(form)
        if token is not None:
            f["_csrf"] = token
        r = b.send("POST", path, form=f)
        assert r.status == 403, (path, r.status, r.text[:200])
        assert "iam_sid" not in b.jar
        assert_unchanged(before, path)


def test_a_csrf_token_without_its_cookie_is_refused():
    email, _ = register()
    b = Browser()
    tok = b.csrf()
    del b.jar["iam_csrf"]
    r = b.send("POST", "/login", form={"email": email, "password": PASSWORD,
                                       "_csrf": tok})
    assert r.status == 403


def test_another_browsers_session_token_does_not_pass_for_this_session():
    _, _, a = signed_in()
    _, _, b = signed_in()
    before = db_state()
    r = a.send("POST", "/logout", form={"_csrf": b.jar["iam_csrf"]})
    assert r.status == 403
    assert_unchanged(before)


@pytest.mark.parametrize("method,path,body", [
    ("PATCH", "/v1/me", {"firstName": "Mallory"}),
    ("POST", "/v1/me/password", {"currentPassword": PASSWORD,
                                 "newPassword": "Quite new h0rses here"}),
    ("DELETE", "/v1/me/sessions", None),
    ("DELETE", "/v1/me", {"password": PASSWORD}),
    ("POST", "/v1/auth/logout-all", None),
    ("POST", "/v1/auth/logout", None),
])
def test_api_writes_with_the_cookie_need_x_csrf_token(method, path, body):
    email, uid, b = signed_in()
    for hdr in ({}, {"X-CSRF-Token": "x" * 43}, {"X-CSRF-Token": ""}):
        before = db_state()
        r = b.send(method, path, body=body, headers=hdr)
        assert r.status == 403, (path, hdr, r.status)
        assert r.error_code() == "CSRF_FAILED"
        assert_unchanged(before, path)
    r = b.send(method, path, body=body,
               headers={"X-CSRF-Token": b.jar["iam_csrf"]})
    assert r.status in (200, 204), (path, r.status, r.body)


def test_admin_writes_with_the_cookie_need_x_csrf_token():
    owner = onboard()
    b = Browser()
    b.sign_in(owner.email)
    before = db_state()
    r = b.send("POST", "/v1/admin/roles", body={"name": "Auditors", "slug": "aud",
                                               "permissions": ["audit:read"]})
    assert r.status == 403 and r.error_code() == "CSRF_FAILED"
    assert_unchanged(before)
    r = b.send("GET", "/v1/admin/roles")
    assert r.status == 200
