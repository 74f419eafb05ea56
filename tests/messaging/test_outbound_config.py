"""Production mail (issue 30, item 1): with DEBUG off the site sends through the SMTP
server the environment names (EMAIL_URL, or EMAIL_HOST and friends), and a bad value is
one clear line at start, never a traceback at the first send."""

import os
import subprocess
import sys

import pytest
from aiosmtpd.smtp import AuthResult
from factories import SMTPServer
from tests_paths import POLICIES

from hippocratic.mailconfig import MailConfigError, smtp_options

DROP = ("HIPPOCRATIC_DEBUG", "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "MAIL_BACKEND",
        "EMAIL_URL", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "EMAIL_USE_SSL",
        "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_TIMEOUT")  # fmt: skip


class Sink:
    def __init__(self):
        self.mail = []

    async def handle_DATA(self, server, session, envelope):
        self.mail.append((envelope.mail_from, envelope.rcpt_tos, envelope.content, session))
        return "250 OK"


def hippocratic(tmp_path, *args, **env):
    """The `hippocratic` command in production mode (DEBUG off), in its own process."""
    base = {k: v for k, v in os.environ.items() if k not in DROP}
    base.update(HIPPOCRATIC_HOME=str(tmp_path), HIPPOCRATIC_POLICY=str(POLICIES / "ducallier.yaml"),
                HIPPOCRATIC_STRICT_PROMISES="0", DEFAULT_FROM_EMAIL="site@ducallier.example",
                **env)  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "hippocratic", *args], capture_output=True, text=True,
        env=base, timeout=60, cwd=tmp_path,
    )  # fmt: skip


@pytest.fixture
def sink():
    handler = Sink()
    logins = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret p@ss")

    server = SMTPServer(handler, authenticator=authenticate, auth_require_tls=False)
    server.start()
    handler.logins = logins
    handler.port = server.port
    yield handler
    server.stop()


def test_production_sends_through_email_host(tmp_path, sink):
    """Before: `InvalidMailer: MAILERS['default']: OPTIONS must define 'host'` on every
    send with DEBUG off; EMAIL_HOST was never read."""
    sent = hippocratic(tmp_path, "sendtestemail", "ada@lovelace.example",
                       EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(sink.port))  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    ((sender, to, content, _),) = sink.mail
    assert (sender, to) == ("site@ducallier.example", ["ada@lovelace.example"])
    assert b"Test email from" in content


def test_production_sends_through_one_url_with_a_login(tmp_path, sink):
    url = f"smtp://mailer%40ducallier.example:s3cret%20p%40ss@127.0.0.1:{sink.port}?timeout=5"
    sent = hippocratic(tmp_path, "sendtestemail", "ada@lovelace.example", EMAIL_URL=url)
    assert sent.returncode == 0, sent.stderr
    assert sink.logins == [(b"mailer@ducallier.example", b"s3cret p@ss")]
    assert len(sink.mail) == 1


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"EMAIL_PORT": "twenty-five"},
         "EMAIL_PORT must be a port number from 1 to 65535, not 'twenty-five'."),
        ({"EMAIL_PORT": "70000"}, "EMAIL_PORT must be a port number from 1 to 65535"),
        ({"EMAIL_USE_TLS": "maybe"}, "EMAIL_USE_TLS must be 1 or 0 (true or false), not 'maybe'."),
        ({"EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"},
         "EMAIL_USE_TLS and EMAIL_USE_SSL: TLS (STARTTLS, port 587) and SSL"),
        ({"EMAIL_HOST_PASSWORD": "pw"}, "EMAIL_HOST_PASSWORD: a password without a user name."),
        ({"EMAIL_TIMEOUT": "nan"}, "EMAIL_TIMEOUT must be a number of seconds"),
        ({"EMAIL_HOST": "mail example"}, "EMAIL_HOST must be a host name or address"),
        ({"EMAIL_URL": "ftp://u:hunter2@mail.example"},
         "EMAIL_URL must start smtp:// or smtps://, not 'ftp://u:***@mail.example'."),
        ({"EMAIL_URL": "smtp://mail.example:port"}, "EMAIL_URL is not a URL"),
        ({"EMAIL_URL": "smtp://mail.example?tsl=1"}, "EMAIL_URL: unknown option 'tsl'"),
        ({"EMAIL_URL": "smtp://mail.example", "EMAIL_HOST": "other.example"},
         "EMAIL_URL and EMAIL_HOST are both set"),
    ],
)  # fmt: skip
def test_a_bad_mail_setting_is_one_line(env, line):
    with pytest.raises(MailConfigError) as refused:
        smtp_options(env)
    message = str(refused.value)
    assert message.startswith(line) and "\n" not in message
    assert "hunter2" not in message


def test_a_bad_mail_setting_stops_the_command_with_one_line(tmp_path):
    result = hippocratic(tmp_path, "check", EMAIL_PORT="twenty-five")
    assert result.returncode == 2
    assert result.stderr == (
        "hippocratic: EMAIL_PORT must be a port number from 1 to 65535, not 'twenty-five'.\n"
    )


def test_the_url_and_the_variables_give_the_same_options():
    assert smtp_options({"EMAIL_URL": "smtps://u:p%2F@mail.example"}) == {
        "host": "mail.example", "port": 465, "use_tls": False, "use_ssl": True,
        "timeout": 30.0, "username": "u", "password": "p/",
    }  # fmt: skip
    assert smtp_options({"EMAIL_URL": "smtp://u:p@mail.example:2525?tls=1"}) == smtp_options(
        {"EMAIL_HOST": "mail.example", "EMAIL_PORT": "2525", "EMAIL_USE_TLS": "true",
         "EMAIL_HOST_USER": "u", "EMAIL_HOST_PASSWORD": "p"}
    )  # fmt: skip
    assert smtp_options({}) == {"host": "localhost", "port": 25, "use_tls": False,
                                "use_ssl": False, "timeout": 30.0}  # fmt: skip
    assert smtp_options({"EMAIL_USE_TLS": "1"})["port"] == 587
