"""The published policy is generated from the policy file (POL-1), shows its date
(POL-2), and states only the promises this build enforces."""

import datetime as dt
import html
import re

import pytest

from hippocratic.capabilities import enforced
from hippocratic.policy import load_policy, load_policy_text
from hippocratic.policy.enforced import EVERYTHING, Enforced
from hippocratic.policy.promises import STATEMENTS
from hippocratic.policy.render import (
    RECIPIENT_PROMISES,
    build_document,
    cookie_lifetime,
    to_html,
    to_markdown,
)

BUILD = enforced()


def page_text(policy, build=BUILD) -> str:
    return html.unescape(to_html(policy, enforced=build))


@pytest.mark.promise("POL-2")
def test_policy_shows_last_revision_date(loaded_profile):
    """The provider's own date where the file gives one (JAPOON's seed), else the day
    the version was published; a file never published and without one shows none."""
    policy = loaded_profile.policy
    published = dt.date(2026, 11, 2)
    date = policy.revision.date if policy.revision else published
    page = to_html(policy, enforced=BUILD, published=published)
    assert f'<time datetime="{date.isoformat()}">' in page
    markdown = to_markdown(policy, enforced=BUILD, published=published)
    assert f"{date.strftime('%B')} {date.day}, {date.year}" in markdown
    if policy.revision is None:
        assert "Last revised" not in to_html(policy, enforced=BUILD)


@pytest.mark.promise("POL-1")
def test_every_collected_item_and_every_cookie_the_site_sets_is_on_the_page(loaded_profile):
    """What the software enforces is what the page states: nothing is left out."""
    policy = loaded_profile.policy
    page = page_text(policy)
    for _, item in policy.data_items():
        assert item.label in page or item.label[:1].lower() + item.label[1:] in page
    for cookie in policy.cookies:
        row = f'<td data-label="Cookie">{cookie.name}</td>' in to_html(policy, enforced=BUILD)
        assert row is BUILD.sets(cookie.name), cookie.name
    for recipient in policy.recipients:
        promise = RECIPIENT_PROMISES.get(recipient.kind)
        if promise and policy.makes(promise) and BUILD.keeps(promise):
            assert recipient.name in page


@pytest.mark.promise("POL-1")
def test_the_page_states_no_promise_this_build_does_not_enforce(loaded_profile):
    policy = loaded_profile.policy
    page = to_html(policy, enforced=BUILD)
    stated = set(re.findall(r'data-promise="([A-Z]+-\d+)"', page))
    assert stated <= set(policy.promises) & BUILD.promises
    text = html.unescape(page)
    for promise_id, statement in STATEMENTS.items():
        if not BUILD.keeps(promise_id):
            assert statement not in text, promise_id


@pytest.mark.promise("POL-1")
def test_a_promise_appears_exactly_when_the_build_enforces_it(policy_path):
    """The same file, rendered for a build that keeps more, states more: the page
    follows the build, not the file alone."""
    policy = load_policy(policy_path("dracon")).policy
    without_disclosures = Enforced(BUILD.promises - {"DIS-1", "MSG-1"}, BUILD.cookies)
    grounds = "necessary to identify, contact or bring legal action"
    fewer = page_text(policy, without_disclosures)
    assert grounds not in fewer and STATEMENTS["MSG-1"] not in fewer
    assert "DIS-1" in BUILD.promises and grounds in page_text(policy)
    assert STATEMENTS["MSG-1"] in page_text(policy)


def test_cookie_lifetimes_are_in_the_table(loaded_profile):
    page = to_html(loaded_profile.policy, enforced=BUILD)
    for cookie in loaded_profile.policy.cookies:
        if BUILD.sets(cookie.name):
            lifetime = re.escape(html.escape(cookie_lifetime(cookie.max_age_days)))
            assert re.search(
                rf"<td[^>]*>{cookie.name}</td>(<td[^>]*>[^<]*</td>){{2}}<td[^>]*>{lifetime}</td>",
                page,
            )


def test_sections_with_nothing_to_say_are_left_out(loaded_profile):
    for section in build_document(loaded_profile.policy, enforced=BUILD).sections:
        assert section.blocks, section.anchor


def test_promise_anchors_are_literal_and_unique(loaded_profile):
    page = to_html(loaded_profile.policy, enforced=EVERYTHING)
    ids = re.findall(r' id="([A-Z]+-\d+)"', page)
    assert len(ids) == len(set(ids))
    assert set(ids) <= set(loaded_profile.policy.promises)


# --- each page beside its seed (read with every promise kept, so that the words of
# promises not yet enforced are right when they are) ------------------------------


def test_ducallier_discloses_only_as_stated_by_its_terms_or_the_law(policy_path):
    page = page_text(load_policy(policy_path("ducallier")).policy, EVERYTHING)
    assert "identify, contact or bring legal action" not in page
    assert "Except as we explicitly state at the time we ask for information" in page
    assert "We do not share your business data with them." in page
    assert "support your customer relationship" not in page
    assert page.count("may not collect any information") <= 1
    assert "addresss" not in page


@pytest.mark.parametrize("name", ["dracon", "isp", "quality"])
def test_profiles_without_referrers_say_so_plainly(name, policy_path):
    page = page_text(load_policy(policy_path(name)).policy)
    assert "as its domain name only" not in page
    assert "We do not record the kind of web browser you use" in page


@pytest.mark.parametrize("name", ["japoon", "ducallier"])
def test_what_no_software_can_promise_is_set_apart(name, policy_path):
    policy = load_policy(policy_path(name)).policy
    sections = build_document(policy, enforced=BUILD).sections
    notices = next(s for s in sections if s.anchor == "notices")
    assert all(not getattr(b, "promise", "") for b in notices.blocks)
    text = page_text(policy)
    for notice in policy.notices:
        assert notice.text in text


def test_a_policy_promising_notice_claims_no_right_to_change_at_will(policy_path):
    """Ducallier promises notice (POL-3), which this build cannot give yet: its page
    says nothing of changes rather than 'may change at any time'."""
    page = page_text(load_policy(policy_path("ducallier")).policy)
    assert "may change this policy" not in page
    assert "JAPOON may change this policy at any time" in page_text(
        load_policy(policy_path("japoon")).policy
    )


def test_text_from_the_file_is_escaped(policy_path):
    text = (
        policy_path("dracon")
        .read_text()
        .replace("name: Dracon\n", "name: <script>alert(1)</script>\n")
    )
    page = to_html(load_policy_text(text).policy, enforced=BUILD)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_standalone_html_is_a_whole_page(loaded_profile):
    page = to_html(loaded_profile.policy, enforced=BUILD, standalone=True)
    assert page.startswith("<!doctype html>")
    assert '<html lang="en">' in page


@pytest.mark.promise("DIS-3")
@pytest.mark.parametrize(("name", "words"), [("japoon", "name and e-mail address"),
                                             ("quality", "name and postal address")])  # fmt: skip
def test_partners_receive_what_a_reader_calls_it(name, words, policy_path):
    """What the selected partners receive is named in a reader's words, never after the
    taxonomy's key ('user contact email')."""
    page = page_text(load_policy(policy_path(name)).policy)
    sentence = next(s for s in page.split("<p>") if "Selected partners" in s)
    assert f"They receive {words}," in sentence
    assert "user contact" not in page.lower()


@pytest.mark.promise("SEC-2")
def test_the_password_sentence_allows_the_forms_that_ask_for_it(policy_path):
    """The sign-in, sign-up, recovery and closing forms ask for the password: the page
    does not say no page does (tests/web/test_passwords.py: OWN_PASSWORD_PAGES)."""
    page = page_text(load_policy(policy_path("japoon")).policy)
    assert "No page, form or staff tool of ours asks for your password" not in page
    assert "only you are asked for it: to sign in, to choose it, or to confirm it is you" in page
