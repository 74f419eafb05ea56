"""The production smoke test's browser journey (scripts/smoke_production.py): Debian's
Chromium, through nginx set up from deploy/nginx.conf with a certificate of its own,
at https://www.example.com/ as a visitor, a customer and staff would reach it.

Chromium resolves www.example.com:443 to nginx's port (`--host-resolver-rules`), so the
address bar, the Host header, the Origin and the links in mail are all the production
ones: secure cookies, CSRF's origin check and HSTS work as they do behind a real proxy.
"""

import datetime
import email
import email.policy
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from aiosmtpd.handlers import Message
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from playwright.sync_api import sync_playwright

SITE = "https://www.example.com"
PASSWORD = "Smoke-test-pw-71!"  # noqa: S105 (a throwaway account in a throwaway database)


class Outbox(Message):
    """The local SMTP server: keeps every message it is handed, parsed."""

    def __init__(self):
        super().__init__(email.message.EmailMessage)
        self.messages: list[email.message.EmailMessage] = []

    def prepare_message(self, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parsed["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        return parsed

    def handle_message(self, message):
        self.messages.append(message)

    def wait_for(self, what: str, match: Callable, seconds: float = 90):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = [m for m in self.messages if match(m)]
            if found:
                return found[-1]
            time.sleep(0.5)
        subjects = [(m["To"], m["Subject"]) for m in self.messages]
        raise SystemExit(f"smoke: no mail {what} within {seconds:.0f} s (had {subjects})")


def nginx_available() -> bool:
    return bool(shutil.which("nginx"))


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("www.example.com")]), False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def start_nginx(repo: Path, work: Path, tls_port: int, web_port: int) -> subprocess.Popen:
    """nginx with deploy/nginx.conf's TLS server as written, but for its port, its
    certificate and the upstream's port (each must be found there)."""
    conf = (repo / "deploy" / "nginx.conf").read_text()
    server = conf[conf.rindex("server {", 0, conf.index("listen 443")) :]  # the last block
    cert, key = _certificate(work)
    for old, new in {
        "listen 443 ssl http2;": f"listen 127.0.0.1:{tls_port} ssl http2;",
        "/etc/letsencrypt/live/www.example.com/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/www.example.com/privkey.pem": str(key),
        "proxy_pass http://127.0.0.1:8000;": f"proxy_pass http://127.0.0.1:{web_port};",
    }.items():
        if old not in server:
            raise SystemExit(f"smoke: deploy/nginx.conf no longer holds {old!r}")
        server = server.replace(old, new)
    temp = work / "nginx-temp"
    temp.mkdir()
    temp.chmod(0o777)
    (work / "nginx.conf").write_text(
        "user root;\n" * (os.getuid() == 0)
        + f"pid {work}/nginx.pid;\nerror_log {work}/nginx-error.log;\n"
        + "events {}\nhttp {\n"
        + "".join(
            f"  {kind}_temp_path {temp}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + server
        + "\n}\n"
    )
    nginx = shutil.which("nginx") or "nginx"
    return subprocess.Popen(
        [nginx, "-c", str(work / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=open(work / "process-nginx.log", "w"),
    )


def fill_form(page, form: str, values: dict[str, str]) -> None:
    """Fill a form as a person would: the named fields with their values, every other
    empty required field with something of its type, every required box ticked."""
    for name, value in values.items():
        page.fill(f"{form} [name={name}]", value)
    for field in page.locator(f"{form} input[required], {form} textarea[required]").all():
        kind = (field.get_attribute("type") or "text").lower()
        if kind == "checkbox":
            field.check()
        elif kind == "radio":
            continue
        elif not field.input_value():
            field.fill(
                {"email": "ada.smoke@example.org", "tel": "+44 20 7946 0000"}.get(
                    kind, "Ada Lovelace"
                )
            )
    for select in page.locator(f"{form} select[required]").all():
        options = [o for o in select.locator("option").all() if o.get_attribute("value")]
        if options:
            select.select_option(options[0].get_attribute("value"))


def journey(chromium: str, tls_port: int, outbox: Outbox, staff_password: str,
            mail_in: Callable[[str], None], say: Callable[[str], None]) -> None:  # fmt: skip
    """A visitor, a customer and staff through the browser; exits on the first fault."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", f"--host-resolver-rules=MAP www.example.com:443 "
                  f"127.0.0.1:{tls_port}"],
        )  # fmt: skip
        try:
            _visitor_and_customer(browser.new_context(ignore_https_errors=True), outbox, say)
            _staff(browser.new_context(ignore_https_errors=True), outbox, staff_password,
                   mail_in, say)  # fmt: skip
        finally:
            browser.close()


def _styled(page) -> bool:
    """The site's stylesheet loaded and applied (a rule of it matches the page)."""
    return page.evaluate(
        """() => [...document.styleSheets].some(sheet =>
               sheet.href && sheet.href.includes('/static/site/site.') &&
               sheet.cssRules.length > 10)"""
    )


def _expect(ok: bool, what: str) -> None:
    if not ok:
        raise SystemExit(f"smoke: in the browser, {what}")


def _visitor_and_customer(context, outbox: Outbox, say) -> None:
    page = context.new_page()
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 500 and failed.append(f"{r.status} {r.url}"))
    page.goto(SITE + "/")
    _expect(page.url.startswith(SITE) and _styled(page), f"the home page is not styled: {page.url}")
    page.goto(SITE + "/privacy/")
    _expect(_styled(page) and "Privacy" in page.title(), "the privacy page is not right")
    say("browser: the home and privacy pages, styled, at https://www.example.com/")

    page.goto(SITE + "/account/sign-up/")
    fill_form(page, "form.sign-up, form:has([name=password1])", {
        "username": "ada-smoke", "password1": PASSWORD, "password2": PASSWORD,
    })  # fmt: skip
    page.locator("form:has([name=password1]) button[type=submit]").click()
    page.wait_for_url("**/account/**")
    _expect("sessionid" in {c["name"] for c in context.cookies()}, "sign-up left no session")
    _expect(all(c["secure"] for c in context.cookies() if c["name"] in ("sessionid", "csrftoken")),
            "the session or CSRF cookie is not secure")  # fmt: skip
    say("browser: signed up; the session cookie is secure")

    page.goto(SITE + "/account/billing/card/")
    if page.locator("[name=number]").count():
        fill_form(page, "form:has([name=number])", {
            "number": "4242 4242 4242 4242", "exp_month": "12", "exp_year": "2031", "cvc": "123",
        })  # fmt: skip
        page.locator("form:has([name=number]) button[type=submit]").click()
        page.wait_for_load_state()
        _expect("4242" in page.content(), "the card was not added")
        say("browser: a card added (the sandbox processor), shown by its last four digits")
    else:
        raise SystemExit("smoke: the card page has no card form")

    page.goto(SITE + "/mail/join/")
    if page.locator("form:has([name=email])").count():
        member = "news.smoke@example.org"
        fill_form(page, "form:has([name=email])", {"email": member})
        page.locator("form:has([name=email]) button[type=submit]").click()
        page.wait_for_load_state()
        confirmation = outbox.wait_for(
            "confirming the mailing list", lambda m: member in m["X-Envelope-To"]
        )
        link = re.search(r"https://www\.example\.com/mail/join/[^\s>]+", _text(confirmation))
        _expect(bool(link), "the confirmation mail has no link to the site")
        page.goto(link[0])
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        say("browser: joined the mailing list by the link the worker mailed (via RQ)")
    _expect(not failed, f"server errors: {failed}")
    context.close()


def _text(message) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    return body.get_content() if body else ""


def _staff(context, outbox: Outbox, password: str, mail_in, say) -> None:
    page = context.new_page()
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 500 and failed.append(f"{r.status} {r.url}"))
    page.goto(SITE + "/admin/login/")
    page.fill("[name=username]", "smoke-staff")
    page.fill("[name=password]", password)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_load_state()
    _expect("/admin/login/" not in page.url, "staff could not log in")

    subject = f"A mail in by LMTP {time.time_ns()}"
    mail_in(subject)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page.goto(SITE + "/admin/requests/request/")
        if subject in page.content():
            break
        time.sleep(1)
    _expect(subject in page.content(), "the mail in by LMTP is not in the staff queue")
    page.locator("#result_list tbody tr", has_text=subject).locator("th a, td a").first.click()
    page.wait_for_load_state()
    _expect("Please correct my address." in page.content(),
            "staff cannot read what the mail in by LMTP asked")  # fmt: skip
    say("browser: a mail to support in by LMTP is in the staff queue, its text readable")

    if outbox.messages and any("news.smoke" in m["X-Envelope-To"] for m in outbox.messages):
        page.goto(SITE + "/admin/messaging/campaign/add/")
        page.select_option("[name=kind]", "newsletter")
        news = f"Smoke newsletter {time.time_ns()}"
        page.fill("[name=subject]", news)
        page.fill("[name=body]", "Our news, in a smoke test.")
        page.locator("[name=_save]").click()
        page.wait_for_load_state()
        page.locator("#result_list tbody tr", has_text=news).locator("input.action-select").check()
        page.select_option("[name=action]", "send")
        page.locator("[name=index]").click()
        page.wait_for_load_state()
        sent = outbox.wait_for("with the newsletter", lambda m: m["Subject"] == news)
        _expect("news.smoke@example.org" in sent["X-Envelope-To"], "the newsletter went astray")
        unsubscribe = sent["List-Unsubscribe"] or ""
        _expect(SITE in unsubscribe and sent["List-Unsubscribe-Post"] is not None,
                f"the newsletter's List-Unsubscribe is {unsubscribe!r}")  # fmt: skip
        say("browser: staff sent a newsletter; the SMTP server got it, with a working "
            "List-Unsubscribe")  # fmt: skip
    _expect(not failed, f"server errors: {failed}")
    context.close()
