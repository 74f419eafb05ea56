"""A visitor browses and reads the policy: no cookie is set, every page passes axe."""

import pytest

from .pages import cookies_of, look, serious_violations

PROFILES = ["dracon", "isp", "japoon", "quality", "ducallier"]


@pytest.mark.promise("VIS-1")
@pytest.mark.parametrize("profile", PROFILES, indirect=True)
def test_a_visitor_reads_the_policy_with_no_cookie_set(site, page, profile):
    page.goto(site + "/")
    look(page, f"{profile} home")
    page.get_by_role("link", name="Privacy policy").first.click()
    page.wait_for_url("**/privacy/")
    assert page.get_by_role("heading", level=1).first.is_visible()
    look(page, f"{profile} privacy policy")
    assert cookies_of(page) == []  # nothing set by browsing or reading


def test_the_accessibility_check_finds_what_it_should(page):
    """The control: axe, as run here, reports a serious violation on a page that has one."""
    page.set_content('<html lang="en"><body><main><img src="x.png"><a href="/"></a></main>')
    found = serious_violations(page)
    assert any(v.startswith("image-alt (critical)") for v in found), found
    assert any(v.startswith("link-name (serious)") for v in found), found
