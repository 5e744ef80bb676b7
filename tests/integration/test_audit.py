"""The audit log: every admin action recorded, queries and their filters,
and the hash chain, verified and then broken in PostgreSQL on purpose."""
import subprocess
import time

import pytest

import threading

from conftest import (add_member, iamctl, new_email, onboard, psql,
                      psql_value, register, wait_for)


@pytest.fixture(scope="module")
def org():
    return onboard()


def events(who, query=""):
    r = who.call("GET", "/v1/admin/audit-logs?limit=100&" + query)
    assert r.status == 200, r.body
    return r.json


def test_admin_actions_are_audited_with_their_actor(org):
    m = add_member(org, ["user"])
    org.call("PATCH", "/v1/admin/users/%s" % m.id, {"lastName": "Changed"})
    org.call("PUT", "/v1/admin/users/%s/roles" % m.id,
             {"roles": ["moderator"]})
    org.call("POST", "/v1/admin/users/%s/revoke-sessions" % m.id)
    org.call("PATCH", "/v1/admin/organisation", {"name": "Audited"})
    org.call("POST", "/v1/admin/invitations", {"email": new_email(),
                                               "role": "user"})
    acts = [e["action"] for e in events(org)["data"]]
    for a in ("user.create", "user.update", "user.roles",
              "user.sessions_revoke", "organisation.update",
              "invitation.create", "organisation.onboard", "auth.login"):
        assert a in acts, a
    roles = events(org, "action=user.roles")["data"][0]
    assert roles["actor"] == {"type": "user", "id": org.id,
                              "email": org.email}
    assert roles["target"] == {"type": "user", "id": m.id}
    assert roles["details"] == {"from": ["user"], "to": ["moderator"]}
    assert roles["category"] == "user" and roles["success"] is True
    assert set(roles) == {"id", "createdAt", "action", "category", "success",
                          "actor", "target", "ip", "userAgent", "details"}


def test_filters_and_one_entry(org):
    m = add_member(org, ["user"])
    all_ = events(org)
    assert all_["meta"]["total"] >= len(all_["data"]) > 3
    ids = [e["id"] for e in all_["data"]]
    assert ids == sorted(ids, reverse=True)
    r = events(org, "category=user")
    assert r["data"] and all(e["category"] == "user" for e in r["data"])
    assert r["meta"]["total"] == len(r["data"])
    r = events(org, "action=user.create")
    assert r["meta"]["total"] == len(r["data"]) >= 1
    r = events(org, "actor=" + m.id)
    assert [e["action"] for e in r["data"]] == ["auth.login"]
    r = events(org, "target=" + m.id)
    assert "user.create" in [e["action"] for e in r["data"]]
    r = events(org, "success=true&action=auth.login")
    assert all(e["success"] for e in r["data"])
    r = events(org, "since=2000-01-01&until=2001-01-01")
    assert r["data"] == [] and r["meta"]["total"] == 0
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 5))
    r = events(org, "until=" + now)
    assert r["meta"]["total"] == all_["meta"]["total"]
    one = all_["data"][0]
    r = org.call("GET", "/v1/admin/audit-logs/%s" % one["id"])
    assert r.status == 200 and r.json["data"] == one
    for bad in ("12", "not-a-uuid", one["id"].upper() + "0"):
        assert org.call("GET", "/v1/admin/audit-logs/" + bad).status == 404
    # Secrets never reach the log.
    from conftest import PASSWORD
    assert PASSWORD not in str(all_)


def newest_event():
    return psql_value("SELECT id FROM audit_log ORDER BY created_at DESC "
                      "LIMIT 1")


def test_the_log_is_append_only_in_the_database():
    register()      # at least one row, whatever ran before
    assert iamctl("audit", "chain").returncode == 0    # and its link
    for sql in ("UPDATE audit_log SET action = 'x' WHERE id = '%s'",
                "DELETE FROM audit_log WHERE id = '%s'",
                "UPDATE audit_links SET seq = 0 WHERE event_id = '%s'"):
        # even the superuser meets the guard outside the purge
        p = psql(sql % newest_event(), stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, text=True)
        _, err = p.communicate(timeout=30)
        assert p.returncode != 0 and "append-only" in err, err


def test_the_runtime_role_cannot_rewrite_history():
    register()
    ev = newest_event()
    assert psql_value("SELECT rolsuper FROM pg_roles WHERE rolname = 'iam'"
                      ) == "f"
    refused = {
        "UPDATE audit_log SET action = 'x' WHERE id = '%s'" % ev:
            "permission denied for table audit_log",
        "DELETE FROM audit_log WHERE id = '%s'" % ev:
            "permission denied for table audit_log",
        "TRUNCATE audit_log": "permission denied for table audit_log",
        "UPDATE audit_links SET mac = mac": "permission denied",
        "DELETE FROM audit_links": "permission denied",
        "DELETE FROM audit_anchor": "permission denied",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_guard": "must be owner",
        "ALTER TABLE audit_log ADD COLUMN x int": "must be owner",
        "DROP TABLE audit_links": "must be owner",
        "CREATE TABLE scratch (x int)": "permission denied for schema",
        "SET session_replication_role = replica": "permission denied",
    }
    for sql, why in refused.items():
        p = psql(sql, user="iam", stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, text=True)
        _, err = p.communicate(timeout=30)
        assert p.returncode != 0 and why in err, (sql, err)
    # ...while what the server does still works as that role
    assert psql_value("SELECT count(*) FROM audit_log WHERE id = '%s'" % ev,
                      user="iam") == "1"


def verify(who):
    r = who.call("GET", "/v1/admin/audit-logs/verify")
    assert r.status == 200, r.body
    return r.json["data"]


def org_events(org_id):
    return int(psql_value("SELECT count(*) FROM audit_log WHERE "
                          "organisation_id = '%s'" % org_id))


def forget_chain(org_id):
    """Takes a chain a test broke out of the database whole (its events,
    links and anchor), so every other chain still verifies."""
    psql_value("SET session_replication_role = replica; "
               "DELETE FROM audit_links WHERE chain = '%s'; "
               "DELETE FROM audit_anchor WHERE chain = '%s'; "
               "DELETE FROM audit_log WHERE organisation_id = '%s'; "
               "DELETE FROM audit_counts WHERE organisation_id = '%s'"
               % ((org_id,) * 4))


def test_verify_names_the_first_altered_row():
    org = onboard()
    try:
        tamper_and_verify(org)
    finally:
        forget_chain(org.org)
    assert iamctl("audit", "verify").returncode == 0


def tamper_and_verify(org):
    # Events of its own, whatever ran before.
    for i in range(10):
        assert org.call("PATCH", "/v1/admin/organisation",
                        {"name": "Verified %d" % i}).status == 200
    v = verify(org)
    assert v["valid"] is True and v["firstBrokenId"] is None
    # its own chain: every event of the organisation, nothing else
    assert v["checked"] == org_events(org.org) >= 10
    cli = iamctl("audit", "verify")
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "%s valid checked=" % org.org in cli.stdout
    victim = events(org, "action=organisation.onboard")["data"][0]["id"]
    before = psql_value("SELECT details::text FROM audit_log WHERE id = '%s'"
                        % victim)
    # A superuser can switch the guard off; the chain still tells.
    psql_value("SET session_replication_role = replica; UPDATE audit_log "
               "SET details = '{\"forged\": true}' WHERE id = '%s'" % victim)
    try:
        v = verify(org)
        assert v == {"valid": False, "checked": v["checked"],
                     "firstBrokenId": victim}
        cli = iamctl("audit", "verify")
        assert cli.returncode == 1 and victim in cli.stdout
        # Recomputing the chain the old way (plain SHA-256 over the row)
        # does not help: the links are keyed.
        psql_value(
            "SET session_replication_role = replica; UPDATE audit_links l "
            "SET mac = sha256(l.prev_mac || convert_to(a::text, 'UTF8')) "
            "FROM audit_log a WHERE a.id = l.event_id AND l.chain = '%s'"
            % org.org)
        assert verify(org)["valid"] is False
    finally:
        psql_value("SET session_replication_role = replica; UPDATE "
                   "audit_log SET details = '%s' WHERE id = '%s'"
                   % (before.replace("'", "''"), victim))
    assert verify(org)["valid"] is False     # the forged MACs stay forged


def test_removed_and_unlinked_events_are_named():
    made = []
    try:
        removed_and_unlinked(made)
    finally:
        for o in made:
            forget_chain(o.org)
    assert iamctl("audit", "verify").returncode == 0


def removed_and_unlinked(made):
    o = onboard()
    made.append(o)
    for i in range(4):
        assert o.call("PATCH", "/v1/admin/organisation",
                      {"name": "Linked %d" % i}).status == 200
    assert verify(o)["valid"] is True
    ids = psql_value(
        "SELECT string_agg(event_id::text, ',' ORDER BY seq) FROM "
        "audit_links WHERE chain = '%s'" % o.org).split(",")
    assert len(ids) >= 5
    # An event taken out with its link: the next link has a gap.
    psql_value("SET session_replication_role = replica; DELETE FROM "
               "audit_log WHERE id = '%s'; DELETE FROM audit_links WHERE "
               "event_id = '%s'" % (ids[2], ids[2]))
    v = verify(o)
    assert v["valid"] is False and v["firstBrokenId"] == ids[3]
    # An event taken out, its link left: that event is named.
    o2 = onboard()
    made.append(o2)
    o2.call("PATCH", "/v1/admin/organisation", {"name": "Linked x"})
    assert verify(o2)["valid"] is True
    ev = psql_value("SELECT event_id FROM audit_links WHERE chain = '%s' "
                    "ORDER BY seq LIMIT 1" % o2.org)
    psql_value("SET session_replication_role = replica; DELETE FROM "
               "audit_log WHERE id = '%s'" % ev)
    assert verify(o2) == {"valid": False, "checked": 0, "firstBrokenId": ev}
    # An event slipped in past the chainer (no pending row, no link).
    o3 = onboard()
    made.append(o3)
    assert verify(o3)["valid"] is True
    forged = psql_value(
        "SET session_replication_role = replica; INSERT INTO audit_log "
        "SELECT uuid7(now()), now(), '%s', 'user.update', 'user', true, "
        "'system', NULL, NULL, NULL, NULL, NULL, NULL, '{}', NULL, "
        "'\\x00', NULL RETURNING id" % o3.org).splitlines()[0]
    v = verify(o3)
    assert v["valid"] is False and v["firstBrokenId"] == forged
    # None of this shows in another organisation's verification.
    clean = onboard()
    v = verify(clean)
    assert v["valid"] is True and v["checked"] == org_events(clean.org)
    r = iamctl("audit", "verify")
    assert r.returncode == 1
    assert "%s valid" % clean.org in r.stdout
    for bad in (o, o2, o3):
        assert "%s broken" % bad.org in r.stdout


def test_two_organisations_writing_at_once_lose_nothing():
    a, b = onboard(), onboard()
    before = {o.org: org_events(o.org) for o in (a, b)}
    sent = {a.org: 0, b.org: 0}
    lock = threading.Lock()
    stop = time.time() + 10

    def write(o, n):
        i = 0
        while time.time() < stop:
            i += 1
            r = o.call("PATCH", "/v1/admin/organisation",
                       {"name": "Busy %d %d" % (n, i)})
            if r.status == 200:
                with lock:
                    sent[o.org] += 1

    ts = [threading.Thread(target=write, args=(o, n))
          for n, o in enumerate([a, b] * 4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for o in (a, b):
        assert sent[o.org] > 20
        assert org_events(o.org) == before[o.org] + sent[o.org]
        v = verify(o)
        assert v["valid"] is True, v
        assert v["checked"] == before[o.org] + sent[o.org]
    # the chainer linked them (not only verify): nothing left pending
    assert wait_for(lambda: psql_value(
        "SELECT count(*) FROM audit_pending") == "0", timeout=10)


def test_ids_are_uuidv7_in_time_order(org):
    # RFC 9562 appendix A.6: the example UUIDv7 from its fields.
    assert psql_value(
        "SELECT uuid7_make(1645557742000, x'CC3'::int, "
        "'\\x18C4DC0C0C07398F'::bytea)"
    ) == "017f22e2-79b0-7cc3-98c4-dc0c0c07398f"
    org.call("PATCH", "/v1/admin/organisation", {"name": "Seven"})
    rows = psql_value(
        "SELECT id || ' ' || floor(extract(epoch FROM created_at) * 1000)"
        "::bigint FROM audit_log WHERE organisation_id = '%s' "
        "ORDER BY created_at" % org.org).splitlines()
    ids = [r.split()[0] for r in rows]
    for r in rows:
        uid, ms = r.split()
        assert uid[14] == "7" and uid[19] in "89ab", uid
        assert int(uid.replace("-", "")[:12], 16) == int(ms)
    assert ids == sorted(ids)


def test_personal_fields_are_erasable_and_guarded():
    o = onboard()
    m = add_member(o, ["user"])      # logs in: an event with ip and agent
    assert verify(o)["valid"] is True
    n = int(psql_value("SELECT count(*) FROM audit_log WHERE actor_id = '%s'"
                       % m.id))
    assert n >= 1
    # Altering a personal field is caught (the digest covers it).
    ev = psql_value("SELECT id FROM audit_log WHERE actor_id = '%s' LIMIT 1"
                    % m.id)
    ip = psql_value("SELECT ip FROM audit_log WHERE id = '%s'" % ev)
    psql_value("SET session_replication_role = replica; UPDATE audit_log "
               "SET ip = '203.0.113.9' WHERE id = '%s'" % ev)
    v = verify(o)
    assert v["valid"] is False and v["firstBrokenId"] == ev
    psql_value("SET session_replication_role = replica; UPDATE audit_log "
               "SET ip = '%s' WHERE id = '%s'" % (ip, ev))
    assert verify(o)["valid"] is True
    # The runtime role cannot erase; the owner can, and the chain holds.
    r = iamctl("audit", "erase", "--user", m.id,
               env={"DATABASE_OWNER_URL": ""})
    assert r.returncode != 0
    r = iamctl("audit", "erase", "--user", m.id)
    assert r.returncode == 0 and "of %d events" % n in r.stdout, r.stdout
    assert psql_value(
        "SELECT count(*) FROM audit_log WHERE actor_id = '%s' AND "
        "(actor_email IS NOT NULL OR ip IS NOT NULL OR user_agent IS NOT "
        "NULL OR personal_salt IS NOT NULL)" % m.id) == "0"
    assert verify(o)["valid"] is True
    # the erase changes nothing else: the guard lets only it through
    p = psql("SET iam.audit_erase = 'on'; UPDATE audit_log SET action = 'x' "
             "WHERE id = '%s'" % ev, stdout=subprocess.PIPE,
             stderr=subprocess.PIPE, text=True)
    _, err = p.communicate(timeout=30)
    assert p.returncode != 0 and "append-only" in err


def test_chain_key_rotation_keeps_old_links_verifiable():
    org = onboard()
    org.call("PATCH", "/v1/admin/organisation", {"name": "Before rotation"})
    assert verify(org)["valid"] is True
    old = int(psql_value("SELECT max(version) FROM audit_keys"))
    r = iamctl("audit", "rotate-key")
    assert r.returncode == 0 and "version %d" % (old + 1) in r.stdout
    # sealed, never in the clear: the row is not the key
    assert psql_value("SELECT length(sealed) FROM audit_keys WHERE "
                      "version = %d" % (old + 1)) == str(32 + 28)
    # the chainer picks the new key up within its reload (60 s); verify
    # links what is pending with the newest key at once
    org.call("PATCH", "/v1/admin/organisation", {"name": "After rotation"})
    assert verify(org)["valid"] is True
    r = iamctl("audit", "verify")
    assert r.returncode == 0, r.stdout
    assert psql_value("SELECT count(*) FROM audit_links WHERE chain = '%s' "
                      "AND key_version = %d" % (org.org, old)) != "0"
