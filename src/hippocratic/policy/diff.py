"""What changed between two versions of a policy, in words, and whether it is material.

    changes(old, new) -> [Change("Customers: we now collect Fax number (fax number)",
                                 material=True, rule="category-collected"), ...]

A change is material when it lets the provider do more with people's data than the
old version did (POL-3: it then takes effect only after the notice period): a category
collected, a purpose added, a period lengthened, a recipient added or given more, a
cookie added or kept longer, a choice or a promise or a prohibition taken away. A
change that does less (a category dropped, a period shortened) or only rewords is not.
Each rule has a name, which tests and the page show. Pure Python, like the rest of the
policy core.
"""

from dataclasses import dataclass

from hippocratic.policy import prose, words
from hippocratic.policy.models import Policy
from hippocratic.policy.promises import CATALOGUE


@dataclass(frozen=True)
class Change:
    words: str
    material: bool
    rule: str


def changes(old: Policy, new: Policy) -> list[Change]:
    found: list[Change] = []
    found += _data(old, new)
    found += _recipients(old, new)
    found += _cookies(old, new)
    found += _choices(old, new)
    found += _promises(old, new)
    found += _prohibitions(old, new)
    found += _terms(old, new)
    return found


def material(found: list[Change]) -> bool:
    return any(c.material for c in found)


def _items(policy: Policy) -> dict[tuple[str, str], object]:
    return {(kind.value, item.field): item for kind, item in policy.data_items()}


def _who(policy: Policy, kind: str) -> str:
    return next(s.name for k, s in policy.subjects.items() if k.value == kind)


def _days(retention) -> int | None:
    return None if retention is None else retention.days


def _data(old: Policy, new: Policy) -> list[Change]:
    before, after = _items(old), _items(new)
    found = []
    for key in after.keys() - before.keys():
        item = after[key]
        found.append(Change(f"{_who(new, key[0])}: we now collect {item.label} "
                            f"({prose.lower(words.category(new, item.category))})", True,
                            "category-collected"))  # fmt: skip
    for key in before.keys() - after.keys():
        item = before[key]
        found.append(Change(f"{_who(old, key[0])}: we no longer collect {item.label}", False,
                            "category-dropped"))  # fmt: skip
    for key in sorted(before.keys() & after.keys()):
        was, now = before[key], after[key]
        who = _who(new, key[0])
        for purpose in sorted(set(now.purposes) - set(was.purposes)):
            name = new.purposes[purpose].name if purpose in new.purposes else purpose
            found.append(Change(f"{who}: {now.label} may now be used to {name[0].lower()}"
                                f"{name[1:]}", True, "purpose-added"))  # fmt: skip
        for purpose in sorted(set(was.purposes) - set(now.purposes)):
            name = old.purposes[purpose].name if purpose in old.purposes else purpose
            found.append(Change(f"{who}: {now.label} is no longer used to {name[0].lower()}"
                                f"{name[1:]}", False, "purpose-removed"))  # fmt: skip
        if was.category != now.category:
            found.append(Change(f"{who}: {now.label} is now classed as "
                                f"{prose.lower(words.category(new, now.category))}", True,
                                "category-changed"))  # fmt: skip
        kept_was, kept_now = _days(was.retention), _days(now.retention)
        if kept_was != kept_now:
            longer = kept_now is None or (kept_was is not None and kept_now > kept_was)
            found.append(Change(
                f"{who}: we keep {now.label} for "
                f"{'no set period' if kept_now is None else f'{kept_now} days'} "
                f"(was {'no set period' if kept_was is None else f'{kept_was} days'})",
                longer, "retention-longer" if longer else "retention-shorter",
            ))  # fmt: skip
    return found


def _recipients(old: Policy, new: Policy) -> list[Change]:
    before = {r.key: r for r in old.recipients}
    after = {r.key: r for r in new.recipients}
    found = []
    for key in sorted(after.keys() - before.keys()):
        found.append(Change(f"We may now share data with {after[key].name}", True,
                            "recipient-added"))  # fmt: skip
    for key in sorted(before.keys() - after.keys()):
        found.append(Change(f"We no longer share data with {before[key].name}", False,
                            "recipient-removed"))  # fmt: skip
    for key in sorted(before.keys() & after.keys()):
        was, now = before[key], after[key]
        more = sorted(set(now.categories) - set(was.categories))
        grounds = sorted(set(now.grounds) - set(was.grounds))
        if more or grounds or (was.aggregates_only and not now.aggregates_only):
            found.append(Change(f"{now.name} may now receive more: "
                                f"{', '.join([*more, *grounds]) or 'more than aggregates'}",
                                True, "recipient-widened"))  # fmt: skip
        if was.opt_out and not now.opt_out:
            found.append(Change(f"You can no longer refuse sharing with {now.name}", True,
                                "opt-out-removed"))  # fmt: skip
    return found


def _cookies(old: Policy, new: Policy) -> list[Change]:
    before = {c.name: c for c in old.cookies}
    after = {c.name: c for c in new.cookies}
    found = [Change(f"A new cookie: {after[n].name} ({after[n].description})", True,
                    "cookie-added") for n in sorted(after.keys() - before.keys())]  # fmt: skip
    found += [Change(f"We no longer set the cookie {n}", False, "cookie-removed")
              for n in sorted(before.keys() - after.keys())]  # fmt: skip
    for name in sorted(before.keys() & after.keys()):
        was, now = before[name].max_age_days, after[name].max_age_days
        if was != now and was is not None and (now is None or now > was):
            found.append(Change(f"The cookie {name} now lasts {now} days (was {was})", True,
                                "cookie-longer"))  # fmt: skip
        if before[name].optional and not after[name].optional:
            found.append(Change(f"The cookie {name} can no longer be refused", True,
                                "cookie-required"))  # fmt: skip
    return found


def _choices(old: Policy, new: Policy) -> list[Change]:
    before = {c.key: c for c in old.choices}
    after = {c.key: c for c in new.choices}
    found = [Change(f"You can no longer {_asking(before[k])}", True, "choice-removed")
             for k in sorted(before.keys() - after.keys())]  # fmt: skip
    found += [Change(f"You can now {_asking(after[k])}", False, "choice-added")
              for k in sorted(after.keys() - before.keys())]  # fmt: skip
    return found


VERBS = {"opt_out": "opt out: {}", "access": "see {}", "correction": "correct {}",
         "deletion": "have us delete {}", "discontinue": "discontinue {}",
         "question": "ask us about {}"}  # fmt: skip


def _asking(choice) -> str:
    return VERBS.get(choice.kind.value, "ask for {}").format(choice.name)


def _promises(old: Policy, new: Policy) -> list[Change]:
    found = [Change(f"We no longer promise: {CATALOGUE[p]} ({p})", True, "promise-removed")
             for p in sorted(set(old.promises) - set(new.promises))]  # fmt: skip
    found += [Change(f"We now also promise: {CATALOGUE[p]} ({p})", False, "promise-added")
              for p in sorted(set(new.promises) - set(old.promises))]  # fmt: skip
    return found


def _prohibitions(old: Policy, new: Policy) -> list[Change]:
    before = {p.statement for p in old.prohibitions}
    after = {p.statement for p in new.prohibitions}
    found = [Change(f"We no longer say: {s}", True, "prohibition-removed")
             for s in sorted(before - after)]  # fmt: skip
    found += [
        Change(f"We now say: {s}", False, "prohibition-added") for s in sorted(after - before)
    ]
    return found


def _terms(old: Policy, new: Policy) -> list[Change]:
    """A clause of the terms added, changed or removed: material, since a clause may let
    us do more (the grounds DIS-2, DIS-9 and COM-5 rest on are clauses)."""
    before = {c.key: c for c in old.terms.clauses} if old.terms else {}
    after = {c.key: c for c in new.terms.clauses} if new.terms else {}
    title = (new.terms or old.terms).title if (new.terms or old.terms) else ""
    found = [Change(f"{title}: a new clause, {after[k].title}", True, "terms-clause-added")
             for k in after if k not in before]  # fmt: skip
    found += [Change(f"{title}: the clause {before[k].title} is removed", True,
                     "terms-clause-removed") for k in before if k not in after]  # fmt: skip
    found += [Change(f"{title}: the clause {after[k].title} changes", True,
                     "terms-clause-changed")
              for k in after if k in before and after[k] != before[k]]  # fmt: skip
    return found
