"""`export-fides` writes resources that fideslang itself accepts."""

from fideslang.models import DataCategory, System

from hippocratic.policy.fides import export_manifest


def test_export_validates_as_fideslang_resources(loaded_profile):
    manifest = export_manifest(loaded_profile.policy)
    systems = [System.model_validate(s) for s in manifest["system"]]
    for category in manifest.get("data_category", []):
        DataCategory.model_validate(category)
    declared = {d.data_use for d in systems[0].privacy_declarations}
    used = {u for _, item in loaded_profile.policy.data_items() for u in item.purposes}
    assert declared == used


def test_each_declaration_lists_the_categories_that_serve_it(loaded_profile):
    policy = loaded_profile.policy
    manifest = export_manifest(policy)
    for declaration in manifest["system"][0]["privacy_declarations"]:
        expected = {
            item.category
            for _, item in policy.data_items()
            if declaration["data_use"] in item.purposes
        }
        assert set(declaration["data_categories"]) == expected
