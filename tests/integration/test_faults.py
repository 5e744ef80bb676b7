"""Faults on the real stack: a worker killed, PostgreSQL and memcached
stopped and started, SIGHUP reload, SIGTERM with a request in flight, the
schema taken down and up.  They stop services the other tests need, so
they carry the destructive marker and run after every other test
(conftest.py orders them)."""
import os
import signal
import subprocess
import threading

import pytest

from conftest import (PASSWORD, ROOT, STACK, bearer, configured,
                      everywhere, log_cursor, login, master_pid,
                      metric_value, metrics, new_email, psql, psql_value,
                      register, request, session, stack, wait_for, wait_log,
                      worker_pids)

pytestmark = pytest.mark.destructive


def test_a_killed_worker_is_respawned_while_requests_go_on(healthy_stack):
    before = worker_pids()
    assert len(before) == 2
    restarts = metric_value(metrics(), "iam_worker_restarts_total")
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
    try:
        assert wait_for(lambda: len(results) >= 20, timeout=10)
        cursor = log_cursor()
        os.kill(before[0], signal.SIGKILL)
        assert wait_for(lambda: len(worker_pids()) == 2 and
                        worker_pids() != before, timeout=10)
        # Requests go on against the new generation: wait for 40 more
        # answers after the respawn, then look at them.
        mark = len(results)
        assert wait_for(lambda: len(results) >= mark + 40, timeout=10)
    finally:
        stop.set()
        for t in threads:
            t.join()
    after = worker_pids()
    assert before[0] not in after and before[1] in after
    ok = results.count(200)
    # At most the request the killed worker held can fail.
    assert len(results) - ok <= 4, results
    assert all(s == 200 for s in results[mark:])
    text = wait_log(cursor, '"event":"master.worker_died"')
    assert '"workerPid":"%d"' % before[0] in text
    assert metric_value(metrics(), "iam_worker_restarts_total") == restarts + 1


def test_a_worker_dying_young_is_respawned_with_a_doubling_backoff(
        healthy_stack):
    # Kill the same slot's worker as soon as it is back, three times: each
    # death within a second of its start doubles the delay (100, 200, 400
    # ms), as the master's log says.
    cursor = log_cursor()
    delays = []
    victim = worker_pids()[0]
    for _ in range(3):
        others = set(worker_pids()) - {victim}
        os.kill(victim, signal.SIGKILL)
        text = wait_log(cursor, '"workerPid":"%d"' % victim)
        line = [l for l in text.splitlines()
                if '"workerPid":"%d"' % victim in l][-1]
        delays.append(int(line.split('"respawnInMs":"')[1].split('"')[0]))
        assert wait_for(lambda: len(worker_pids()) == 2 and
                        victim not in worker_pids(), timeout=10)
        # The same slot's new worker: the next victim, killed young.
        (victim,) = set(worker_pids()) - others
    assert delays[0] in (0, 100)
    assert delays[1] == max(100, 2 * delays[0])
    assert delays[2] == 2 * delays[1]
    assert request("GET", "/health").status == 200


def test_database_down_gives_503_then_recovers_without_restarts(healthy_stack):
    email, _, d = session(new_email("pgdown"))
    token = d["accessToken"]
    assert everywhere("GET", "/v1/me", bearer(token)) == 200
    pids = worker_pids()
    stack("stop", "postgres")
    try:
        r = request("GET", "/health/ready")
        assert r.status == 503
        assert r.json["checks"]["database"]["status"] == "down"
        assert r.headers["retry-after"]
        assert request("GET", "/health").status == 200
        # The database routes: 503 SERVICE_UNAVAILABLE with Retry-After on
        # every worker, never a 500 and never a 401 for a good token.
        for method, path, body, h in (
                ("GET", "/v1/me", None, bearer(token)),
                ("POST", "/v1/auth/login",
                 {"email": email, "password": PASSWORD}, None),
                ("POST", "/v1/auth/refresh",
                 {"refreshToken": d["refreshToken"]}, None),
                ("POST", "/v1/auth/register",
                 {"email": new_email("nodb"), "password": PASSWORD}, None)):
            r = request(method, path, body=body, headers=h)
            assert r.status == 503, (path, r.body)
            assert r.error_code() == "SERVICE_UNAVAILABLE"
            assert int(r.headers["retry-after"]) > 0
        assert everywhere("GET", "/v1/me", bearer(token)) == 503
    finally:
        stack("start", "postgres")
    # Every worker reconnects on its own: the same token is good again on
    # each of them, and nothing was restarted.
    assert wait_for(lambda: all(request("GET", "/health/ready").status == 200
                                for _ in range(8)), timeout=15)
    assert wait_for(lambda: everywhere("GET", "/v1/me", bearer(token)) == 200,
                    timeout=15)
    assert login(email).status == 200
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


def test_rate_limit_fail_closed_answers_503_while_memcached_is_down(
        healthy_stack):
    with configured(RATE_LIMIT_FAIL="closed"):
        assert request("GET", "/nope").status == 404
        stack("stop", "memcached")
        try:
            for path in ("/nope", "/v1/me", "/oauth2/jwks"):
                r = request("GET", path)
                assert r.status == 503, (path, r.body)
                assert r.error_code() == "SERVICE_UNAVAILABLE"
                assert int(r.headers["retry-after"]) > 0
            r = request("GET", "/health/ready")
            assert r.status == 503
        finally:
            stack("start", "memcached")
        assert wait_for(lambda: request("GET", "/nope").status == 404,
                        timeout=10)
    # Back to the stack's own setting: open, served while memcached is away.
    stack("stop", "memcached")
    try:
        assert request("GET", "/nope").status == 404
    finally:
        stack("start", "memcached")


def test_an_account_lockout_survives_a_memcached_restart(healthy_stack):
    email, _ = register(new_email("lockmc"))
    threshold = int(os.environ.get("LOCKOUT_THRESHOLD", "5"))
    for i in range(threshold):
        assert login(email, "bad password %d" % i).status == 401
    assert login(email).status == 429
    stack("stop", "memcached")
    stack("start", "memcached")
    assert wait_for(lambda: request("GET", "/health/ready").json["status"] == "ok",
                    timeout=10)
    r = login(email)
    assert r.status == 429 and r.error_code() == "TOO_MANY_ATTEMPTS"
    assert int(r.headers["retry-after"]) > 0


def test_sighup_reloads_the_configuration(healthy_stack):
    body = b"[" + b"1," * 1500 + b"1]"
    assert request("POST", "/v1/x", body=body, ctype="application/json").status == 404
    with configured(MAX_BODY_BYTES="2048"):
        assert everywhere("POST", "/v1/x", {"Content-Type": "application/json"},
                          body) == 413
    assert everywhere("POST", "/v1/x", {"Content-Type": "application/json"},
                      body) == 404


def test_a_bad_configuration_on_sighup_keeps_the_old_one(healthy_stack):
    conf = os.path.join(STACK, "iam.conf")
    with open(conf) as f:
        original = f.read()
    old = worker_pids()
    cursor = log_cursor()
    try:
        with open(conf, "a") as f:
            f.write("NO_SUCH_KEY = 1\n")
        os.kill(master_pid(), signal.SIGHUP)
        text = wait_log(cursor, '"event":"master.reload_failed"')
        assert "NO_SUCH_KEY" in text
        assert worker_pids() == old
        assert request("GET", "/health").status == 200
    finally:
        with open(conf, "w") as f:
            f.write(original)
    assert worker_pids() == old


def _waiting_on_lock():
    return psql_value("SELECT count(*) FROM pg_stat_activity WHERE "
                      "wait_event_type = 'Lock' AND datname = 'iam'") != "0"


def _lock_held():
    return psql_value("SELECT count(*) FROM pg_locks l JOIN pg_class c ON "
                      "c.oid = l.relation WHERE c.relname = 'instance' AND "
                      "l.mode = 'AccessExclusiveLock' AND l.granted") != "0"


def test_sigterm_lets_the_request_in_flight_complete(healthy_stack):
    # Hold a lock on the row /health/ready reads, so its request is in a
    # worker, waiting, when the master is told to stop.
    locker = psql("BEGIN; LOCK TABLE instance IN ACCESS EXCLUSIVE MODE; "
                  "SELECT pg_sleep(3); COMMIT;")
    assert wait_for(_lock_held, timeout=10), "the lock was never taken"
    result = {}

    def slow():
        result["r"] = request("GET", "/health/ready", timeout=30)

    t = threading.Thread(target=slow)
    t.start()
    assert wait_for(_waiting_on_lock, timeout=10), \
        "the request never waited on the lock"
    assert t.is_alive()
    master = master_pid()
    cursor = log_cursor()
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
    wait_log(cursor, '"event":"master.draining"')
    stack("start", "fcgi")
    assert wait_for(lambda: request("GET", "/health").status == 200)


@pytest.mark.last
def test_every_migration_goes_down_and_up_again(healthy_stack):
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
