"""The files users copy must work as written and document every key."""
import os
import re
import subprocess

from conftest import ROOT

BIN = os.environ["IAM_BIN"]


def keys():
    out = subprocess.run([os.path.join(BIN, "iam-fcgi"), "-K"],
                         capture_output=True, text=True, check=True).stdout
    return [line.split("\t")[0] for line in out.splitlines()]


def clean_env():
    env = {k: v for k, v in os.environ.items() if k not in keys()}
    # The one key an example must not carry: a real secret.
    env["SECRET_ENCRYPTION_KEY"] = "00" * 32
    return env


def test_every_key_is_in_the_readme_table_and_the_example():
    readme = open(os.path.join(ROOT, "README.md")).read()
    example = open(os.path.join(ROOT, "conf", "iam.conf.example")).read()
    out = subprocess.run([os.path.join(BIN, "iam-fcgi"), "-K"],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        k, _, _, allowed = line.split("\t")
        row = re.search(r"^\| `%s` \|.*$" % k, readme, re.M)
        assert row, k + " not in README"
        # The README gives each key's allowed values as the server does.
        assert row.group(0).endswith("| %s |" % allowed), (k, allowed)
        assert re.search(r"^#? ?%s = " % k, example, re.M), k + " not in example"


def test_a_bad_value_names_the_key_and_what_it_takes(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("DATABASE_URL = x\nJWT_EXPIRES_IN = 0\n")
    r = subprocess.run([os.path.join(BIN, "iam-fcgi"), "-n", "-c", str(conf)],
                       capture_output=True, text=True, env=clean_env())
    assert r.returncode != 0
    assert "JWT_EXPIRES_IN: invalid value, expected a duration from 1s to " \
        "86400s" in r.stderr, r.stderr
    # One second is a legitimate lifetime.
    conf.write_text("DATABASE_URL = x\nJWT_EXPIRES_IN = 1\n"
                    "JWT_REFRESH_EXPIRES_IN = 1\nINVITATION_EXPIRES_IN = 1\n")
    r = subprocess.run([os.path.join(BIN, "iam-fcgi"), "-n", "-c", str(conf)],
                       capture_output=True, text=True, env=clean_env())
    assert r.returncode == 0, r.stderr


def test_the_example_configuration_passes_the_check():
    r = subprocess.run([os.path.join(BIN, "iam-fcgi"), "-n", "-c",
                        os.path.join(ROOT, "conf", "iam.conf.example")],
                       capture_output=True, text=True, env=clean_env())
    assert r.returncode == 0, r.stderr


def test_the_nginx_site_passes_nginx_t(tmp_path):
    key, crt = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ed25519", "-nodes",
                    "-keyout", str(key), "-out", str(crt), "-days", "1",
                    "-subj", "/CN=iam.example.com"], check=True,
                   capture_output=True)
    site = open(os.path.join(ROOT, "conf", "nginx-site.conf")).read()
    site = (site.replace("/etc/ssl/certs/iam.example.com.pem", str(crt))
                .replace("/etc/ssl/private/iam.example.com.key", str(key))
                .replace("include fastcgi_params;",
                         "include /etc/nginx/fastcgi_params;"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        "pid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\n"
        "http { include %s/site.conf; }\n" % (tmp_path, tmp_path, tmp_path))
    r = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c",
                        str(tmp_path / "nginx.conf"), "-e",
                        str(tmp_path / "error.log")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
