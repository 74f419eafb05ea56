"""What the policy asks a data subject for, and where (ACC-1, ACC-2): the forms, the
profile page and the customer's own data all ask this module, so they agree."""

from hippocratic.enforcement.fields import category_of
from hippocratic.policy.models import DataItem
from hippocratic.provider import current_policy

SIGN_UP = {"sign_up"}
PROFILE = {"sign_up", "profile"}  # the customer may correct anything they gave us
INQUIRY = {"inquiry"}


def asked_at(model, points: set[str], only=None) -> list[tuple[str, DataItem]]:
    """(model field, policy item) for each field of `model` (or of `only` among them)
    the policy asks its subject for at one of `points`, matched by data category,
    in policy order."""
    policy = current_policy()
    subject = policy.subjects.get(model.data_subject)
    if subject is None:
        return []
    by_category: dict[str, list[str]] = {}
    for field in model.personal_fields():
        if only is not None and field.name not in only:
            continue
        if field.editable and not field.choices and not field.is_relation:
            by_category.setdefault(category_of(field), []).append(field.name)
    found, taken = [], set()
    for item in subject.data:
        if not points & {str(p) for p in item.collected_at}:
            continue
        names = [n for n in by_category.get(item.category, ()) if n not in taken]
        # One field per item: prefer the one the policy names, else the first free.
        name = item.field if item.field in names else (names[0] if names else None)
        if name:
            taken.add(name)
            found.append((name, item))
    return found


def asked_names(model, points: set[str], only=None) -> list[str]:
    """The names of the fields `asked_at` finds, in policy order."""
    return [name for name, _ in asked_at(model, points, only)]
