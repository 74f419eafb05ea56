"""Published versions of the policy (POL-4): each published file stays readable at its
own address, byte for byte; the same text published twice is one version; a file
edited in place and not published is named at start-up."""

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from tests_paths import POLICIES

from hippocratic.site import checks
from hippocratic.versions import publishing as versions
from hippocratic.versions.models import PolicyVersion

pytestmark = pytest.mark.django_db


@pytest.mark.promise("POL-4")
@pytest.mark.parametrize("profile", ["ducallier", "japoon"])
def test_every_published_version_stays_readable_byte_for_byte(profile, tmp_path, capsys):
    original = (POLICIES / f"{profile}.yaml").read_bytes()
    path = tmp_path / f"{profile}.yaml"
    path.write_bytes(original)
    with override_settings(HIPPOCRATIC_POLICY=str(path)):
        call_command("publish_policy", str(path), by="legal")
        assert "published: version 1" in capsys.readouterr().out
        versions.publish(path)  # the same text again: the same version
        assert PolicyVersion.objects.count() == 1
        assert checks.policy_file_is_published(None) == []
        # A new version: a sentence of the introduction changes.
        changed = original.replace(b"introduction: ", b"introduction: Updated. ", 1)
        assert changed != original
        path.write_bytes(changed)
        (warning,) = checks.policy_file_is_published(None)  # edited, not published
        assert warning.id == "hippocratic.W004"
        second = versions.publish(path)
        assert second.number == 2 and checks.policy_file_is_published(None) == []
        visitor = Client()
        listing = visitor.get("/privacy/versions/").content.decode()
        assert "Version 1" in listing and "Version 2" in listing
        assert visitor.get("/privacy/versions/1/policy.yaml").content == original
        assert visitor.get("/privacy/versions/2/policy.yaml").content == changed
        old_page = visitor.get("/privacy/versions/1/").content.decode()
        assert "Updated." not in old_page and "Version 1" in old_page
        assert "Updated." in visitor.get("/privacy/versions/2/").content.decode()
        page = visitor.get("/privacy/").content.decode()
        if profile == "ducallier":  # notice of every change: version 2 waits (issue 31)
            assert "takes effect on" in page and "Read version 2" in page
        else:
            assert "version 2 of this policy" in page
        assert visitor.get("/privacy/versions/3/").status_code == 404


@pytest.mark.promise("POL-4")
def test_an_invalid_file_is_not_published(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    text = (POLICIES / "japoon.yaml").read_text()
    bad.write_text(text.replace("format: hippocratic/1", "format: hippocratic/9"))
    with pytest.raises(SystemExit) as exited:
        call_command("publish_policy", str(bad))
    assert exited.value.code == 1
    assert "error: " in capsys.readouterr().err
    assert not PolicyVersion.objects.exists()


@pytest.mark.promise("POL-4")
@pytest.mark.django_db
def test_a_versions_changes_are_grouped_by_section_material_first_in_words():
    """Issue 32: after a policy change the page listed about 70 changes as one bullet
    list, a category's key among them. Now by section, the sections and changes that do
    more with people's information first, each key in the policy's words."""
    from hippocratic.site.views import grouped_changes

    changes = [
        {"words": "We no longer set the cookie x", "material": False, "rule": "cookie-removed"},
        {"words": "Customers: we no longer collect Fax", "material": False,
         "rule": "category-dropped"},
        {"words": "We may now share data with Acme", "material": True, "rule": "recipient-added"},
        {"words": "Customers: we now collect Fax number (user.contact.fax_number)",
         "material": True, "rule": "category-collected"},
    ]  # fmt: skip
    groups = grouped_changes(changes)
    assert [g["title"] for g in groups] == [
        "Information we collect", "Sharing and disclosure", "Cookies"]  # fmt: skip
    first = groups[0]["changes"]
    assert first[0]["material"] and not first[1]["material"]
    assert first[0]["words"] == "Customers: we now collect Fax number (fax number)"
