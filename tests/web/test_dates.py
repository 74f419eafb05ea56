"""One way of writing a date per locale (issue 32): the site's format modules
(hippocratic.formats) write what the Unicode CLDR (Babel) says each English writes, on
pages, in mail and in the admin alike; a message's Date header is shown that way too."""

import datetime as dt

import pytest
from babel.dates import format_date, format_time
from django.conf import settings
from django.template import Context, Template
from django.utils import translation
from django.utils.formats import date_format

from hippocratic.communications.mailbox import Summary

WHEN = dt.datetime(2026, 12, 3, 15, 54, tzinfo=dt.UTC)


@pytest.mark.parametrize("language", [code for code, _ in settings.LANGUAGES])
def test_each_locale_writes_a_date_as_the_cldr_does(language):
    locale = translation.to_locale(language if language != "en" else "en-us")
    with translation.override(language):
        assert date_format(WHEN) == format_date(WHEN, "long", locale=locale)
        time = format_time(WHEN, "short", locale=locale).replace("\u202f", " ")
        if locale == "en_AU":  # CLDR's "3:54 pm": Django writes no lower-case pm without dots
            time = time.upper()
        assert date_format(WHEN, "DATETIME_FORMAT") == f"{date_format(WHEN)}, {time}"


def test_pages_write_dates_the_visitors_way_not_the_iso_way():
    page = Template('{{ when|date }} · {{ when|date:"DATETIME_FORMAT" }}')
    with translation.override("en"):
        assert (
            page.render(Context({"when": WHEN})) == "December 3, 2026 · December 3, 2026, 3:54 PM"
        )
    with translation.override("en-gb"):
        assert page.render(Context({"when": WHEN})) == "3 December 2026 · 3 December 2026, 15:54"


def test_a_messages_date_header_is_read_not_shown_raw():
    summary = Summary(1, WHEN, "new", 10, None, "f@x", "Hi", "Thu, 03 Dec 2026 06:50:00 +0000")
    assert summary.sent_at == dt.datetime(2026, 12, 3, 6, 50, tzinfo=dt.UTC)
    assert Summary(1, WHEN, "new", 10, None, "f@x", "Hi", "not a date").sent_at is None
