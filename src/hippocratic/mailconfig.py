"""The outbound mail server, read from the environment, as Django 6.1's MAILERS takes it.

Either one URL:

    EMAIL_URL=smtp://user:password@mail.example.com:587?tls=1   STARTTLS (port 587)
    EMAIL_URL=smtps://user:password@mail.example.com            TLS from the start (465)
    EMAIL_URL=smtp://127.0.0.1:25                               plain, a local relay

(user and password percent-encoded; `timeout=` seconds in the query), or the variables
EMAIL_HOST (default localhost), EMAIL_PORT (default 25, 587 with TLS, 465 with SSL),
EMAIL_USE_TLS, EMAIL_USE_SSL, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD and EMAIL_TIMEOUT
(seconds, default 30). A bad value is refused at start with one line naming it; a
password is never repeated in that line.
"""

from collections.abc import Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE, FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")
SCHEMES = {"smtp": False, "smtps": True}  # scheme -> TLS from the start (use_ssl)
DEFAULT_TIMEOUT = 30.0
NAMES = ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_HOST_USER",
         "EMAIL_HOST_PASSWORD")  # fmt: skip


class MailConfigError(ImproperlyConfigured):
    """A mail setting that cannot be used; the message names it, in one line."""


def _flag(name: str, value: str) -> bool:
    if value.strip().lower() in TRUE:
        return True
    if value.strip().lower() in FALSE:
        return False
    raise MailConfigError(f"{name} must be 1 or 0 (true or false), not {value[:40]!r}.")


def _port(name: str, value: str) -> int:
    try:
        port = int(value.strip())
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise MailConfigError(f"{name} must be a port number from 1 to 65535, not {value[:40]!r}.")
    return port


def _timeout(name: str, value: str) -> float:
    try:
        seconds = float(value.strip())
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:  # also refuses nan and inf
        raise MailConfigError(f"{name} must be a number of seconds from 0 to 3600, not "
                              f"{value[:40]!r}.")  # fmt: skip
    return seconds


def _host(name: str, value: str) -> str:
    host = value.strip()
    if not host or len(host) > 253 or any(c.isspace() or c in "/@?#" for c in host):
        raise MailConfigError(f"{name} must be a host name or address, not {value[:60]!r}.")
    return host


def _options(host, port, use_tls, use_ssl, username, password, timeout, names) -> dict:
    tls, user = names
    if use_tls and use_ssl:
        raise MailConfigError(
            f"{tls}: TLS (STARTTLS, port 587) and SSL (TLS from the start, port 465) "
            "exclude each other; set one."
        )
    if password and not username:
        raise MailConfigError(f"{user}: a password without a user name.")
    options = {"host": host, "port": port or (465 if use_ssl else 587 if use_tls else 25),
               "use_tls": use_tls, "use_ssl": use_ssl, "timeout": timeout}  # fmt: skip
    if username:
        options.update(username=username, password=password)
    return options


def from_url(url: str) -> dict:
    """The SMTP backend's OPTIONS from EMAIL_URL."""
    shown = url[:80]
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise MailConfigError("EMAIL_URL is not a URL (smtp://user:password@host:587?tls=1): "
                              "check its port and brackets.") from None  # fmt: skip
    if parts.password:
        shown = shown.replace(parts.password, "***")
    if parts.scheme.lower() not in SCHEMES:
        raise MailConfigError(f"EMAIL_URL must start smtp:// or smtps://, not {shown!r}.")
    if not parts.hostname:
        raise MailConfigError(f"EMAIL_URL names no host: {shown!r}.")
    query = {k.lower(): v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(query) - {"tls", "ssl", "timeout"}
    if unknown:
        raise MailConfigError(f"EMAIL_URL: unknown option {sorted(unknown)[0][:40]!r} (known: "
                              "tls, ssl, timeout).")  # fmt: skip
    use_ssl = SCHEMES[parts.scheme.lower()] or _flag("EMAIL_URL's ssl", query.get("ssl", ""))
    return _options(
        _host("EMAIL_URL's host", parts.hostname),
        port,
        _flag("EMAIL_URL's tls", query.get("tls", "")),
        use_ssl,
        unquote(parts.username or ""),
        unquote(parts.password or ""),
        _timeout("EMAIL_URL's timeout", query["timeout"]) if "timeout" in query
        else DEFAULT_TIMEOUT,
        ("EMAIL_URL's tls and ssl", "EMAIL_URL"),
    )  # fmt: skip


def smtp_options(env: Mapping[str, str]) -> dict:
    """The SMTP backend's OPTIONS from EMAIL_URL, or from EMAIL_HOST and the rest."""
    if env.get("EMAIL_URL"):
        also = [name for name in NAMES if env.get(name)]
        if also:
            raise MailConfigError(
                f"EMAIL_URL and {', '.join(also)} are both set: give the server one way."
            )
        return from_url(env["EMAIL_URL"])
    return _options(
        _host("EMAIL_HOST", env.get("EMAIL_HOST") or "localhost"),
        _port("EMAIL_PORT", env["EMAIL_PORT"]) if env.get("EMAIL_PORT") else None,
        _flag("EMAIL_USE_TLS", env.get("EMAIL_USE_TLS", "")),
        _flag("EMAIL_USE_SSL", env.get("EMAIL_USE_SSL", "")),
        env.get("EMAIL_HOST_USER", ""),
        env.get("EMAIL_HOST_PASSWORD", ""),
        _timeout("EMAIL_TIMEOUT", env["EMAIL_TIMEOUT"]) if env.get("EMAIL_TIMEOUT")
        else DEFAULT_TIMEOUT,
        ("EMAIL_USE_TLS and EMAIL_USE_SSL", "EMAIL_HOST_PASSWORD"),
    )  # fmt: skip
