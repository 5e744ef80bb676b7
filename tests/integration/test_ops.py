"""Operations: readiness, metrics access and totals, the access log."""
import os
import re

from conftest import (log_cursor, metric_value, metrics, request, wait_log,
                      worker_pids)

TOKEN = os.environ["METRICS_TOKEN"]


def test_ready_reports_database_and_memcached():
    r = request("GET", "/health/ready")
    assert r.status == 200
    assert r.json["status"] == "ok"
    assert r.json["checks"]["database"]["status"] == "up"
    assert r.json["checks"]["database"]["latencyMs"] >= 0
    assert r.json["checks"]["memcached"]["status"] == "up"


def test_metrics_needs_the_token_or_an_allowed_address():
    r = request("GET", "/metrics")
    assert r.status == 403
    assert r.error_code() == "FORBIDDEN"
    r = request("GET", "/metrics", headers={"Authorization": "Bearer wrong"})
    assert r.status == 403
    r = request("GET", "/metrics", headers={"Authorization": "Bearer " + TOKEN + "x"})
    assert r.status == 403
    r = request("GET", "/metrics", headers={"Authorization": "Basic " + TOKEN})
    assert r.status == 403
    r = request("GET", "/metrics", headers={"Authorization": "Bearer " + TOKEN})
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/plain")


def test_metrics_sum_requests_over_all_workers():
    before = metric_value(metrics(),
                          'iam_http_requests_total{method="GET",route="/health",code="200"}')
    prefixes = set()
    for _ in range(30):
        prefixes.add(request("GET", "/health").headers["x-request-id"].split("-")[0])
    assert len(prefixes) >= 2
    text = metrics()
    after = metric_value(text,
                         'iam_http_requests_total{method="GET",route="/health",code="200"}')
    assert after - before == 30
    assert metric_value(text, "iam_workers") == len(worker_pids()) == 2
    assert metric_value(text, "iam_http_request_duration_seconds_count") > 0
    for name in ["iam_rate_limited_total", "iam_database_errors_total",
                 'iam_logins_total{result="ok"}', 'iam_tokens_total{event="issued"}']:
        assert re.search("^" + re.escape(name) + r" \d+$", text, re.M), name


def test_access_log_has_request_id_and_never_the_query_string():
    rid = "trace-me-%d" % os.getpid()
    cursor = log_cursor()
    r = request("GET", "/nope?token=secret-value-42",
                headers={"X-Request-Id": rid})
    assert r.status == 404
    assert r.headers["x-request-id"] == rid
    text = wait_log(cursor, '"requestId":"%s"' % rid)
    assert "secret-value-42" not in text
    line = [l for l in text.splitlines() if rid in l][-1]
    assert '"event":"http.access"' in line
    assert '"status":404' in line
    assert '"path":"/nope"' in line
