"""`make run` as a person runs it: on a port of their choosing, the CLI in the same folder
acting on that demo, each start-up line once, and a clean stop on SIGTERM or Ctrl-C."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from factories import eml
from tests_paths import POLICIES, REPO

# What the test settings put in the environment: the demo must not lean on any of it.
NOT_THE_DEMOS = (
    "SECRET_KEY", "ALLOWED_HOSTS", "HIPPOCRATIC_MAILBOX_KEY", "SITE_URL", "DATABASE_URL",
    "HIPPOCRATIC_ENV_FILE", "HIPPOCRATIC_DEBUG", "HIPPOCRATIC_POLICY", "HIPPOCRATIC_HOME",
    "DJANGO_SETTINGS_MODULE", "SECURE_SSL_REDIRECT", "MAKEFLAGS", "MFLAGS", "MAKELEVEL",
)  # fmt: skip
HIPPOCRATIC = str(Path(sys.executable).parent / "hippocratic")
MAKE = shutil.which("make") or "make"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in NOT_THE_DEMOS}
    return {**env, **extra}


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
            return response.status == 200
    except OSError:
        return False


def _sigint_as_in_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(home: Path, port: int) -> tuple[subprocess.Popen, Path]:
    log = home / "make-run.log"
    process = subprocess.Popen(
        [MAKE, "--no-print-directory", "run"], cwd=REPO, stdin=subprocess.DEVNULL,
        stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
        # As from a terminal: Ctrl-C at its default disposition, whatever the test
        # runner gave its own process (a signal ignored on entry cannot be trapped).
        preexec_fn=_sigint_as_in_a_terminal,
        env=_clean_env(HIPPOCRATIC_HOME=str(home), PORT=str(port), HOST="127.0.0.1",
                       HIPPOCRATIC_POLICY=str(POLICIES / "ducallier.yaml")),
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while not _answers(f"http://127.0.0.1:{port}/privacy/"):
        if process.poll() is not None or time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):  # it may have ended by itself
                os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"make run did not serve the demo:\n{log.read_text()}")
        time.sleep(1)
    return process, log


def _cli(home: Path, *args, stdin: bytes = b"") -> subprocess.CompletedProcess:
    """A `hippocratic` command run by hand in the demo's folder: no HIPPOCRATIC_* at all."""
    return subprocess.run(
        [HIPPOCRATIC, *args], cwd=home, input=stdin, capture_output=True, timeout=120,
        env=_clean_env(),
    )  # fmt: skip


def _stopped(process: subprocess.Popen, log: Path, how: signal.Signals) -> str:
    if how == signal.SIGINT:  # Ctrl-C: the terminal signals the whole foreground group
        os.killpg(process.pid, signal.SIGINT)
    else:  # `kill PID` of make
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(f"make run did not stop on {how.name}:\n{log.read_text()}")
    return log.read_text()


def _gone(port: int) -> bool:
    deadline = time.monotonic() + 30
    while _answers(f"http://127.0.0.1:{port}/privacy/"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def _check_output(output: str, port: int, ran_tasks: bool) -> None:
    assert _gone(port), output
    assert "Segmentation fault" not in output and "Traceback" not in output, output
    assert "make: ***" not in output, output  # make reports a recipe that failed
    # Each start-up line once: the checks run in the server alone, and Django's loggers
    # print through one handler.
    assert output.count("System check identified") == 1, output
    assert output.count("Starting worker") == 1, output
    started = [line for line in output.splitlines() if "state=RUNNING" in line]
    assert len(started) == len(set(started)), output
    assert started or not ran_tasks, output


def test_make_run_and_the_cli_agree_and_it_stops_cleanly(tmp_path):
    port = _free_port()
    process, log = _start(tmp_path, port)
    try:
        settings = (tmp_path / "var" / "demo.env").read_text()
        assert f'SITE_URL="http://127.0.0.1:{port}"' in settings
        assert (tmp_path / "var" / "demo.env").stat().st_mode & 0o077 == 0
        # Mailed links use the address the demo is served at, as the CLI sees it too.
        site = _cli(tmp_path, "shell", "-c",
                    "from django.conf import settings; print(settings.SITE_URL)")  # fmt: skip
        assert site.stdout.decode().strip().splitlines()[-1] == f"http://127.0.0.1:{port}"
        received = _cli(tmp_path, "mail", "receive", "--to", "unsubscribe@ducallier.com",
                        stdin=eml("unsubscribe", "someone@x.example"))  # fmt: skip
        assert received.returncode == 0, received.stderr
        assert received.stdout.startswith(b"stored: "), received.stdout
        verified = _cli(tmp_path, "audit", "verify")
        deadline = time.monotonic() + 120  # the worker signs its first checkpoint
        while verified.returncode != 0 and time.monotonic() < deadline:
            time.sleep(2)
            verified = _cli(tmp_path, "audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        (tmp_path / "none.xml").write_text('<testsuites><testsuite name="x"/></testsuites>')
        proved = _cli(tmp_path, "prove", "--junit", "none.xml", "--tests", str(REPO / "tests"))
        assert proved.returncode in (0, 1), proved.stderr  # 1: no test ran, not a set-up error
        assert b"promised sentences proved" in proved.stdout
    finally:
        output = _stopped(process, log, signal.SIGTERM)
    _check_output(output, port, ran_tasks=True)

    # Again in the same folder (migrated already), stopped by Ctrl-C.
    process, log = _start(tmp_path, port)
    _check_output(_stopped(process, log, signal.SIGINT), port, ran_tasks=False)
