"""What a build of Hippocratic can keep: the promises its code enforces and the
cookies its code sets.

The core takes this as a value and never works it out itself (it imports no
Django); `hippocratic.capabilities.enforced()` builds it from the apps. A policy
may promise only what the build enforces: the linter says which promises it
cannot keep, and the renderer states only the promises it can.
"""

from dataclasses import dataclass

from hippocratic.policy.promises import CATALOGUE


@dataclass(frozen=True)
class Enforced:
    promises: frozenset[str]
    cookies: frozenset[str]

    def __post_init__(self):
        unknown = sorted(self.promises - set(CATALOGUE))
        if unknown:
            raise ValueError(f"not promise IDs in the catalogue: {', '.join(unknown)}")

    def keeps(self, promise_id: str) -> bool:
        return promise_id in self.promises

    def sets(self, cookie_name: str) -> bool:
        return cookie_name in self.cookies


# For rendering a policy as if every promise were kept: tests of the wording only.
EVERYTHING = Enforced(frozenset(CATALOGUE), frozenset())
