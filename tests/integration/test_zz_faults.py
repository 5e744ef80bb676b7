"""Faults on the real stack: a worker killed, PostgreSQL and memcached
stopped and started, SIGHUP reload, SIGTERM with a request in flight.
(Named zz so that it runs after the tests that want a quiet stack.)"""
import os
import signal
import subprocess
import threading
import time

from conftest import (ROOT, STACK, log_text, master_pid, metric_value,
                      metrics, psql, request, stack, wait_for, worker_pids)



def test_a_killed_worker_is_respawned_while_requests_go_on(healthy_stack):
    before = worker_pids()
    assert len(before) == 2
    results = []
    stop = threading.Event()

    def load():
        while not stop.is_set():
            try:
                results.append(request("GET", "/health", timeout=5).status)
            except OSError:
                results.append(0)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    os.kill(before[0], signal.SIGKILL)
    assert wait_for(lambda: len(worker_pids()) == 2 and
                    worker_pids() != before, timeout=10)
    time.sleep(0.5)
    mark = len(results)
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join()
    after = worker_pids()
    assert before[0] not in after and before[1] in after
    ok = results.count(200)
    # At most the request the killed worker held can fail.
    assert len(results) - ok <= 4, results
    assert all(s == 200 for s in results[mark:])
    assert '"event":"master.worker_died"' in log_text()
    assert metric_value(metrics(), "iam_worker_restarts_total") >= 1


def test_database_down_gives_503_then_recovers_without_restarts(healthy_stack):
    pids = worker_pids()
    stack("stop", "postgres")
    try:
        r = request("GET", "/health/ready")
        assert r.status == 503
        assert r.json["checks"]["database"]["status"] == "down"
        assert r.headers["retry-after"]
        assert request("GET", "/health").status == 200
    finally:
        stack("start", "postgres")
    # Every worker reconnects on its own: soon, answers are 200 in a row.
    assert wait_for(lambda: all(request("GET", "/health/ready").status == 200
                                for _ in range(8)), timeout=15)
    assert worker_pids() == pids


def test_memcached_down_keeps_serving_and_ready_says_degraded(healthy_stack):
    errors = metric_value(metrics(), "iam_memcached_errors_total")
    stack("stop", "memcached")
    try:
        for _ in range(5):
            r = request("GET", "/nope")
            assert r.status == 404
            assert "ratelimit-limit" not in r.headers
        r = request("GET", "/health/ready")
        assert r.status == 200
        assert r.json["status"] == "degraded"
        assert r.json["checks"]["memcached"]["status"] == "down"
        assert metric_value(metrics(), "iam_memcached_errors_total") > errors
    finally:
        stack("start", "memcached")
    assert wait_for(lambda: request("GET", "/health/ready").json["status"] == "ok",
                    timeout=10)
    assert "ratelimit-limit" in request("GET", "/nope").headers


def test_sighup_reloads_the_configuration(healthy_stack):
    conf = os.path.join(STACK, "iam.conf")
    with open(conf) as f:
        original = f.read()
    body = b"[" + b"1," * 1500 + b"1]"
    assert request("POST", "/v1/x", body=body, ctype="application/json").status == 404
    old = worker_pids()
    try:
        with open(conf, "a") as f:
            f.write("MAX_BODY_BYTES = 2048\n")
        os.kill(master_pid(), signal.SIGHUP)
        assert wait_for(lambda: set(worker_pids()).isdisjoint(old) and
                        len(worker_pids()) == 2)
        r = request("POST", "/v1/x", body=body, ctype="application/json")
        assert r.status == 413
    finally:
        with open(conf, "w") as f:
            f.write(original)
        os.kill(master_pid(), signal.SIGHUP)
    assert wait_for(lambda: request("POST", "/v1/x", body=body,
                                    ctype="application/json").status == 404)


def test_a_bad_configuration_on_sighup_keeps_the_old_one(healthy_stack):
    conf = os.path.join(STACK, "iam.conf")
    with open(conf) as f:
        original = f.read()
    old = worker_pids()
    try:
        with open(conf, "a") as f:
            f.write("NO_SUCH_KEY = 1\n")
        os.kill(master_pid(), signal.SIGHUP)
        assert wait_for(lambda: '"event":"master.reload_failed"' in log_text())
        assert worker_pids() == old
        assert request("GET", "/health").status == 200
    finally:
        with open(conf, "w") as f:
            f.write(original)


def test_sigterm_lets_the_request_in_flight_complete(healthy_stack):
    # Hold a lock on the row /health/ready reads, so its request is in a
    # worker, waiting, when the master is told to stop.
    locker = psql("BEGIN; LOCK TABLE instance IN ACCESS EXCLUSIVE MODE; "
                  "SELECT pg_sleep(2); COMMIT;")
    time.sleep(0.5)
    result = {}

    def slow():
        result["r"] = request("GET", "/health/ready", timeout=30)

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.5)
    assert t.is_alive(), "the request should be waiting on the lock"
    master = master_pid()
    os.kill(master, signal.SIGTERM)
    t.join(timeout=30)
    locker.wait(timeout=30)
    assert result["r"].status == 200
    assert result["r"].json["status"] == "ok"

    def gone():
        try:
            os.kill(master, 0)
            return False
        except ProcessLookupError:
            return True
    assert wait_for(gone, timeout=int(os.environ["SHUTDOWN_TIMEOUT"]) + 5)
    assert '"event":"master.draining"' in log_text()
    stack("start", "fcgi")
    assert wait_for(lambda: request("GET", "/health").status == 200)


def test_zz_every_migration_goes_down_and_up_again(healthy_stack):
    ctl = [os.path.join(os.environ["IAM_BIN"], "iamctl"), "-c",
           os.path.join(STACK, "iam.conf")]
    migrations = sorted(f for f in os.listdir(os.path.join(ROOT, "sql"))
                        if f.endswith(".up.sql"))
    r = run(ctl + ["migrate", "status"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("applied") == len(migrations)
    try:
        r = run(ctl + ["migrate", "down", str(len(migrations))])
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.stdout.count("reverted") == len(migrations)
        r = run(ctl + ["migrate", "status"])
        assert r.returncode == 3
        assert r.stdout.count("pending") == len(migrations)
        assert request("GET", "/health/ready").status == 503
    finally:
        r = run(ctl + ["migrate", "up"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("applied") == len(migrations)
    assert run(ctl + ["migrate", "status"]).returncode == 0
    assert request("GET", "/health/ready").status == 200
    # The schema was rebuilt under running workers: reload them so that
    # their keyrings match the new (empty, then regenerated) key table.
    old = worker_pids()
    os.kill(master_pid(), signal.SIGHUP)
    assert wait_for(lambda: set(worker_pids()).isdisjoint(old) and
                    len(worker_pids()) == 2)
    assert wait_for(lambda: request("GET", "/oauth2/jwks").json["keys"])


def run(args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run(args, capture_output=True, text=True, env=e)
