"""Issue 30, item 5: one crafted message must not break a customer's mailbox. Parsing
is bounded in depth, parts and parameters, and so in time; a message over a bound is
shown as a plain download with a note, never a 500."""

import time

import pytest
from factories import ADA, address
from tests_paths import use_profile

from hippocratic import mailtext as readable
from hippocratic.communications import mailbox
from hippocratic.messaging import inbound


def nested_multiparts(to: str, n: int) -> bytes:
    out = f"From: a@x.example\r\nTo: {to}\r\nSubject: deep\r\nMIME-Version: 1.0\r\n".encode()
    for i in range(n):
        out += b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
    out += b"Content-Type: text/plain\r\n\r\nhello\r\n"
    for i in reversed(range(n)):
        out += b"--b%d--\r\n" % i
    return out


def nested_messages(to: str, n: int) -> bytes:
    out = f"From: a@x.example\r\nTo: {to}\r\nSubject: deep\r\n".encode()
    for _ in range(n):
        out += b"MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\nFrom: b@x.example\r\n"
    return out + b"Content-Type: text/plain\r\n\r\nhello\r\n"


def many_parameters(to: str, n: int) -> bytes:
    params = "".join(f";\r\n p{i}*0*=utf-8''v{i}" for i in range(n))
    return (
        f"From: a@x.example\r\nTo: {to}\r\nSubject: params\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain{params}\r\n\r\nhello\r\n"
    ).encode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make",
    [
        lambda to: nested_multiparts(to, 2000),
        lambda to: nested_messages(to, 500),
        lambda to: many_parameters(to, 20_000),
    ],
    ids=["2000-nested-multiparts", "500-nested-rfc822", "20000-rfc2231-parameters"],
)
def test_a_hostile_message_is_offered_as_a_download_with_a_note_quickly(signed_up, make):
    """Item 5: before, the page and /api/mailbox/<id> answered 500 (RecursionError) or
    took over a minute (the parameters)."""
    with use_profile("isp"):
        client, me = signed_up("ada", ADA)
        inbound.receive(make(address()), [address()])
        (stored,) = mailbox.page(me)
        started = time.monotonic()
        page = client.get(f"/account/mail/{stored.id}/")
        api = client.get(f"/api/mailbox/{stored.id}")
        took = time.monotonic() - started
        assert page.status_code == 200 and api.status_code == 200
        assert "too complex to show here" in page.content.decode()
        assert api.json()["text"] == "" and "too complex" in api.json()["too_complex"]
        assert took < 10, took  # was over a minute; generous for a loaded machine
        download = client.get(f"/api/mailbox/{stored.id}/eml")
        assert download.status_code == 200 and download.content.startswith(b"From: a@x.example")


def test_a_plain_message_within_the_bounds_is_shown():
    """Item 5: the bounds leave ordinary mail alone (a few parts, a few parameters)."""
    assert readable.plain_text(nested_multiparts("a@b.example", 5)).strip() == "hello"
    assert readable.plain_text(many_parameters("a@b.example", 10)).strip() == "hello"
    with pytest.raises(readable.TooComplex, match="parameters"):
        readable.check(many_parameters("a@b.example", readable.MAX_PARAMETERS + 1))
    with pytest.raises(readable.TooComplex, match="deep"):
        readable.check(nested_messages("a@b.example", readable.MAX_CONTAINERS + 1))
