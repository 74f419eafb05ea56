"""Production settings refuse to start half-configured, and force HTTPS when they do."""

import os
import subprocess
import sys

import pytest
from tests_paths import POLICIES

PROBE = (
    "from django.conf import settings; settings.DEBUG; "
    "print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, "
    "settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS > 0)"
)


def run(tmp_path, **env):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT")
    }
    base.pop("HIPPOCRATIC_DEBUG", None)
    base.update(DJANGO_SETTINGS_MODULE="hippocratic.settings", HIPPOCRATIC_HOME=str(tmp_path))
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=base, timeout=60
    )


def test_missing_secret_key_and_hosts_stop_start_up(tmp_path):
    result = run(tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY and ALLOWED_HOSTS must be set in the environment" in result.stderr


def test_missing_allowed_hosts_alone_is_named(tmp_path):
    result = run(tmp_path, SECRET_KEY="k" * 50)
    assert "ALLOWED_HOSTS must be set" in result.stderr
    assert "SECRET_KEY and" not in result.stderr


def test_production_forces_https_secure_cookies_and_hsts(tmp_path):
    result = run(tmp_path, SECRET_KEY="k" * 50, ALLOWED_HOSTS="example.com")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "True"]


def test_development_needs_no_configuration(tmp_path):
    result = run(tmp_path, HIPPOCRATIC_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "dev-secret-key").exists()


def test_production_refuses_to_start_on_a_promise_it_cannot_keep(tmp_path):
    """The WSGI entry point runs the policy checks before serving. This build keeps
    every promise of the five seeds, so the refusal is shown on a build without DIS-5
    (Ducallier's integration partners), as an older version of Hippocratic was."""
    probe = (
        "import hippocratic.capabilities as c; from hippocratic.policy.enforced import "
        "Enforced; full = c.enforced(); c.enforced = lambda: Enforced(promises="
        "full.promises - {'DIS-5'}, cookies=full.cookies); import hippocratic.wsgi"
    )
    env = {
        k: v for k, v in os.environ.items()
        if k not in ("HIPPOCRATIC_DEBUG", "HIPPOCRATIC_STRICT_PROMISES")
    }  # fmt: skip
    env.update(
        DJANGO_SETTINGS_MODULE="hippocratic.settings", HIPPOCRATIC_HOME=str(tmp_path),
        SECRET_KEY="k" * 50, ALLOWED_HOSTS="example.com",
        HIPPOCRATIC_POLICY=str(POLICIES / "ducallier.yaml"),
    )  # fmt: skip
    refused = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
    )
    assert refused.returncode != 0
    assert "hippocratic.E002" in refused.stderr and "DIS-5" in refused.stderr
    started = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
        env={**env, "HIPPOCRATIC_STRICT_PROMISES": "0"},
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    assert "hippocratic.W002" in started.stderr


def test_the_check_is_a_warning_in_the_demo_and_an_error_in_production(settings, monkeypatch):
    import hippocratic.site.checks
    from hippocratic.capabilities import enforced
    from hippocratic.policy.enforced import Enforced
    from hippocratic.site.checks import promises_are_enforced

    full = enforced()
    assert promises_are_enforced(None) == []  # this build keeps them all
    older = Enforced(promises=full.promises - {"DIS-5"}, cookies=full.cookies)
    # where the check looks it up
    monkeypatch.setattr(hippocratic.site.checks, "enforced", lambda: older)
    settings.HIPPOCRATIC_POLICY = str(POLICIES / "ducallier.yaml")
    settings.HIPPOCRATIC_STRICT_PROMISES = False
    (warning,) = promises_are_enforced(None)
    assert warning.id == "hippocratic.W002" and not warning.is_serious()
    assert "promises DIS-5, which this version" in warning.msg
    settings.HIPPOCRATIC_STRICT_PROMISES = True
    (error,) = promises_are_enforced(None)
    assert error.id == "hippocratic.E002" and error.is_serious()


def _cli(tmp_path, *args, cwd=None, **env):
    base = {k: v for k, v in os.environ.items()
            if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "HIPPOCRATIC_DEBUG", "HIPPOCRATIC_POLICY",
                         "DJANGO_SETTINGS_MODULE")}  # fmt: skip
    base.update({"HIPPOCRATIC_HOME": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-m", "hippocratic", *args], capture_output=True, text=True,
        env=base, timeout=60, cwd=cwd or tmp_path,
    )  # fmt: skip


def test_a_configuration_error_is_one_clear_line(tmp_path):
    missing_secret = _cli(tmp_path, "check")
    assert missing_secret.returncode == 2
    assert missing_secret.stderr.startswith("hippocratic: SECRET_KEY and ALLOWED_HOSTS must be set")
    assert missing_secret.stderr.count("\n") == 1 and "Traceback" not in missing_secret.stderr
    no_stripe_key = _cli(tmp_path, "check", HIPPOCRATIC_DEBUG="1", HIPPOCRATIC_PAYMENTS="stripe")
    assert no_stripe_key.returncode == 2
    assert no_stripe_key.stderr == (
        "hippocratic: HIPPOCRATIC_PAYMENTS=stripe needs STRIPE_API_KEY (Stripe's secret key) "
        "in the environment.\n"
    )


def test_a_relative_policy_path_is_relative_to_the_working_directory(tmp_path):
    """HIPPOCRATIC_HOME moves var/, not where a relative policy path is looked up."""
    work = tmp_path / "work"
    (work / "p").mkdir(parents=True)
    (work / "p" / "mine.yaml").write_text((POLICIES / "japoon.yaml").read_text())
    home = tmp_path / "home"
    home.mkdir()
    probe = "from django.conf import settings; print(settings.HIPPOCRATIC_POLICY)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=work,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "hippocratic.settings",
             "HIPPOCRATIC_DEBUG": "1", "HIPPOCRATIC_HOME": str(home),
             "HIPPOCRATIC_POLICY": "p/mine.yaml"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(work / "p" / "mine.yaml")


def test_production_needs_the_sites_address_for_its_mail(tmp_path):
    keys = {"SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "example.com"}
    missing = run(tmp_path, SITE_URL="", **keys)
    assert missing.returncode != 0 and "SITE_URL must be set" in missing.stderr
    wrong = _cli(tmp_path, "check", SITE_URL="www.example.com", **keys)
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1, wrong.stderr
    assert wrong.stderr.startswith("hippocratic: SITE_URL is 'www.example.com': give the")


def test_the_demos_settings_file_is_read_and_the_environment_wins(tmp_path):
    """`make run` writes var/demo.env; a command run in that folder reads it."""
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "demo.env").write_text(
        'HIPPOCRATIC_DEBUG=1\nSITE_URL="http://127.0.0.1:8201"\n'
        f'HIPPOCRATIC_POLICY="{POLICIES / "isp.yaml"}"\n'
    )
    probe = "from django.conf import settings; print(settings.DEBUG, settings.SITE_URL)"
    env = {k: v for k, v in os.environ.items()
           if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "HIPPOCRATIC_DEBUG", "SITE_URL",
                        "HIPPOCRATIC_ENV_FILE", "HIPPOCRATIC_POLICY")}  # fmt: skip
    env.update(DJANGO_SETTINGS_MODULE="hippocratic.settings", HIPPOCRATIC_HOME=str(tmp_path))

    def probed(**more):
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                env={**env, **more}, timeout=60)  # fmt: skip
        return result.stdout.split() or [result.stderr]

    assert probed() == ["True", "http://127.0.0.1:8201"]
    assert probed(SITE_URL="http://localhost:9") == ["True", "http://localhost:9"]
    # The tests (and anyone who asks) read no file at all.
    assert "SECRET_KEY" in probed(HIPPOCRATIC_ENV_FILE="")[0]


PRODUCTION = {"SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "example.com",
              "HIPPOCRATIC_MAILBOX_KEY": "A" * 43 + "="}  # fmt: skip
BAD_SETTINGS = {  # issue 30, item 13: each was a traceback
    "an unknown database scheme": (
        {"DATABASE_URL": "foo://x/y"}, "DATABASE_URL has a scheme this site cannot use ('foo')"),
    "a DNS timeout that is not a number": (
        {"HIPPOCRATIC_DNS_TIMEOUT": "abc"}, "HIPPOCRATIC_DNS_TIMEOUT must be a number, not 'abc'"),
    "CONN_MAX_AGE not a number": (
        {"CONN_MAX_AGE": "1.5"}, "CONN_MAX_AGE must be a whole number, not '1.5'"),
    "SECURE_HSTS_SECONDS not a number": (
        {**PRODUCTION, "HIPPOCRATIC_DEBUG": "0", "SECURE_HSTS_SECONDS": "a year"},
        "SECURE_HSTS_SECONDS must be a whole number, not 'a year'"),
    "a checkpoint age that is not a number": (
        {"HIPPOCRATIC_AUDIT_CHECKPOINT_MAX_AGE_HOURS": "nan"},
        "HIPPOCRATIC_AUDIT_CHECKPOINT_MAX_AGE_HOURS must be a number, not 'nan'"),
    "a negative checkpoint age": (
        {"HIPPOCRATIC_AUDIT_CHECKPOINT_MAX_AGE_HOURS": "-1"},
        "HIPPOCRATIC_AUDIT_CHECKPOINT_MAX_AGE_HOURS must be at least 0, not '-1'"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BAD_SETTINGS))
def test_a_bad_setting_is_one_line_naming_it(tmp_path, name):
    env, message = BAD_SETTINGS[name]
    result = _cli(tmp_path, "check", **{"HIPPOCRATIC_DEBUG": "1", **env})
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"hippocratic: {message}")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_home_that_is_a_file_is_one_line(tmp_path):
    home = tmp_path / "home"
    home.write_text("not a folder")
    result = _cli(tmp_path, "check", HIPPOCRATIC_DEBUG="1", HIPPOCRATIC_HOME=str(home))
    assert result.returncode == 2
    assert result.stderr == f"hippocratic: HIPPOCRATIC_HOME names a file, not a folder: {home}.\n"


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_database_url_means_the_default(tmp_path, empty):
    result = _cli(tmp_path, "check", HIPPOCRATIC_DEBUG="1", DATABASE_URL=empty,
                  HIPPOCRATIC_POLICY=str(POLICIES / "ducallier.yaml"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
