"""No password, token or secret in any log line of the whole run: every
secret the tests sent or were given (conftest.SECRETS), the stack's
encryption key and metrics token, looked for in every log the stack
wrote (server, mailer, NGINX, PostgreSQL).  Marked final: it runs after
every other test, whatever the order."""
import glob
import os

import pytest

from conftest import SECRETS, STACK

pytestmark = pytest.mark.final


def test_no_secret_reaches_any_log():
    secrets = set(SECRETS)
    secrets.add(open(os.path.join(STACK, "secret.key")).read().strip())
    secrets.add(os.environ["METRICS_TOKEN"])
    # A run that sent nothing secret would prove nothing.
    assert len(secrets) > 100
    logs = glob.glob(os.path.join(STACK, "log", "*.log"))
    assert any(p.endswith("iam.log") for p in logs)
    found = []
    for path in logs:
        with open(path, errors="replace") as f:
            text = f.read()
        for s in secrets:
            if s in text:
                found.append((os.path.basename(path), s[:12] + "..."))
    assert not found, found
