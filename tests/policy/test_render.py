"""The published policy is generated from the policy file (POL-1) and shows its date (POL-2)."""

import html
import re

import pytest

from hippocratic.policy.render import build_document, to_html, to_markdown

# Sections each seed's own text has, by the anchor the renderer gives them.
SEED_SECTIONS = {
    "dracon": {"introduction", "visitors", "cookies", "customers", "communications", "sharing"},
    "isp": {"introduction", "visitors", "cookies", "customers", "communications", "sharing"},
    "japoon": {"introduction", "visitors", "cookies", "customers", "communications", "sharing",
               "choices", "security", "changes", "contact"},
    "quality": {"introduction", "visitors", "cookies", "customers", "sharing"},
    "ducallier": {"introduction", "visitors", "cookies", "prospects", "customers",
                  "communications", "sharing", "choices", "security", "changes", "contact"},
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SEED_SECTIONS))
def test_policy_page_covers_every_section_of_its_seed(name, policy_path):
    from hippocratic.policy import load_policy

    policy = load_policy(policy_path(name)).policy
    anchors = {s.anchor for s in build_document(policy).sections}
    assert SEED_SECTIONS[name] <= anchors
    page = to_html(policy)
    for anchor in SEED_SECTIONS[name]:
        assert f'<section id="{anchor}">' in page


@pytest.mark.promise("POL-2")
def test_policy_shows_last_revision_date(profile):
    policy = profile.policy
    page = to_html(policy)
    assert f'<time datetime="{policy.revision.date.isoformat()}">' in page
    date = policy.revision.date
    assert f"{date.strftime('%B')} {date.day}, {date.year}" in to_markdown(policy)


@pytest.mark.promise("POL-1")
def test_every_collected_item_cookie_and_recipient_is_on_the_page(profile):
    """What the software enforces is what the page states: nothing is left out."""
    policy = profile.policy
    page = html.unescape(to_html(policy))
    for _, item in policy.data_items():
        assert item.label in page or item.label[:1].lower() + item.label[1:] in page
    for cookie in policy.cookies:
        assert f"<td>{cookie.name}</td>" in page
    for recipient in policy.recipients:
        if recipient.kind.value != "law_enforcement":
            assert recipient.name in page


def test_promise_anchors_are_literal_and_unique(profile):
    page = to_html(profile.policy)
    ids = re.findall(r' id="([A-Z]+-\d+)"', page)
    assert len(ids) == len(set(ids))
    assert set(ids) <= set(profile.policy.promises)


def test_text_from_the_file_is_escaped(policy_path):
    from hippocratic.policy import load_policy_text

    text = (
        policy_path("dracon")
        .read_text()
        .replace("name: Dracon\n", "name: <script>alert(1)</script>\n")
    )
    page = to_html(load_policy_text(text).policy)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_standalone_html_is_a_whole_page(profile):
    page = to_html(profile.policy, standalone=True)
    assert page.startswith("<!doctype html>")
    assert '<html lang="en">' in page
