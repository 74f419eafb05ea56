"""What a person sees on a page, checked the same way on every page (issue 32): the page
fits a phone's width, no visible text is a taxonomy key or a model's attribute name,
every date is written the one way of the visitor's locale, and the navigation marks
the page it is on. Each check takes a Playwright page (or its text) and returns what
it found wrong, so a test can plant a fault and show the check catches it."""

import re

from django.apps import apps
from django.utils.formats import get_format

from hippocratic.policy import taxonomy

TAXONOMY_ROOTS = ("user", "marketing", "essential", "functional", "analytics", "system")
# A key where a person reads: `user.contact.email`, `marketing.communications.email`: a
# root, then at least one dotted lower-case part, not part of a host name or an address.
KEY = re.compile(r"(?<![\w.@/-])(?:" + "|".join(TAXONOMY_ROOTS) + r")(?:\.[a-z_]+)+(?![\w@-]|\.\w)")
# A model attribute: snake_case (`customer_id`, `audit_seqs`, `last4`'s kind) as written
# in the code, not an English word.
SNAKE = re.compile(r"(?<![\w./@:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@/-]|\.\w)")


def attribute_names() -> set[str]:
    """Every concrete field's name that is not an English word (it has an underscore or a
    digit): what a page must not show as a label."""
    names = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            name = getattr(field, "attname", None) or field.name
            if "_" in name or any(c.isdigit() for c in name):
                names.add(name)
    return names


def visible_text(page) -> str:
    """The text a person reads: the body's innerText (hidden elements, inputs' values and
    scripts are not in it)."""
    return page.evaluate("() => document.body.innerText")


def raw_names(text: str, attributes: set[str]) -> list[str]:
    """Taxonomy keys and attribute names in `text`."""
    known = taxonomy.default_categories() | taxonomy.default_uses()
    # A taxonomy key, or a policy's own below one; not a host (marketing.example.com).
    found = [k for k in (m.group(0) for m in KEY.finditer(text))
             if k in known or k.rsplit(".", 1)[0] in known]  # fmt: skip
    found += [m.group(0) for m in SNAKE.finditer(text)]
    words = set(re.findall(r"[A-Za-z0-9_]+", text))
    found += sorted(n for n in attributes & words if "_" not in n)  # `last4`
    return sorted(set(found))


def overflow(page) -> int:
    """How many pixels the page is wider than the viewport (0 when it fits)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


def clipped(page) -> list[str]:
    """Links and buttons that lie (partly) outside the viewport or outside a box that
    scrolls: a column a person cannot see without scrolling a table sideways."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main a, main button')]
            .filter(e => e.offsetParent !== null)
            .filter(e => { const r = e.getBoundingClientRect();
                           let p = e.parentElement, box = null;
                           while (p) { const s = getComputedStyle(p);
                             if (['auto', 'scroll'].includes(s.overflowX)) { box = p; break; }
                             p = p.parentElement; }
                           const edge = box ? box.getBoundingClientRect().right
                                            : window.innerWidth;
                           return r.width > 0 && r.right > edge + 1; })
            .map(e => e.innerText.trim().slice(0, 40))"""
    )


MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
ABBREVIATED = "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
# Anything that looks like a date or a time, however written.
MONTH = rf"(?:{MONTHS}|{ABBREVIATED})\.?"
CLOCK = r"\d{1,2}:\d{2}\s?(?:[ap]\.m\.|[AP]M)?"
DATE_LIKE = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?"
    rf"|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{{1,2}} (?:{ABBREVIATED}|May) \d{{4}}[^\n]*"
    rf"|\b{MONTH} \d{{1,2}}\b(?:, \d{{4}})?(?:, {CLOCK})?"
    rf"|\b\d{{1,2}} {MONTH}(?: \d{{4}})?(?:,? (?:at )?{CLOCK})?"
    r"|\b\d{1,2}/\d{1,2}/\d{2,4}"
)
# What each letter of a Django date format (hippocratic.formats) reads as.
FORMAT_LETTERS = {"F": f"(?:{MONTHS})", "j": r"\d{1,2}", "Y": r"\d{4}", "g": r"\d{1,2}",
                  "H": r"\d{2}", "i": r"\d{2}", "A": "(?:AM|PM)",
                  "a": r"(?:a\.m\.|p\.m\.)"}  # fmt: skip
STYLES = ("DATETIME_FORMAT", "DATE_FORMAT", "YEAR_MONTH_FORMAT", "MONTH_DAY_FORMAT")


def language(locale: str) -> str:
    """The site's language code for a browser's locale: 'en-US' is the site's 'en'."""
    return "en" if locale.lower() == "en-us" else locale.lower()


def locale_date(locale: str) -> re.Pattern:
    """The locale's ways of writing a date, read from the site's own format modules: a
    date with its time, a date, a month and year, a month and day (a chart's axis)."""
    alternatives = []
    for style in STYLES:
        pattern = ""
        for char in get_format(style, lang=language(locale)):
            if char.isalpha() and char not in FORMAT_LETTERS:
                raise ValueError(f"{style}: no pattern for {char!r}")
            pattern += FORMAT_LETTERS.get(char) or (r"\s" if char == " " else re.escape(char))
        alternatives.append(pattern)
    return re.compile("|".join(alternatives))


def wrong_dates(text: str, locale: str) -> list[str]:
    """Dates in `text` not written the locale's one way."""
    right = locale_date(locale)
    wrong = []
    for match in DATE_LIKE.finditer(text):
        shown = match.group(0).strip()
        # Allow the date to be the start of a longer match of the right style.
        found = right.match(text, match.start())
        if found and found.end() >= match.start() + len(match.group(0).rstrip()):
            continue
        wrong.append(shown)
    return wrong


def language_of(page) -> str:
    """The language the page says it is written in (<html lang>)."""
    return page.evaluate("() => document.documentElement.lang")


def marked(page) -> list[str]:
    """The hrefs of the navigation's links marked as the current page."""
    return page.evaluate(
        """() => [...document.querySelectorAll('header nav a[aria-current="page"]')]
            .map(a => a.getAttribute('href'))"""
    )


def nav_links(page) -> list[str]:
    return page.evaluate(
        "() => [...document.querySelectorAll('header nav a')].map(a => a.getAttribute('href'))"
    )


def wrongly_marked(page, path: str) -> str:
    """'' where the navigation marks the right link: the one whose address is the longest
    start of this page's path ('/' only on the home page), or none where no link leads
    here. Otherwise what is wrong."""
    links = [h for h in nav_links(page) if h and h.startswith("/")]
    if not links:
        return ""
    fits = [h for h in links if path == h or (h != "/" and path.startswith(h))]
    expected = max(fits, key=len) if fits else None
    shown = marked(page)
    if expected is None:
        return f"marks {shown} on {path}" if shown else ""
    if shown != [expected]:
        return f"marks {shown or 'nothing'} on {path}, not {expected}"
    return ""
