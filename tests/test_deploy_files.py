"""The deploy/ folder is used as it is: each systemd unit starts a command this package
installs with arguments it accepts, the proxy examples pass the web unit's port and set
X-Forwarded-Proto, and Postfix's transport line names the LMTP unit's address."""

import configparser
import re
import shlex
import tomllib
from importlib.util import find_spec
from pathlib import Path

import pytest
from django.core.management import load_command_class
from gunicorn.config import Config
from tests_paths import REPO

DEPLOY = REPO / "deploy"
UNITS = ["hippocratic-web.service", "hippocratic-worker.service", "hippocratic-lmtp.service"]
COMMANDS = {"worker": "hippocratic.jobs", "mail": "hippocratic.messaging"}  # command: its app


def _unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # systemd's keys are case-sensitive
    unit.read_string((DEPLOY / name).read_text())
    return unit


def _exec(name: str) -> list[str]:
    return shlex.split(_unit(name)["Service"]["ExecStart"])


@pytest.mark.parametrize("name", UNITS)
def test_each_unit_runs_the_site_as_its_own_user_from_the_env_file(name):
    service = _unit(name)["Service"]
    assert service["User"] == "hippocratic" and service["EnvironmentFile"] == "/etc/hippocratic/env"
    assert service["Restart"] == "always" and service.get("KillSignal", "SIGTERM") == "SIGTERM"
    assert _unit(name)["Install"]["WantedBy"] == "multi-user.target"
    program = Path(_exec(name)[0])
    assert program.parent == Path("/srv/hippocratic/.venv/bin")


def test_the_web_unit_starts_gunicorn_on_this_package_with_valid_arguments():
    argv = _exec("hippocratic-web.service")
    assert Path(argv[0]).name == "gunicorn"
    # gunicorn's own parser (it exits on an argument it does not take).
    parsed = Config("%(prog)s [OPTIONS] [APP_MODULE]").parser().parse_args(argv[1:])
    assert parsed.args == ["hippocratic.wsgi"] and find_spec("hippocratic.wsgi") is not None
    assert parsed.bind == ["127.0.0.1:8000"] and int(parsed.workers) >= 2


@pytest.mark.parametrize("name", ["hippocratic-worker.service", "hippocratic-lmtp.service"])
def test_the_worker_and_lmtp_units_start_console_commands_with_valid_arguments(name):
    argv = _exec(name)
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert Path(argv[0]).name in scripts  # the console entry point this package installs
    command = argv[1]
    parser = load_command_class(COMMANDS[command], command).create_parser("hippocratic", command)
    parser.parse_args(argv[2:])  # raises CommandError on an argument it does not take


def _web_port() -> str:
    return _exec("hippocratic-web.service")[_exec("hippocratic-web.service").index("--bind") + 1]


def test_the_proxy_examples_pass_to_the_web_units_port_with_the_scheme():
    upstream = _web_port()
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert re.search(rf"proxy_pass http://{re.escape(upstream)};", nginx)
    assert re.search(r"proxy_set_header X-Forwarded-Proto \$scheme;", nginx)
    caddy = (DEPLOY / "Caddyfile").read_text()
    assert re.search(rf"reverse_proxy {re.escape(upstream)}\b", caddy)
    assert "header_up X-Forwarded-Proto {scheme}" in caddy


def test_postfix_hands_the_mailbox_domain_to_the_lmtp_units_address():
    listen = _exec("hippocratic-lmtp.service")
    address = listen[listen.index("--listen") + 1]
    lines = [line.split() for line in (DEPLOY / "postfix-transport").read_text().splitlines()
             if line.strip() and not line.startswith("#")]  # fmt: skip
    assert lines == [["mail.example.com", f"lmtp:inet:{address}"]]


def test_the_readme_points_at_each_file():
    readme = (REPO / "README.md").read_text()
    for path in sorted(DEPLOY.iterdir()):
        assert f"deploy/{path.name}" in readme, path.name
