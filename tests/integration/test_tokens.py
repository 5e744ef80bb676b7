"""Access tokens: what a forged, tampered, confused or expired token gets;
verification by a JOSE library against the JWKS; key rotation."""
import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import time

from conftest import (ROOT, STACK, b64u, bearer, forge, master_pid, request,
                      signing_keys_kept, token_dead,
                      session, wait_for, worker_pids, new_email)

ISS = os.environ["IAM_TEST_URL"]
JOSE = os.path.join(ROOT, "tests", "integration", "jose", "verify.mjs")


def me(token):
    return request("GET", "/v1/me", headers=bearer(token))


def claims(uid, **over):
    now = int(time.time())
    c = {"iss": ISS, "sub": uid, "aud": ISS, "iat": now, "exp": now + 300,
         "jti": "t", "org": "x", "sid": "y"}
    c.update(over)
    return c


def test_a_missing_or_malformed_authorization_header_is_401():
    r = request("GET", "/v1/me")
    assert r.status == 401 and r.error_code() == "UNAUTHORIZED"
    for h in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "bearer abc",
              "Bearer a b", "Token abc"]:
        r = request("GET", "/v1/me", headers={"Authorization": h})
        assert r.status == 401 and r.error_code() == "INVALID_TOKEN", h


def test_genuine_token_is_accepted_and_carries_the_claims():
    _, uid, d = session(new_email("tok"))
    r = me(d["accessToken"])
    assert r.status == 200 and r.json["data"]["id"] == uid
    assert r.json["data"]["permissions"] == []
    h, p, _ = d["accessToken"].split(".")
    header = json.loads(base64.urlsafe_b64decode(h + "=="))
    payload = json.loads(base64.urlsafe_b64decode(p + "=="))
    assert header["alg"] == "EdDSA" and header["typ"] == "at+jwt" and header["kid"]
    assert payload["iss"] == ISS and payload["aud"] == ISS and payload["sub"] == uid
    assert payload["exp"] - payload["iat"] == 900
    assert payload["org"] == d["user"]["organisation"]["id"]
    assert len(payload["sid"]) == 36 and payload["jti"]


def test_alg_none_and_hs256_with_the_public_key_are_refused():
    _, uid, d = session(new_email("alg"))
    h, p, _ = d["accessToken"].split(".")
    kid = json.loads(base64.urlsafe_b64decode(h + "=="))["kid"]
    none = b64u(json.dumps({"alg": "none", "typ": "at+jwt", "kid": kid}).encode())
    for tok in [none + "." + p + ".", none + "." + p]:
        r = me(tok)
        assert r.status == 401 and r.error_code() == "INVALID_TOKEN"
    # HS256 keyed with the public key: the classic confusion attack.
    jwks = request("GET", "/oauth2/jwks").json
    x = [k for k in jwks["keys"] if k["kid"] == kid][0]["x"]
    for secret in [x.encode(), base64.urlsafe_b64decode(x + "="), json.dumps(x).encode()]:
        hs = b64u(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": kid}).encode())
        inp = hs + "." + p
        sig = b64u(hmac.new(secret, inp.encode(), hashlib.sha256).digest())
        r = me(inp + "." + sig)
        assert r.status == 401 and r.error_code() == "INVALID_TOKEN"


def test_tampered_tokens_are_refused():
    _, uid, d = session(new_email("tamper"))
    h, p, s = d["accessToken"].split(".")
    payload = json.loads(base64.urlsafe_b64decode(p + "=="))
    payload["sub"] = "00000000-0000-0000-0000-000000000000"
    forged_p = b64u(json.dumps(payload).encode())
    flipped = s[:-2] + ("A" if s[-2] != "A" else "B") + s[-1]
    for tok in [h + "." + forged_p + "." + s, h + "." + p + "." + flipped,
                h + "." + p + "." + s + "x", h + "." + p, d["accessToken"] + ".x"]:
        r = me(tok)
        assert r.status == 401 and r.error_code() == "INVALID_TOKEN", tok


def test_expired_tokens_are_token_expired_and_other_claims_are_checked():
    _, uid, _ = session(new_email("exp"))
    now = int(time.time())
    r = me(forge(claims(uid, iat=now - 1000, exp=now - 60)))
    assert r.status == 401 and r.error_code() == "TOKEN_EXPIRED"
    # Within the 30 s of allowed clock skew it still passes.
    assert me(forge(claims(uid, exp=now - 10))).status == 200
    bad = [claims(uid, iss="https://evil.example"), claims(uid, aud="someone-else"),
           claims(uid, iat=now + 3600), claims(uid, nbf=now + 3600),
           claims(uid, exp=str(now + 300)), {k: v for k, v in claims(uid).items()
                                              if k != "exp"}]
    for c in bad:
        r = me(forge(c))
        assert r.status == 401 and r.error_code() == "INVALID_TOKEN", c
    for header in [{"alg": "EdDSA", "typ": "JWT", "kid": "k"},
                   {"alg": "EdDSA", "typ": "at+jwt", "kid": "no-such-kid"},
                   {"alg": "EdDSA", "typ": "at+jwt"},
                   {"alg": "EdDSA", "typ": "at+jwt", "kid": "k", "crit": ["x"]}]:
        r = me(forge(claims(uid), header=header))
        assert r.status == 401 and r.error_code() == "INVALID_TOKEN", header


def test_a_token_signed_by_another_key_with_our_kid_is_refused():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    _, uid, _ = session(new_email("other"))
    r = me(forge(claims(uid), key=Ed25519PrivateKey.generate()))
    assert r.status == 401 and r.error_code() == "INVALID_TOKEN"


def test_a_deleted_users_token_stops_working():
    _, uid, d = session(new_email("gone"))
    r = request("DELETE", "/v1/me", body={"password": "Tr0ub4dor and 3 horses"},
                headers=bearer(d["accessToken"]))
    assert r.status == 204
    token_dead(d["accessToken"])


def jose_verify(token):
    out = subprocess.run(["node", JOSE, ISS + "/oauth2/jwks", ISS, ISS, token],
                         capture_output=True, text=True, timeout=60)
    return out.returncode, out.stdout.strip()


def test_jose_verifies_our_tokens_against_the_jwks_as_a_resource_server():
    _, uid, d = session(new_email("jose"))
    rc, out = jose_verify(d["accessToken"])
    assert rc == 0, out
    v = json.loads(out)
    assert v["payload"]["sub"] == uid and v["header"]["alg"] == "EdDSA"
    h, p, s = d["accessToken"].split(".")
    rc, out = jose_verify(h + "." + p + "." + s[::-1])
    assert rc == 1 and out.startswith("ERROR")
    jwks = request("GET", "/.well-known/jwks.json")
    assert jwks.status == 200
    assert jwks.headers["content-type"].startswith("application/jwk-set+json")
    for k in jwks.json["keys"]:
        assert set(k) == {"kty", "crv", "x", "kid", "use", "alg"}
        assert k["kty"] == "OKP" and k["crv"] == "Ed25519" and k["alg"] == "EdDSA"


def test_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key():
    with signing_keys_kept():
        _, uid, d = session(new_email("rot"))
        old_kid = json.loads(base64.urlsafe_b64decode(d["accessToken"].split(".")[0] + "=="))["kid"]
        out = subprocess.run([os.path.join(os.environ["IAM_BIN"], "iamctl"), "-c",
                              os.path.join(STACK, "iam.conf"), "keys", "rotate"],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert "signing" in out.stdout and old_kid in out.stdout
        old = worker_pids()
        os.kill(master_pid(), signal.SIGHUP)
        assert wait_for(lambda: set(worker_pids()).isdisjoint(old) and len(worker_pids()) == 2)
        email = d["user"]["email"]
        from conftest import login
        new = login(email).json["data"]["accessToken"]
        new_kid = json.loads(base64.urlsafe_b64decode(new.split(".")[0] + "=="))["kid"]
        assert new_kid != old_kid
        kids = {k["kid"] for k in request("GET", "/oauth2/jwks").json["keys"]}
        assert {old_kid, new_kid} <= kids
        assert me(d["accessToken"]).status == 200
        assert me(new).status == 200
        assert jose_verify(d["accessToken"])[0] == 0
        assert jose_verify(new)[0] == 0


def test_a_suspended_users_refresh_stops_at_once():
    _, uid, d = session(new_email("suspref"))
    from conftest import psql_value
    psql_value("UPDATE users SET status = 'suspended' WHERE id = '%s'" % uid)
    r = request("POST", "/v1/auth/refresh", body={"refreshToken": d["refreshToken"]})
    assert r.status == 401 and r.error_code() == "INVALID_TOKEN"


def test_the_next_key_is_published_before_it_signs():
    with signing_keys_kept():
        from conftest import psql_value
        # Bring the current key's retirement within the publication lead (a day).
        psql_value("UPDATE signing_keys SET retires_at = now() + interval '2 hours' "
                   "WHERE activates_at <= now() AND retires_at > now()")
        out = subprocess.run([os.path.join(os.environ["IAM_BIN"], "iamctl"), "-c",
                              os.path.join(STACK, "iam.conf"), "keys", "list"],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        states = [line.split()[1] for line in out.stdout.splitlines()]
        assert "signing" in states and "next" in states, out.stdout
        nxt = [line.split()[0] for line in out.stdout.splitlines() if " next " in line][0]
        os.kill(master_pid(), signal.SIGHUP)        # or wait for the 30 s reload
        assert wait_for(lambda: nxt in {k["kid"] for k in
                                        request("GET", "/oauth2/jwks").json["keys"]})
        # Published, but not signing yet.
        from conftest import login
        _, _, d = session(new_email("nextkey"))
        kid = json.loads(base64.urlsafe_b64decode(d["accessToken"].split(".")[0] + "=="))["kid"]
        assert kid != nxt
