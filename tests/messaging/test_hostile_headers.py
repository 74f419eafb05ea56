"""Hostile headers, as a review fed them: decoding is bounded, a broken encoded word is
kept as it came rather than raised, a NUL never reaches the database, and two messages
that share a Message-ID but not a sender are two messages."""

import pytest

from hippocratic.mailheaders import MAX_DECODED, decoded_header
from hippocratic.messaging.inbound import reading
from hippocratic.messaging.inbound.outcomes import MailRejected


def _raw(sender="ada@lovelace.example", message_id="<1@x>", subject="Hello", pad=b""):
    return (f"From: {sender}\r\nTo: support@ducallier.com\r\nMessage-ID: {message_id}\r\n"
            f"Subject: {subject}\r\n").encode() + pad + b"\r\nbody\r\n"  # fmt: skip


def test_a_huge_subject_is_cut_before_it_is_decoded():
    words = " ".join(["=?utf-8?q?a?="] * 200_000)
    assert len(decoded_header(words)) <= MAX_DECODED
    assert len(reading.read(_raw(subject=words), ["support@ducallier.com"]).subject) <= 998


def test_a_broken_encoded_word_is_kept_as_it_came():
    assert decoded_header("=?utf-8?b?a?= <friend@example.com>") == (
        "=?utf-8?b?a?= <friend@example.com>")  # fmt: skip
    assert decoded_header("a\x00b") == "ab"


def test_a_nul_in_the_sender_past_the_first_64_kib_is_refused():
    pad = b"X-Pad: " + b"p" * 70_000 + b"\r\n"
    raw = _raw(pad=pad).replace(b"From: ada@", b"From: a\x00da@")
    raw = pad + raw  # the NUL now sits after the first 64 KiB
    with pytest.raises(MailRejected):
        reading.read(raw, ["support@ducallier.com"])


def test_one_message_id_from_two_senders_is_two_messages():
    first = reading.read(_raw(), ["support@ducallier.com"])
    again = reading.read(_raw(), ["support@ducallier.com"])  # the MTA's retry
    other = reading.read(_raw(sender="eve@example.com"), ["support@ducallier.com"])
    long_a = reading.read(_raw(message_id="<" + "a" * 150 + "1@x>"), ["support@ducallier.com"])
    long_b = reading.read(_raw(message_id="<" + "a" * 150 + "2@x>"), ["support@ducallier.com"])
    assert first.key == again.key
    assert len({first.key, other.key, long_a.key, long_b.key}) == 4
