"""The published policy as a document: sections of paragraphs, lists and tables.

The page is built once in this model (render.py builds it from the Policy) and
written out in either notation here, so the Markdown and the HTML cannot say
different things. A paragraph that states a promise carries its ID, which becomes
the anchor on the public page; a Section adds such a paragraph only where its Page
may state the promise, so no writer needs to know about promises.
"""

import datetime as dt
import html
from dataclasses import dataclass, field

from hippocratic.policy.enforced import Enforced
from hippocratic.policy.models import Policy
from hippocratic.policy.promises import STATEMENTS
from hippocratic.policy.prose import long_date

# Where the site serves the terms of service (the site's URL named "terms"; a test holds
# them equal): a sentence resting on a clause links to TERMS_PATH#<clause key>.
TERMS_PATH = "/terms/"


@dataclass(frozen=True)
class Paragraph:
    text: str
    promise: str = ""
    # (address, words): the terms clause the sentence rests on, where it rests on one.
    link: tuple[str, str] = ()


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    # The promises each row states (a choice offered by e-mail and on the account
    # pages stands on both channels' promises), where its rows state any.
    promises: tuple[tuple[str, ...], ...] = ()


Block = Paragraph | Heading | Bullets | Table


@dataclass(frozen=True)
class Page:
    """The policy, and which of its promises the page may state."""

    policy: Policy
    stated: frozenset[str]  # made by the policy and enforced by this build
    enforced: Enforced
    revised: dt.date | None = None  # what the page says of its last revision (POL-2)
    terms_path: str = TERMS_PATH  # where the terms its sentences rest on are

    def states(self, *promise_ids: str) -> bool:
        return all(p in self.stated for p in promise_ids)

    def terms_link(self, promise_id: str) -> tuple[str, str]:
        """(address, words) of the terms clause the promise's sentence rests on, or ()."""
        terms = self.policy.terms
        clause = terms.clause_for(promise_id) if terms is not None and promise_id else None
        if clause is None:
            return ()
        return f"{self.terms_path}#{clause.key}", f"See our {terms.title}: {clause.title}."


@dataclass
class Section:
    page: Page
    anchor: str
    title: str
    blocks: list[Block] = field(default_factory=list)

    def say(self, text: str, promise: str = "", *, needs: tuple[str, ...] = ()) -> None:
        """Add a paragraph; one that states a promise (or `needs` others) only where
        the page may state them."""
        if self.page.states(*filter(None, (promise, *needs))):
            self.blocks.append(Paragraph(text, promise, self.page.terms_link(promise)))

    def state(self, *promise_ids: str) -> None:
        """Add the public statement of each promise the page may state."""
        for promise_id in promise_ids:
            self.say(STATEMENTS[promise_id], promise_id)

    def add(self, block: Block) -> None:
        self.blocks.append(block)


@dataclass
class Document:
    title: str
    revised: str  # the revision date, YYYY-MM-DD; "" where none is known (nothing is shown)
    sections: list[Section]


def _revised_on(document: Document) -> str:
    return long_date(dt.date.fromisoformat(document.revised))


def as_markdown(document: Document) -> str:
    lines = [f"# {document.title}", ""]
    if document.revised:
        lines += [f"*Last revised: {_revised_on(document)}*", ""]
    for section in document.sections:
        lines += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Paragraph):
                tag = f' <a id="{block.promise}"></a>' if block.promise else ""
                link = f" [{block.link[1]}]({block.link[0]})" if block.link else ""
                lines += [block.text + link + tag, ""]
            elif isinstance(block, Heading):
                lines += [f"### {block.text}", ""]
            elif isinstance(block, Bullets):
                lines += [f"- {item}" for item in block.items] + [""]
            else:
                lines += [
                    "| " + " | ".join(block.headers) + " |",
                    "|" + "---|" * len(block.headers),
                    *("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"
                      for row in block.rows),
                    "",
                ]  # fmt: skip
    return "\n".join(lines).rstrip() + "\n"


def as_html(document: Document, *, standalone: bool = False) -> str:
    """The document as an <article> fragment, or a whole page if `standalone`. A
    promise's first paragraph carries its ID as the anchor; every one, `data-promise`."""
    esc = html.escape
    seen: set[str] = set()
    out = [
        '<article class="policy">',
        f"<h1>{esc(document.title)}</h1>",
        *(
            [
                f'<p class="revised">Last revised: <time datetime="{document.revised}">'
                f"{esc(_revised_on(document))}</time></p>"
            ]
            if document.revised
            else []
        ),
        '<nav aria-label="Sections"><ul>',
        *(f'<li><a href="#{s.anchor}">{esc(s.title)}</a></li>' for s in document.sections),
        "</ul></nav>",
    ]
    for section in document.sections:
        out.append(f'<section id="{section.anchor}"><h2>{esc(section.title)}</h2>')
        for block in section.blocks:
            if isinstance(block, Paragraph):
                attrs = ""
                if block.promise:
                    attrs = f' data-promise="{block.promise}"'
                    if block.promise not in seen:
                        attrs = f' id="{block.promise}"' + attrs
                        seen.add(block.promise)
                link = ""
                if block.link:
                    link = f' <a class="terms" href="{esc(block.link[0])}">{esc(block.link[1])}</a>'
                out.append(f"<p{attrs}>{esc(block.text)}{link}</p>")
            elif isinstance(block, Heading):
                out.append(f"<h3>{esc(block.text)}</h3>")
            elif isinstance(block, Bullets):
                out.append("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in block.items) + "</ul>")
            else:
                head = "".join(f'<th scope="col">{esc(h)}</th>' for h in block.headers)
                # Each cell names its column (data-label): on a phone the rows stack as
                # cards, each value under its heading (the site's stylesheet, table.cards).
                body = "".join(
                    "<tr>" + "".join(f'<td data-label="{esc(h)}">{esc(c)}</td>'
                                     for h, c in zip(block.headers, row, strict=False))
                    + "</tr>"
                    for row in block.rows
                )  # fmt: skip
                out.append(f'<table class="cards"><thead><tr>{head}</tr></thead>'
                           f"<tbody>{body}</tbody></table>")  # fmt: skip
        out.append("</section>")
    out.append("</article>")
    fragment = "\n".join(out)
    if not standalone:
        return fragment
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(document.title)}</title></head><body>\n{fragment}\n</body></html>\n"
    )
