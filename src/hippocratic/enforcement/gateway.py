"""The one gateway to personal data (Zulip's rule: one approved way in).

    Customer.objects.for_purpose(actor, "essential.service").filter(...)

A personal-data model's default manager refuses unscoped access: `objects.all()`
raises UnscopedAccess, so forgetting the purpose is a bug tests catch, not a
silent leak. A scoped queryset, when it runs:

  1. leaves out subjects who opted out of the purpose (their OptOut rows; the policy
     offers no opt-out of essential uses, so those skip the filter);
  2. restricts a customer actor to their own rows;
  3. asks the decision engine about the categories it reads or writes;
  4. refuses (AccessDenied) when no category may be used, and withholds the
     fields a purpose may not see (limited disclosure): they come back as None;
  5. appends one audit entry per query, not one per row.
"""

import contextvars
import datetime as dt
from collections.abc import Sequence
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.db import connections, models, transaction

from hippocratic.enforcement import audit
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.audit import Action
from hippocratic.enforcement.fields import category_of
from hippocratic.enforcement.lookups import array_parameter
from hippocratic.enforcement.models import OptOut
from hippocratic.policy.decision import Decision
from hippocratic.provider import current_engine, current_policy

# Rows a PostgreSQL bulk write sends in one statement (one array per column).
ARRAY_ROWS = 10_000


class UnscopedAccess(RuntimeError):
    """Personal data was asked for without an actor and a purpose."""


class AccessDenied(PermissionDenied):
    """The policy refuses this access; `decision` says which rule refused it."""

    def __init__(self, decision: Decision | None, message: str):
        self.decision = decision
        super().__init__(message)


# Set while a gateway call that was decided and audited runs: Django's own
# machinery (deletion cascades, related lookups inside it) may then fetch rows.
_inside = contextvars.ContextVar("inside_gateway", default=False)


@contextmanager
def decided_elsewhere():
    """Run Django's machinery on personal rows for a caller that decides and audits
    the access itself: erasure (the subject's right), retention and conformance."""
    token = _inside.set(True)
    try:
        yield
    finally:
        _inside.reset(token)


def _ancestors(use: str) -> list[str]:
    """marketing.communications.email -> itself, marketing.communications, marketing."""
    parts = use.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


def _essential(use: str) -> bool:
    return use == "essential" or use.startswith("essential.")


class PersonalQuerySet(models.QuerySet):
    """A queryset bound to an actor and a purpose."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._actor: Actor | None = None
        self._purpose: str | None = None

    def _clone(self):
        clone = super()._clone()
        clone._actor, clone._purpose = self._actor, self._purpose
        return clone

    # --- scope ---------------------------------------------------------------------

    def _scoped(self, actor: Actor, purpose: str) -> "PersonalQuerySet":
        qs = self._clone()
        qs._actor, qs._purpose = actor, purpose
        model = self.model
        subject_field = model.subject_field
        if not _essential(purpose):  # the policy lets no one opt out of essential uses
            refused = OptOut.objects.filter(
                subject=model.data_subject, use__in=_ancestors(purpose)
            ).values("subject_id")
            qs = qs.exclude(**{f"{subject_field}__in": refused})
        if actor.is_subject:
            if model.data_subject != actor.role:
                return qs.none()  # a customer is never a prospect's or a visitor's subject
            if actor.subject_id is not None:
                return qs.filter(**{subject_field: actor.subject_id})
            if actor.login_id is not None and model.login_field:
                return qs.filter(**{model.login_field: actor.login_id})
            return qs.none()
        return qs

    def _require_scope(self) -> tuple[Actor, str]:
        if self._actor is None or self._purpose is None:
            raise UnscopedAccess(
                f"{self.model.__name__} holds personal data: use "
                f"{self.model.__name__}.objects.for_purpose(actor, purpose)"
            )
        return self._actor, self._purpose

    def _decide(self, action: Action, fields: list[models.Field]) -> tuple[Decision, set[str]]:
        """Decide for the categories of `fields`; deny (and audit it) if none may be used."""
        actor, purpose = self._require_scope()
        categories = {category_of(f) for f in fields} - {None}
        engine = current_engine()
        decision = engine.decide(actor.role, purpose, categories, self.model.data_subject)
        if categories and decision.refused == categories:
            self._audit(action, decision, categories, rows=0)
            raise AccessDenied(
                decision,
                f"{actor.label} ({actor.role}) may not {action} {self.model.__name__} "
                f"for {purpose}: {decision.reason.value} ({decision.rule})",
            )
        withheld = {f.attname for f in fields if category_of(f) in decision.refused}
        return decision, withheld

    def _audit(self, action: Action, decision: Decision, categories, rows: int, ref: str = "*"):
        actor, purpose = self._require_scope()
        if actor.subject_id is not None:
            ref = str(actor.subject_id)
        disclosed = set(categories) - decision.refused
        categories = disclosed or set(categories)
        audit.append(
            actor=actor,
            action=action,
            purpose=purpose,
            reason=decision.reason,
            subject=self.model.data_subject,
            subject_ref=ref,
            categories=categories,
            allowed=bool(disclosed),
            rule=decision.rule,
            promise=decision.promise,
            rows=rows,
        )

    # --- reads ---------------------------------------------------------------------

    def _read_fields(self) -> list[models.Field]:
        """The personal fields this query loads (values(), only() and defer() narrow it)."""
        personal = self.model.personal_fields()
        if self._fields:
            names, loads = set(self._fields), True
        else:
            names, deferring = self.query.deferred_loading
            loads = not deferring
        if loads and names:
            return [f for f in personal if f.name in names or f.attname in names]
        return [f for f in personal if f.name not in names]

    def _prepare_read(self) -> tuple[Decision, frozenset[str], set[str]]:
        """Decide a read: (decision, fields to withhold, categories read)."""
        fields = self._read_fields()
        decision, withheld = self._decide(Action.READ, fields)
        if withheld and not issubclass(self._iterable_class, models.query.ModelIterable):
            # values() rows are plain tuples or dicts: ask for allowed fields only.
            raise AccessDenied(decision, f"values() asks for withheld fields {sorted(withheld)}")
        return decision, frozenset(withheld), {category_of(f) for f in fields}

    @staticmethod
    def _withhold(obj, withheld: frozenset[str]):
        if withheld:
            for attname in withheld:
                setattr(obj, attname, None)
            obj._withheld = withheld
        return obj

    def _fetch_all(self):
        if self._result_cache is not None:
            return
        decision, withheld, categories = self._prepare_read()
        with decided_elsewhere():
            super()._fetch_all()
        for obj in self._result_cache:
            self._withhold(obj, withheld)
        self._audit(Action.READ, decision, categories, rows=len(self._result_cache))

    def iterator(self, chunk_size=None):
        decision, withheld, categories = self._prepare_read()
        # Streamed: the row count is not known when the entry is written (-1).
        self._audit(Action.READ, decision, categories, rows=-1)
        for obj in super().iterator(chunk_size=chunk_size):
            yield self._withhold(obj, withheld)

    # --- writes --------------------------------------------------------------------

    def _fields_named(self, names) -> list[models.Field]:
        by_name = {f.name: f for f in self.model.personal_fields()}
        by_name.update({f.attname: f for f in self.model.personal_fields()})
        return [by_name[n] for n in names if n in by_name]

    def _check_write(self, action: Action, fields: list[models.Field]) -> Decision:
        """A write needs every category it touches; a partial answer refuses it."""
        decision, withheld = self._decide(action, fields)
        if withheld:
            self._audit(
                action, decision, {category_of(f) for f in fields if f.attname in withheld}, rows=0
            )
            refused = sorted(category_of(f) for f in fields if f.attname in withheld)
            raise AccessDenied(decision, f"may not {action} {', '.join(refused)}")
        return decision

    def create(self, **kwargs):
        fields = self._fields_named(k for k, v in kwargs.items() if v not in (None, ""))
        decision = self._check_write(Action.CREATE, fields)
        obj = self.model(**kwargs)
        with decided_elsewhere():
            obj.save(force_insert=True, using=self.db)
        self._audit(
            Action.CREATE, decision, {category_of(f) for f in fields}, rows=1, ref=str(obj.pk)
        )
        return obj

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        names = {
            f.name for obj in objs for f in self.model.personal_fields()
            if getattr(obj, f.attname) not in (None, "")
        }  # fmt: skip
        fields = self._fields_named(names)
        decision = self._check_write(Action.CREATE, fields)
        with decided_elsewhere():
            created = super().bulk_create(objs, *args, **kwargs)
        self._audit(Action.CREATE, decision, {category_of(f) for f in fields}, rows=len(created))
        return created

    def insert_rows(
        self, columns: Sequence[str], rows: list[Sequence], *, ignore_conflicts: bool = False
    ) -> int:
        """Insert plain rows, decided and audited as bulk_create is, without building
        model instances (a million page views of an imported log). With
        `ignore_conflicts`, a row a unique constraint already holds is skipped."""
        fields = [self.model._meta.get_field(c) for c in columns]
        filled = [
            f for i, f in enumerate(fields)
            if category_of(f) and any(row[i] not in (None, "") for row in rows)
        ]  # fmt: skip
        decision = self._check_write(Action.CREATE, filled)
        if not rows:
            return 0
        connection = connections[self.db]
        prepare = [
            (i, _db_value(f, connection)) for i, f in enumerate(fields)
            if not isinstance(f, (models.CharField, models.BooleanField))
        ]  # fmt: skip
        if prepare:
            rows = [list(row) for row in rows]
            for row in rows:
                for i, to_db in prepare:
                    row[i] = to_db(row[i])
        quote = connection.ops.quote_name
        # Table and column names come from the model and are quoted; values are parameters.
        into = "INSERT INTO {} ({})".format(
            quote(self.model._meta.db_table), ", ".join(quote(f.column) for f in fields)
        )
        tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""  # SQLite and PostgreSQL
        # One transaction for the rows and their audit entry: all or none, and SQLite
        # commits once, not once a row (13x faster for a thousand rows).
        with transaction.atomic(using=self.db, savepoint=False), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Django's psycopg cursor binds client-side, so executemany would make a
                # round trip per row. One array per column instead (INSERT … SELECT
                # FROM unnest), each cast to its column's type: the statement stays short
                # and the same, where a VALUES list of a placeholder per value took
                # psycopg and the server longer to split and parse than to insert.
                arrays = ", ".join(f"CAST(%s AS {f.cast_db_type(connection)}[])" for f in fields)
                sql = f"{into} SELECT * FROM unnest({arrays}){tail}"  # noqa: S608
                for start in range(0, len(rows), ARRAY_ROWS):
                    batch = rows[start : start + ARRAY_ROWS]
                    columns = zip(*batch, strict=True)
                    cursor.execute(sql, [array_parameter(list(c)) for c in columns])
            else:
                one = ", ".join(["%s"] * len(fields))
                cursor.executemany(f"{into} VALUES ({one}){tail}", rows)
            self._audit(Action.CREATE, decision, {category_of(f) for f in filled}, rows=len(rows))
        return len(rows)

    def update_rows(self, columns: Sequence[str], rows: list[Sequence]) -> int:
        """Set `columns` to each row's own values, row by row: `rows` are (pk, *values).
        Decided and audited once, as update() is, for rows whose values differ (a billing
        run's answers); the rows must also match this query's scope. One statement,
        run for many parameter sets, where bulk_update builds a CASE per column."""
        fields = [self.model._meta.get_field(c) for c in columns]
        decision = self._check_write(Action.UPDATE, [f for f in fields if category_of(f)])
        if not rows:
            return 0
        allowed = set(self.values_list("pk", flat=True).filter(pk__any=[r[0] for r in rows]))
        if len(allowed) != len({r[0] for r in rows}):
            raise AccessDenied(decision, "update_rows names rows outside this query's scope")
        connection = connections[self.db]
        prepare = [_db_value(f, connection) for f in fields]
        params = [
            [None if v is None else to_db(v) for to_db, v in zip(prepare, row[1:], strict=True)]
            + [row[0]]
            for row in rows
        ]
        quote = connection.ops.quote_name
        table, pk = quote(self.model._meta.db_table), quote(self.model._meta.pk.column)
        # One transaction, as insert_rows: all or none, and one commit on SQLite.
        with transaction.atomic(using=self.db, savepoint=False), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One statement, one array per column: UPDATE … FROM unnest(…), each array
                # cast to its column's type. (A VALUES list of a parameter per value
                # took PostgreSQL longer to parse than to run.)
                every = [*fields, self.model._meta.pk]
                arrays = ", ".join(f"CAST(%s AS {f.db_type(connection)}[])" for f in every)
                names = ", ".join(f"v{i}" for i in range(len(every)))
                sets = ", ".join(f"{quote(f.column)} = v.v{i}" for i, f in enumerate(fields))
                # Names come from the model and are quoted; values are parameters.
                sql = (
                    f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v({names}) "  # noqa: S608
                    f"WHERE {table}.{pk} = v.v{len(fields)}"
                )
                columns = zip(*params, strict=True)
                cursor.execute(sql, [array_parameter(list(c)) for c in columns])
            else:
                # Names come from the model and are quoted; values are parameters.
                sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
                    table, ", ".join(f"{quote(f.column)} = %s" for f in fields), pk
                )
                cursor.executemany(sql, params)
            self._audit(
                Action.UPDATE, decision, {category_of(f) for f in fields if category_of(f)},
                rows=len(rows),
            )  # fmt: skip
        return len(rows)

    def update(self, **kwargs):
        fields = self._fields_named(kwargs)
        decision = self._check_write(Action.UPDATE, fields)
        with decided_elsewhere():
            rows = super().update(**kwargs)
        self._audit(Action.UPDATE, decision, {category_of(f) for f in fields}, rows=rows)
        return rows

    def delete(self):
        # Deleting a row removes what it holds: the categories the policy collects
        # (the others are empty; conformance checks that they stay so).
        collected = current_policy().collected_categories(self.model.data_subject)
        fields = [f for f in self.model.personal_fields() if category_of(f) in collected]
        decision = self._check_write(Action.DELETE, fields)
        with decided_elsewhere():
            deleted, counts = super().delete()
        self._audit(Action.DELETE, decision, {category_of(f) for f in fields}, rows=deleted)
        return deleted, counts


def _db_value(field: models.Field, connection):
    """The field's value -> database value conversion, for many rows."""
    if isinstance(field, models.DateTimeField):
        # Aware datetimes only (the callers' contract): skip the naive-time checks.
        if connection.vendor == "sqlite":
            # What SQLite's adapt_datetimefield_value makes (UTC, naive, as text),
            # without its per-value checks: a million page views of an imported log.
            return lambda value: (
                None if value is None else str(value.astimezone(dt.UTC).replace(tzinfo=None))
            )
        return connection.ops.adapt_datetimefield_value
    return lambda value: field.get_db_prep_save(value, connection)


class PersonalDataManager(models.Manager.from_queryset(PersonalQuerySet)):
    """Refuses unscoped access; `for_purpose` is the way in."""

    def get_queryset(self):
        raise UnscopedAccess(
            f"{self.model.__name__} holds personal data: use "
            f"{self.model.__name__}.objects.for_purpose(actor, purpose)"
        )

    def for_purpose(self, actor: Actor, purpose: str) -> PersonalQuerySet:
        qs = PersonalQuerySet(model=self.model, using=self._db, hints=self._hints)
        return qs._scoped(actor, purpose)


class InternalQuerySet(models.QuerySet):
    """What Django's machinery uses (the base manager): rows only inside a gateway call."""

    def _fetch_all(self):
        if self._result_cache is None and not _inside.get():
            raise UnscopedAccess(
                f"{self.model.__name__} rows were fetched outside the gateway (a related "
                "lookup or a deferred field?): read them with objects.for_purpose(actor, purpose)"
            )
        super()._fetch_all()


class InternalManager(models.Manager.from_queryset(InternalQuerySet)):
    pass


class PersonalDataModel(models.Model):
    """Base of every model holding personal data.

    Subclasses set `data_subject` (visitor, prospect or customer), `subject_field`
    (the field naming the subject's id, "pk" for the subject's own row) and
    `technical_fields` (fields that are not personal data, e.g. "id"); every
    other field must be declared with `personal(field, category)`.
    """

    data_subject: str = ""
    subject_field: str = "pk"
    # The field naming the subject's login, where the row has one (Customer.user).
    login_field: str | None = None
    technical_fields: tuple[str, ...] = ("id",)
    # Where retention periods run from: collection, and (after: account_closure)
    # the subject's account closing; None where a model has no such date.
    retention_clock: str | None = "created_at"
    closure_clock: str | None = None

    objects = PersonalDataManager()
    internal = InternalManager()

    class Meta:
        abstract = True
        # Subclasses' own Meta must subclass this one (class Meta(PersonalDataModel.Meta))
        # to keep it; conformance checks that every personal model does.
        base_manager_name = "internal"

    def save(self, *args, **kwargs):
        withheld = getattr(self, "_withheld", frozenset())
        update_fields = kwargs.get("update_fields")
        if withheld and (update_fields is None or withheld & set(update_fields)):
            raise AccessDenied(
                None,
                f"{type(self).__name__} was read with withheld fields {sorted(withheld)}; "
                "save it with update_fields naming only fields you could read",
            )
        super().save(*args, **kwargs)

    @classmethod
    def personal_fields(cls) -> list[models.Field]:
        return [f for f in cls._meta.concrete_fields if category_of(f)]


def purpose_for(model: type[PersonalDataModel]) -> str:
    """The first purpose the policy gives every category `model` holds (that it
    collects): what the service reads a whole row for, e.g. to show a customer
    their own data. Raises LookupError where no one purpose serves them all."""
    categories = frozenset(category_of(f) for f in model.personal_fields())
    purposes = current_engine().purposes_serving(model.data_subject, categories)
    if not purposes:
        raise LookupError(
            f"no purpose in the policy serves every category of {model.__name__}: "
            f"{sorted(categories)}"
        )
    return purposes[0]
