from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
POLICIES = REPO / "policies"


def use_profile(name: str):
    """Run under one of the five profiles: `with use_profile("dracon"): ...`."""
    from django.test import override_settings

    return override_settings(HIPPOCRATIC_POLICY=str(POLICIES / f"{name}.yaml"))


PROFILES = ("dracon", "isp", "japoon", "quality", "ducallier")


def making(*promise_ids: str) -> list[str]:
    """The profiles whose policy makes every one of `promise_ids`: a promise's test runs
    on each of them (a sentence is proved only on a profile its tests ran under)."""
    from hippocratic.policy import load_policy

    return [
        name for name in PROFILES
        if all(load_policy(POLICIES / f"{name}.yaml").policy.makes(p) for p in promise_ids)
    ]  # fmt: skip
