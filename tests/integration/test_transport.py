"""The transport layer over HTTP: envelopes, headers, bad input, routing."""
import json
import re

from conftest import raw, request

# A path no route will ever have: what reaches it passed every transport check.
NOWHERE = "/v1/no-such-route"

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def assert_security_headers(r):
    for k, v in SECURITY_HEADERS.items():
        assert r.headers.get(k) == v, (k, r.headers)
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,128}", r.headers["x-request-id"])


def test_health_answers_unwrapped_with_security_headers():
    r = request("GET", "/health")
    assert r.status == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json["status"] == "ok"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r.json["timestamp"])
    assert "success" not in r.json
    assert_security_headers(r)


def test_head_is_served_by_get_routes_without_a_body():
    r = request("HEAD", "/health")
    assert r.status == 200
    assert r.body == b""


def test_sane_request_id_is_echoed_and_insane_ones_replaced():
    r = request("GET", "/health", headers={"X-Request-Id": "abc-123_x.y"})
    assert r.headers["x-request-id"] == "abc-123_x.y"
    for bad in ["a b", "x" * 129, "<script>", "a;b"]:
        r = request("GET", "/health", headers={"X-Request-Id": bad})
        assert r.headers["x-request-id"] != bad
        assert_security_headers(r)


def test_unknown_path_is_404_in_the_error_envelope():
    r = request("GET", "/no/such/route")
    assert r.status == 404
    assert r.json == {"success": False, "error": {
        "code": "NOT_FOUND", "message": r.json["error"]["message"]}}
    assert_security_headers(r)


def test_wrong_method_is_405_with_allow():
    r = request("DELETE", "/health")
    assert r.status == 405
    assert r.error_code() == "METHOD_NOT_ALLOWED"
    assert r.headers["allow"] == "GET, HEAD"
    r = request("POST", "/metrics", body={})
    assert r.status == 405
    assert "GET" in r.headers["allow"]


def test_body_over_the_limit_is_413():
    r = request("POST", "/v1/auth/register", body=b"{" + b" " * 70000 + b"}",
                ctype="application/json")
    assert r.status == 413
    assert r.error_code() == "PAYLOAD_TOO_LARGE"


def test_body_over_the_web_server_limit_is_413_in_the_same_envelope():
    r = request("POST", "/v1/auth/register", body=b"x" * (2 * 1024 * 1024),
                ctype="application/json")
    assert r.status == 413
    assert r.error_code() == "PAYLOAD_TOO_LARGE"


def test_malformed_json_is_400_invalid_json():
    for body in [b"{", b"{\"a\":}", b"[1,]", b"{'a':1}", b"nul", b"{}{}",
                 b"\xef\xbb\xbf{}"]:
        r = request("POST", "/v1/auth/register", body=body,
                    ctype="application/json")
        assert r.status == 400, body
        assert r.error_code() == "INVALID_JSON", body


def test_nesting_deeper_than_32_is_400_and_32_passes_the_check():
    deep = b"[" * 33 + b"]" * 33
    r = request("POST", "/v1/auth/register", body=deep, ctype="application/json")
    assert r.status == 400
    assert r.error_code() == "INVALID_JSON"
    assert "deep" in r.json["error"]["message"]
    ok = b"[" * 32 + b"]" * 32
    r = request("POST", NOWHERE, body=ok, ctype="application/json")
    assert r.status == 404


def test_well_formed_bodies_of_any_shape_pass_the_transport():
    # Shape is the route's business (VALIDATION_ERROR); the transport only
    # refuses what is not JSON.  "2" and "null" were found by fuzz_json.
    for body in [b"2", b"null", b' "s" ', b"[]", b"true", b"-0.5e3", b"{}"]:
        r = request("POST", NOWHERE, body=body, ctype="application/json")
        assert r.status == 404, body


def test_nul_invalid_utf8_and_lone_surrogates_are_400():
    bodies = [
        b'{"email":"a\\u0000b"}',
        b'{"email":"a\x00b"}',
        b'{"email":"\xff\xfe"}',
        b'{"email":"\xc0\xaf"}',
        b'{"email":"\\ud800"}',
        b'{"email":"\\udc00x"}',
    ]
    for body in bodies:
        r = request("POST", "/v1/auth/register", body=body,
                    ctype="application/json")
        assert r.status == 400, body
        assert r.error_code() == "INVALID_JSON", body


def test_empty_json_body_is_400_and_empty_post_without_type_is_fine():
    r = request("POST", "/v1/auth/register", body=b"", ctype="application/json")
    assert r.status == 400
    assert r.error_code() == "INVALID_JSON"
    r = request("POST", NOWHERE)
    assert r.status == 404          # no body, no type: routed normally


def test_unknown_content_type_is_415():
    for ctype in ["text/plain", "application/xml", "multipart/form-data; boundary=x",
                  "application/json; charset=latin1", "nonsense"]:
        r = request("POST", "/v1/auth/register", body=b"{}", ctype=ctype)
        assert r.status == 415, ctype
        assert r.error_code() == "UNSUPPORTED_MEDIA_TYPE"
    r = request("POST", "/v1/auth/register", body=b"{}")
    assert r.status == 415


def test_form_bodies_are_decoded_strictly():
    r = request("POST", "/v1/auth/register", body=b"a=%zz",
                ctype="application/x-www-form-urlencoded")
    assert r.status == 400
    assert r.error_code() == "VALIDATION_ERROR"
    r = request("POST", "/v1/auth/register", body=b"a=%00",
                ctype="application/x-www-form-urlencoded")
    assert r.status == 400


def test_bad_query_string_is_400_validation_error():
    for q in ["x=%zz", "x=%00", "x=%ff"]:
        r = request("GET", "/metrics?" + q)
        assert r.status == 400, q
        assert r.error_code() == "VALIDATION_ERROR"


def test_dot_segments_route_to_the_normalised_path():
    r = request("GET", "/v1/../health")
    assert r.status == 200 and r.json["status"] == "ok"
    r = request("GET", "/x/%2e%2e/health")
    assert r.status == 200 and r.json["status"] == "ok"
    r = request("GET", "//health/")
    assert r.status == 200


def test_invalid_utf8_in_the_path_is_a_clean_4xx():
    out = raw(b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    status = int(out.split(b" ", 2)[1])
    assert 400 <= status < 500
    body = out.split(b"\r\n\r\n", 1)[1]
    assert json.loads(body)["success"] is False


def test_garbage_cookies_and_missing_headers_do_not_break_requests():
    r = request("GET", "/health", headers={"Cookie": "\x01; ;=; a=\"b"})
    assert r.status == 200
    out = raw(b"GET /health HTTP/1.0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200")

