"""Production settings refuse to start half-configured, and force HTTPS when they do."""

import os
import subprocess
import sys

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
