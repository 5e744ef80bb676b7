"""The audit log: every admin action recorded, queries and their filters,
and the hash chain, verified and then broken in PostgreSQL on purpose."""
import subprocess
import time

import pytest

from conftest import (add_member, iamctl, new_email, onboard, psql,
                      psql_value, register)


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
    r = org.call("GET", "/v1/admin/audit-logs/%d" % one["id"])
    assert r.status == 200 and r.json["data"] == one
    # Secrets never reach the log.
    from conftest import PASSWORD
    assert PASSWORD not in str(all_)


def test_the_log_is_append_only_in_the_database():
    register()      # at least one row, whatever ran before
    p = psql("UPDATE audit_log SET action = 'x' WHERE id = "
             "(SELECT max(id) FROM audit_log)",
             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err = p.communicate(timeout=30)
    assert p.returncode != 0 and "append-only" in err
    p = psql("DELETE FROM audit_log WHERE id = (SELECT max(id) FROM "
             "audit_log)",
             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err = p.communicate(timeout=30)
    assert p.returncode != 0 and "append-only" in err


def test_verify_names_the_first_altered_row(org):
    # Events of its own, whatever ran before.
    for i in range(10):
        assert org.call("PATCH", "/v1/admin/organisation",
                        {"name": "Verified %d" % i}).status == 200
    r = org.call("GET", "/v1/admin/audit-logs/verify")
    assert r.status == 200
    v = r.json["data"]
    assert v["valid"] is True and v["firstBrokenId"] is None
    assert v["checked"] >= 10
    cli = iamctl("audit", "verify")
    assert cli.returncode == 0, cli.stderr
    victim = events(org, "action=organisation.onboard")["data"][0]["id"]
    before = psql_value("SELECT details::text FROM audit_log WHERE id = %d"
                        % victim)
    # A superuser can switch the guard off; the chain still tells.
    psql_value("SET session_replication_role = replica; UPDATE audit_log "
               "SET details = '{\"forged\": true}' WHERE id = %d" % victim)
    try:
        v = org.call("GET", "/v1/admin/audit-logs/verify").json["data"]
        assert v == {"valid": False, "checked": v["checked"],
                     "firstBrokenId": victim}
        cli = iamctl("audit", "verify")
        assert cli.returncode == 1 and str(victim) in cli.stdout
    finally:
        psql_value("SET session_replication_role = replica; UPDATE "
                   "audit_log SET details = '%s' WHERE id = %d"
                   % (before.replace("'", "''"), victim))
    assert org.call("GET", "/v1/admin/audit-logs/verify").json["data"][
        "valid"] is True
    # A row taken out breaks the link of the row after it.
    nxt = int(psql_value("SELECT min(id) FROM audit_log WHERE id > %d"
                         % victim))
    row = psql_value("SELECT row_to_json(a)::text FROM audit_log a "
                     "WHERE id = %d" % victim)
    psql_value("SET session_replication_role = replica; DELETE FROM "
               "audit_log WHERE id = %d" % victim)
    try:
        v = org.call("GET", "/v1/admin/audit-logs/verify").json["data"]
        assert v["valid"] is False and v["firstBrokenId"] == nxt
    finally:
        psql_value("SET session_replication_role = replica; INSERT INTO "
                   "audit_log SELECT * FROM json_populate_record(NULL::"
                   "audit_log, '%s')" % row.replace("'", "''"))
    assert org.call("GET", "/v1/admin/audit-logs/verify").json["data"][
        "valid"] is True
