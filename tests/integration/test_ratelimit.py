"""The RATE_MAX bucket: headers, the 429 answer, and one limit across
workers (the counters live in memcached, not in a worker)."""
import os

from conftest import fresh_ip, request, wait_for

RATE_MAX = int(os.environ["RATE_MAX"])


def _fresh_window():
    """Waits (bounded by one window) until the current fixed window has
    at least 5 s left."""
    window = int(os.environ["RATE_WINDOW_SEC"])
    assert wait_for(lambda: int(request("GET", "/nope", ip=fresh_ip())
                                .headers["ratelimit-reset"]) >= 5,
                    timeout=window + 2, step=0.25)


def test_the_answer_after_rate_max_requests_is_429_with_headers():
    _fresh_window()
    ip = fresh_ip()
    seen = []
    prefixes = set()
    for i in range(RATE_MAX):
        r = request("GET", "/nope", ip=ip)
        assert r.status == 404, (i, r.status)
        assert int(r.headers["ratelimit-limit"]) == RATE_MAX
        seen.append(int(r.headers["ratelimit-remaining"]))
        prefixes.add(r.headers["x-request-id"].split("-")[0])
    # One count shared by every worker: remaining falls by exactly one.
    assert seen == list(range(RATE_MAX - 1, -1, -1))
    assert len(prefixes) >= 2, "requests should have reached both workers"
    r = request("GET", "/nope", ip=ip)
    assert r.status == 429
    assert r.error_code() == "RATE_LIMIT_EXCEEDED"
    retry = int(r.headers["retry-after"])
    assert 1 <= retry <= 60
    assert r.json["error"]["details"] == [{"retryAfter": retry}]
    assert r.headers["ratelimit-remaining"] == "0"
    assert int(r.headers["ratelimit-reset"]) == retry
    # Limited on every counted route, not just the one that tripped it.
    r = request("GET", "/metrics", ip=ip)
    assert r.status == 429


def test_other_clients_and_health_checks_are_not_limited():
    _fresh_window()
    ip = fresh_ip()
    for _ in range(RATE_MAX + 1):
        request("GET", "/nope", ip=ip)
    assert request("GET", "/nope", ip=ip).status == 429
    assert request("GET", "/nope", ip=fresh_ip()).status == 404
    for _ in range(5):
        r = request("GET", "/health", ip=ip)
        assert r.status == 200
        assert "ratelimit-limit" not in r.headers
    assert request("GET", "/health/ready", ip=ip).status == 200


def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored():
    # The stack trusts 127.0.0.0/8; the right-most untrusted entry counts,
    # so a client adding its own entries on the left changes nothing.
    _fresh_window()
    ip = fresh_ip()
    for i in range(RATE_MAX + 1):
        r = request("GET", "/nope", ip="203.0.113.%d, %s" % (i % 250 + 1, ip))
    assert r.status == 429
