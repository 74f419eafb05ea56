from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
POLICIES = REPO / "policies"


def use_profile(name: str):
    """Run under one of the five profiles: `with use_profile("dracon"): ...`."""
    from django.test import override_settings

    return override_settings(HIPPOCRATIC_POLICY=str(POLICIES / f"{name}.yaml"))
