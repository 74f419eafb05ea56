"""Export a policy as a Fides manifest (fideslang resources), so Fides can read it.

One system for the provider's platform, with a privacy declaration per data
use listing the categories and subjects that serve it; custom categories are
exported as data_category resources; recipients become egress data flows.
"""

from collections import defaultdict

from hippocratic.policy.models import Policy

SYSTEM_TYPE = "Service"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_")


def export_manifest(policy: Policy) -> dict:
    system_key = f"{_slug(policy.provider.name)}_platform"
    declared: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for kind, item in policy.data_items():
        for use in item.purposes:
            declared[use]["categories"].add(item.category)
            declared[use]["subjects"].add(kind.value)
    declarations = [
        {
            "name": policy.purposes[use].name,
            "data_use": use,
            "data_categories": sorted(found["categories"]),
            "data_subjects": sorted(found["subjects"]),
        }
        for use, found in sorted(declared.items())
    ]
    egress = [
        {"fides_key": _slug(r.key), "type": "system", "data_categories": sorted(r.categories)}
        for r in policy.recipients
        if r.categories
    ]
    system = {
        "fides_key": system_key,
        "name": f"{policy.provider.name} platform",
        "description": policy.provider.kind,
        "organization_fides_key": "default_organization",
        "system_type": SYSTEM_TYPE,
        "privacy_declarations": declarations,
    }
    if egress:
        system["egress"] = egress
    manifest: dict = {"system": [system]}
    if policy.taxonomy.data_categories:
        manifest["data_category"] = [
            {
                "fides_key": c.fides_key,
                "parent_key": c.parent_key,
                "name": c.name,
                "description": c.description,
                "organization_fides_key": "default_organization",
            }
            for c in policy.taxonomy.data_categories
        ]
    return manifest
