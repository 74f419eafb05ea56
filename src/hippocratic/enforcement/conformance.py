"""Does the code conform to the policy? `hippocratic policy conformance`.

It fails when:
  1. a field of a personal-data model has no declared category (and is not
     listed as technical), or a model loses the gateway's base manager;
  2. a declared category is not a taxonomy key;
  3. code stores a category the policy does not collect (rows in the database
     hold a value in such a field);
  4. code uses a purpose the policy does not declare: an active app's AppConfig
     `purposes` (what it asks for whenever it runs); a `Purpose.X` its source names
     that its AppConfig does not list; a purpose written as text in `for_purpose`;
  5. code, or Django, sets a cookie the policy does not declare (CK-6);
  6. a library's table (logins, sessions, login attempts, the task queue) is not
     declared in enforcement.libraries, or stores a category the policy does not
     collect, or a stored task carries more than ids and tokens.

An app that exists for some categories (billing for user.financial) names them
in its AppConfig as `policy_categories`; where the policy collects none of them
the app is dormant, and its source is not held to that policy: its models must
then hold no data at all, which check 3 verifies.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError

from hippocratic.enforcement.fields import category_of
from hippocratic.enforcement.gateway import decided_elsewhere
from hippocratic.enforcement.libraries import LIBRARY_MODELS, technical
from hippocratic.enforcement.registry import declarations, personal_models
from hippocratic.enforcement.retention import blankable
from hippocratic.policy.models import Policy
from hippocratic.policy.references import known_categories
from hippocratic.policy.taxonomy import is_within
from hippocratic.purposes import Purpose


@dataclass(frozen=True, order=True)
class Finding:
    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


def active(app_config, policy: Policy) -> bool:
    wanted = getattr(app_config, "policy_categories", ())
    collected = policy.collected_categories()
    return not wanted or any(is_within(c, w) for c in collected for w in wanted)


def check(policy: Policy, *, with_data: bool = True) -> list[Finding]:
    findings = [*_declarations(policy), *_source(policy), *_cookies(policy)]
    findings += _libraries(policy)
    if with_data:
        findings += [*_stored(policy), *_stored_by_libraries(policy), *_task_values()]
    return sorted(findings)


def _declarations(policy: Policy, models_: list | None = None):
    known = known_categories(policy)
    for d in declarations(models_):
        if not active(d.model._meta.app_config, policy):
            continue  # a dormant app's categories need not be in this policy's taxonomy
        name = d.model._meta.label
        for field in d.undeclared:
            yield Finding(
                f"{name}.{field}",
                "holds data with no declared category: wrap it in personal(field, "
                "category) or list it in technical_fields",
            )
        if d.model._meta.base_manager_name != "internal":
            yield Finding(name, "its Meta must subclass PersonalDataModel.Meta (base manager)")
        for field, category in d.fields.items():
            if category not in known:
                yield Finding(f"{name}.{field}", f"'{category}' is not a taxonomy key")


def stored_beyond_policy(policy: Policy) -> list[Finding]:
    """Checks 3 and 6 alone, quickly (at start-up): which fields hold data the policy
    does not collect, found with one EXISTS query each, not counted over a large table."""
    return sorted([*_stored(policy, counted=False), *_stored_by_libraries(policy, counted=False)])


def _stored(policy: Policy, *, counted: bool = True):
    """Rows holding a value in a field whose category the policy does not collect."""
    for d in declarations():
        subject = _subject(policy, d.subject)
        collected = policy.collected_categories(subject) if subject else set()
        for field in d.model.personal_fields():
            if category_of(field) in collected:
                continue
            rows = d.model.internal.all()
            if blankable(field):
                rows = rows.exclude(**{field.attname: None if field.null else ""})
            # else: a number or a relation that cannot be empty; every row stores one
            try:
                with decided_elsewhere():
                    n = rows.count() if counted else int(rows.exists())
            except DatabaseError:
                return  # no database yet: nothing is stored
            if n:
                held = f"{n} row(s) store" if counted else "rows store"
                yield Finding(
                    f"{d.model._meta.label}.{field.name}",
                    f"{held} {category_of(field)}, which the policy does not collect",
                )


def _libraries(policy: Policy):
    """Check 6's declarations: every model that is not ours is declared, field by field."""
    known = known_categories(policy)
    ours = set(personal_models())
    for model in apps.get_models(include_auto_created=True):
        if model in ours or model._meta.app_config.name.startswith("hippocratic."):
            continue
        label = model._meta.label
        declared = LIBRARY_MODELS.get(label)
        if declared is None:
            yield Finding(label, "a library's table that enforcement.libraries does not declare")
            continue
        names = {f.name for f in model._meta.concrete_fields}
        for name, category in declared.fields.items():
            if name not in names:
                yield Finding(f"{label}.{name}", "declared, but the table has no such field")
            elif category not in known:
                yield Finding(f"{label}.{name}", f"'{category}' is not a taxonomy key")


def _stored_by_libraries(policy: Policy, *, counted: bool = True):
    """Check 6's data: a library's field holding a category the policy does not collect."""
    for label, declared in LIBRARY_MODELS.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            continue  # an app this build leaves out (RQ's tasks, say)
        subject = _subject(policy, declared.subject) if declared.subject else None
        collected = policy.collected_categories(subject) if subject else set()
        for name, category in declared.fields.items():
            if category in collected:
                continue
            field = model._meta.get_field(name)
            rows = model._default_manager.exclude(**{name: None if field.null else ""})
            try:
                n = rows.count() if counted else int(rows.exists())
            except DatabaseError:
                return  # no database yet
            if n:
                held = f"{n} row(s) store" if counted else "rows store"
                yield Finding(f"{label}.{name}",
                              f"{held} {category}, which the policy does not collect")  # fmt: skip


def _task_values():
    """Check 6's task queue: arguments and results hold ids and tokens only."""
    try:
        model = apps.get_model("django_tasks_database", "DBTaskResult")
    except LookupError:
        return
    try:
        rows = list(model.objects.values_list("task_path", "args_kwargs", "return_value"))
    except DatabaseError:
        return
    for task_path, arguments, returned in rows:
        if not technical(arguments) or not technical(returned):
            yield Finding(task_path, "a stored task carries more than ids and tokens")


def _subject(policy: Policy, subject: str):
    return next((k for k in policy.subjects if k.value == subject), None)


def _source(policy: Policy):
    yield from _source_purposes(policy)
    for app_config in apps.get_app_configs():
        if not app_config.name.startswith("hippocratic."):
            continue
        listed = {
            *getattr(app_config, "purposes", ()),
            *getattr(app_config, "optional_purposes", ()),
        }
        for path in sorted(Path(app_config.path).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), str(path))
            where = path.relative_to(Path(app_config.path).parent)
            for line, name in _purpose_names(tree):
                if name not in Purpose.__members__:
                    yield Finding(f"{where}:{line}", f"Purpose.{name} does not exist")
                elif Purpose[name] not in listed:
                    yield Finding(
                        f"{where}:{line}",
                        f"uses Purpose.{name}, which {app_config.label}'s AppConfig does not "
                        "list in purposes or optional_purposes",
                    )
            for line, purpose in _literal_arguments(tree, "for_purpose", 1):
                yield Finding(
                    f"{where}:{line}",
                    f"names purpose '{purpose}' as text: name it in hippocratic.purposes.Purpose",
                )
            if not active(app_config, policy):
                continue  # a dormant app sets no cookies
            for line, cookie in _literal_arguments(tree, "set_cookie", 0):
                if cookie not in {c.name for c in policy.cookies}:
                    yield Finding(
                        f"{where}:{line}",
                        f"sets cookie '{cookie}', which the policy does not declare (CK-6)",
                    )


def _purpose_names(tree: ast.AST):
    """(line, name) of each `Purpose.NAME` in a module."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "Purpose"
            and not node.attr.startswith("_")
        ):
            yield node.lineno, node.attr


def purposes_needed(policy: Policy) -> list[Finding]:
    """Check 4's first part alone, for start-up: an active app needs a purpose the
    policy does not declare."""
    return sorted(f for f in _source_purposes(policy))


def _source_purposes(policy: Policy):
    declared = set(policy.purposes)
    for app_config in apps.get_app_configs():
        if app_config.name.startswith("hippocratic.") and active(app_config, policy):
            for purpose in getattr(app_config, "purposes", ()):
                if purpose not in declared:
                    yield Finding(
                        f"{app_config.label} (its AppConfig)",
                        f"needs purpose '{purpose}', which the policy does not declare",
                    )


def _literal_arguments(tree: ast.AST, method: str, position: int):
    """(line, value) of each string literal passed at `position` to any `.method(...)`."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == method
            and len(node.args) > position
            and isinstance(node.args[position], ast.Constant)
            and isinstance(node.args[position].value, str)
        ):
            yield node.lineno, node.args[position].value


def _literal_purposes(path: Path):
    return _literal_arguments(ast.parse(path.read_text(), str(path)), "for_purpose", 1)


def _literal_cookies(path: Path):
    return _literal_arguments(ast.parse(path.read_text(), str(path)), "set_cookie", 0)


def _cookies(policy: Policy):
    """The cookies Django itself sets, by configuration."""
    declared = {c.name for c in policy.cookies}
    django_cookies = {"SESSION_COOKIE_NAME": settings.SESSION_COOKIE_NAME}
    if not settings.CSRF_USE_SESSIONS:
        django_cookies["CSRF_COOKIE_NAME"] = settings.CSRF_COOKIE_NAME
    if "Cookie" in settings.MESSAGE_STORAGE or "Fallback" in settings.MESSAGE_STORAGE:
        django_cookies["MESSAGE_STORAGE"] = "messages"
    for setting, name in django_cookies.items():
        if name not in declared:
            yield Finding(f"settings.{setting}", f"Django sets cookie '{name}', undeclared (CK-6)")
