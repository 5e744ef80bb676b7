"""Templates an operator brands: TEMPLATE_OVERRIDE_DIR replaces shipped
files without recompiling, is read on SIGHUP, and a broken template stops
a start (one line naming it) or a reload (the running set stays)."""
import os
import shutil
import signal
import subprocess
import tempfile

import pytest

from conftest import (STACK, Browser, configured, log_cursor, master_pid,
                      request, wait_log, worker_pids)

BIN = os.environ["IAM_BIN"]
CONF = os.path.join(STACK, "iam.conf")


@pytest.fixture
def override():
    d = tempfile.mkdtemp(prefix="iam-brand-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def write(d, name, text):
    p = os.path.join(d, name)
    with open(p, "w") as f:
        f.write(text)
    os.chmod(p, 0o644)


def test_a_broken_template_stops_the_start_with_one_line_naming_it(override):
    write(override, "login.html", "<form>{{#error}}unclosed</form>")
    env = dict(os.environ, TEMPLATE_OVERRIDE_DIR=override)
    r = subprocess.run([os.path.join(BIN, "iam-fcgi"), "-n", "-c", CONF],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("iam-fcgi: template %s/login.html:" % override)
    assert "never closed" in lines[0]
    write(override, "login.html", "{{{raw}}}")
    r = subprocess.run([os.path.join(BIN, "iam-fcgi"), "-n", "-c", CONF],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 1 and "no raw output" in r.stderr


@pytest.mark.destructive
def test_branded_templates_apply_on_sighup_and_a_broken_one_keeps_the_running_set(override):
    write(override, "message.html",
          '<p class="brand-msg">ACME says: {{message}}</p>')
    with configured(TEMPLATE_OVERRIDE_DIR=override):
        b = Browser()
        r = b.get("/reset-password")       # no token: a message page
        assert r.status == 400
        assert "ACME says: This link is incomplete" in r.text
        # the other pages are the shipped ones
        assert 'action="/login"' in b.get("/login").text
        # now break it: the reload is refused, the workers stay
        write(override, "message.html", "{{#message}}")
        before = set(worker_pids())
        cur = log_cursor()
        os.kill(master_pid(), signal.SIGHUP)
        text = wait_log(cur, "master.reload_failed")
        assert "message.html" in text and "never closed" in text
        assert set(worker_pids()) == before
        r = Browser().get("/reset-password")
        assert "ACME says:" in r.text
    r = Browser().get("/reset-password")
    assert "ACME says:" not in r.text and r.status == 400
