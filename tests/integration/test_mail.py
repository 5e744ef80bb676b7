"""Mail through a real SMTP server on loopback (aiosmtpd), delivery that
survives a relay that is down and a mailer that is killed, hash upgrades
and the audit chain."""
import hashlib
import base64
import os
import signal
import socket
import subprocess
import time

import pytest
from aiosmtpd.controller import Controller

from conftest import (PASSWORD, STACK, link_token, login, new_email, psql_value,
                      register, request, stack, wait_for)


class Box:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def smtp_mailer():
    """Swaps the stack's file mailer for one speaking SMTP to port."""
    port = free_port()
    stack("stop", "mailer")
    env = dict(os.environ, MAIL_TRANSPORT="smtp", SMTP_PORT=str(port),
               SMTP_HOST="127.0.0.1", EMAIL_FROM="iam@test.example")
    cmd = [os.path.join(STACK, "bin", "iam-mailer"), "-c", os.path.join(STACK, "iam.conf")]
    if os.geteuid() == 0:
        # setpriv execs in place, so terminate() reaches the mailer itself.
        cmd = ["setpriv", "--reuid=iam", "--regid=iam", "--init-groups", "--"] + cmd
    log = open(os.path.join(STACK, "log", "mailer-smtp.log"), "a")
    procs = []

    def start():
        p = subprocess.Popen(cmd, env=env, stdout=log, stderr=log)
        procs.append(p)
        return p
    try:
        yield port, start
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=10)
        stack("start", "mailer")


def test_verification_mail_reaches_a_real_smtp_server_and_its_link_works(smtp_mailer):
    port, start = smtp_mailer
    box = Box()
    ctl = Controller(box, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        start()
        email, uid = register(new_email("smtp"))
        assert wait_for(lambda: any(email in m[1] for m in box.messages), timeout=15)
        mail_from, rcpt, content = [m for m in box.messages if email in m[1]][0]
        assert mail_from == "iam@test.example" and rcpt == [email]
        assert "Subject: Verify your email address" in content
        base, token = link_token(content.replace("\n", "\r\n"), "/verify-email")
        assert base == os.environ["IAM_TEST_URL"]
        r = request("POST", "/v1/auth/verify-email", body={"token": token})
        assert r.status == 200
        assert login(email).json["data"]["user"]["emailVerified"] is True
    finally:
        ctl.stop()


def test_nothing_is_lost_while_the_relay_is_down_or_the_mailer_dies(smtp_mailer):
    port, start = smtp_mailer
    p = start()
    email, uid = register(new_email("retry"))
    # The relay is down: the message is kept and rescheduled, with the error.
    assert wait_for(lambda: psql_value(
        "SELECT attempts > 0 AND last_error IS NOT NULL AND sent_at IS NULL "
        "FROM email_outbox WHERE to_addr = '%s'" % email) == "t", timeout=15)
    # Kill the mailer outright; a new one must still deliver it.
    p.send_signal(signal.SIGKILL)
    p.wait()
    box = Box()
    ctl = Controller(box, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        psql_value("UPDATE email_outbox SET next_attempt_at = now() "
                   "WHERE to_addr = '%s'" % email)
        start()
        assert wait_for(lambda: any(email in m[1] for m in box.messages), timeout=15)
        assert wait_for(lambda: psql_value(
            "SELECT sent_at IS NOT NULL FROM email_outbox WHERE to_addr = '%s'"
            % email) == "t")
    finally:
        ctl.stop()


def libscrypt_mcf(password, n, r, p):
    """A hash in libscrypt's MCF form, made independently (hashlib)."""
    salt = os.urandom(16)
    dk = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=64,
                        maxmem=256 * 1024 * 1024)
    params = ((n.bit_length() - 1) << 16) | (r << 8) | p
    return "$s1$%06x$%s$%s" % (params, base64.b64encode(salt).decode(),
                               base64.b64encode(dk).decode())


def test_a_hash_with_old_parameters_is_upgraded_at_login():
    email, uid = register(new_email("upgrade"))
    old = libscrypt_mcf(PASSWORD, 1024, 8, 1)
    psql_value("UPDATE users SET password_hash = '%s' WHERE id = '%s'" % (old, uid))
    assert login(email, "wrong password here").status == 401
    assert psql_value("SELECT password_hash FROM users WHERE id = '%s'" % uid) == old
    assert login(email).status == 200
    new = psql_value("SELECT password_hash FROM users WHERE id = '%s'" % uid)
    assert new != old and new.startswith("$s1$0e0805$")
    assert login(email).status == 200


def test_the_audit_log_is_a_chain():
    email, _ = register(new_email("audit"))
    refresh = login(email).json["data"]["refreshToken"]
    login(email, "wrong password here")
    # The chainer links every event into its organisation's chain.
    assert wait_for(lambda: psql_value(
        "SELECT count(*) FROM audit_log a WHERE NOT EXISTS (SELECT 1 FROM "
        "audit_links l WHERE l.event_id = a.id)") == "0", timeout=10)
    assert int(psql_value("SELECT count(*) FROM audit_log")) >= 3
    actions = psql_value("SELECT string_agg(action || ':' || success, ',' ORDER BY "
                         "created_at) FROM audit_log WHERE actor_email = '%s'" % email)
    assert actions.split(",")[-3:] == ["user.register:true", "auth.login:true",
                                       "auth.login_failed:false"]
    # Nothing secret in any row: neither the passwords tried nor a token.
    for secret in [PASSWORD, "wrong password here", refresh]:
        assert psql_value("SELECT count(*) FROM audit_log WHERE strpos("
                          "audit_log::text, '%s') > 0" % secret) == "0"


def test_the_mailer_prepares_only_its_own_statements():
    """iam-mailer connects with the outbox's statements and the
    connection's own (begin, commit, ...), not the server's: each program
    prepares only the statement sets it uses."""
    import json

    def counts(path, component):
        seen = []
        with open(os.path.join(STACK, "log", path)) as f:
            for line in f:
                if '"event":"db.connected"' not in line:
                    continue
                ev = json.loads(line)
                if ev.get("component") == component and \
                        "statements" in ev:
                    seen.append(int(ev["statements"]))
        return seen

    mailer = counts("mailer.log", "mailer")
    workers = counts("iam.log", "worker")
    assert mailer and workers, (mailer, workers)
    # begin, commit, rollback, ping, instance, and claim, sent, retry.
    assert set(mailer) == {8}, mailer
    # The server's sets: every area's but the mailer's.
    assert min(workers) > 100, workers
