"""The one gateway to personal data (Zulip's rule: one approved way in).

    Customer.objects.for_purpose(actor, Purpose.SERVICE).filter(...)

A queryset names who asks (an Actor) and why (a purpose); the gate
(enforcement.gate) then decides every statement it runs on everything the statement
names, and audits it, however it is run (a fetch, count(), exists(), aggregate(),
update(), a join from another model, a related manager). The gateway adds what a
queryset knows and a statement does not:

  1. it leaves out subjects who opted out of the purpose (their OptOut rows; the
     policy offers no opt-out of essential uses, so those skip the filter);
  2. it restricts a customer actor to their own rows;
  3. it withholds, from model instances it returns, the fields the purpose may not
     see (limited disclosure): they are not asked of the database and come back as
     None; anything else that names a refused category is refused whole;
  4. it decides and audits the writes it makes itself (create, bulk_create,
     insert_rows, update_rows, delete), and an instance remembers the scope it was
     read under, so its save(), delete(), refresh and related managers stay inside it.

Model.objects without for_purpose is a queryset no statement of which will run.
"""

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache

from django.db import connections, models, transaction
from django.db.models.query import ModelIterable
from django.db.models.sql import UpdateQuery

from hippocratic.enforcement import audit
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.audit import Action
from hippocratic.enforcement.decided import decided_elsewhere, is_decided_elsewhere
from hippocratic.enforcement.fields import category_of
from hippocratic.enforcement.gate import (
    AccessDenied,
    Basis,
    Scope,
    UnscopedAccess,
    Verdict,
    analyse,
    essential,
    personal_tables,
    register,
    write,
)
from hippocratic.enforcement.lookups import array_parameter
from hippocratic.enforcement.models import OptOut
from hippocratic.policy.decision import Decision
from hippocratic.policy.models import SubjectKind
from hippocratic.policy.reasons import Reason
from hippocratic.provider import current_engine, current_policy

__all__ = [
    "AccessDenied",
    "PersonalDataManager",
    "PersonalDataModel",
    "PersonalQuerySet",
    "UnscopedAccess",
    "decided_elsewhere",
    "purpose_for",
]

# Rows a PostgreSQL bulk write sends in one statement (one array per column).
ARRAY_ROWS = 10_000


def _ancestors(use: str) -> list[str]:
    """marketing.communications.email -> itself, marketing.communications, marketing."""
    parts = use.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


def _unscoped(model) -> UnscopedAccess:
    return UnscopedAccess(
        f"{model.__name__} holds personal data: use "
        f"{model.__name__}.objects.for_purpose(actor, purpose)"
    )


class PersonalQuerySet(models.QuerySet):
    """A queryset bound to an actor and a purpose (its query carries the Scope)."""

    @property
    def scope(self) -> Scope | None:
        return getattr(self.query, "gateway_scope", None)

    # --- scope ---------------------------------------------------------------------

    def _scoped(
        self, actor: Actor, purpose: str, *, basis: Basis | None = None
    ) -> "PersonalQuerySet":
        qs = self._chain()
        qs.query.gateway_scope = Scope(actor, str(purpose), basis)
        model = self.model
        subject_field = model.subject_field
        # The policy lets no one opt out of essential uses; a visitor has no identity to
        # opt out with (their rows name no one).
        if not essential(purpose) and model.data_subject != SubjectKind.VISITOR:
            refused = OptOut.objects.filter(
                subject=model.data_subject, use__in=_ancestors(purpose)
            ).values("subject_id")
            qs = qs.exclude(**{f"{subject_field}__in": refused})
        if actor.is_subject:
            if model.data_subject != actor.role:  # a customer is never a prospect's subject
                refusal = Decision(False, Reason.NOT_OWN_ROWS, f"{actor.role} reads only their own")
                write(Verdict(qs.scope, model.data_subject, refusal, frozenset()), Action.READ,
                      rows=0, allowed=False)  # fmt: skip
                raise AccessDenied(
                    refusal, f"{actor.label} ({actor.role}) may not read {model.__name__}: "
                    f"{Reason.NOT_OWN_ROWS.value} (rows about a {model.data_subject})",
                )  # fmt: skip
            if actor.subject_id is not None:
                return qs.filter(**{subject_field: actor.subject_id})
            if actor.login_id is not None and model.login_field:
                return qs.filter(**{model.login_field: actor.login_id})
            return qs.none()
        return qs

    def _require_scope(self) -> Scope:
        scope = self.scope
        if scope is None:
            raise _unscoped(self.model)
        return scope

    def _decide(self, action: Action, fields: list[models.Field]) -> tuple[Decision, set[str]]:
        """Decide for the categories of `fields`; deny (and audit it) if none may be used."""
        scope = self._require_scope()
        actor, purpose = scope.actor, scope.purpose
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

    def _audit(
        self, action: Action, decision: Decision | None, categories, rows: int, ref: str = "*"
    ):
        if decision is None:  # decided and audited elsewhere
            return
        scope = self._require_scope()
        actor, basis = scope.actor, scope.basis
        if actor.subject_id is not None:
            ref = str(actor.subject_id)
        allowed = decision.allowed or not (set(categories) & decision.refused)
        rule, promise = decision.rule, decision.promise
        if basis is not None and allowed:
            ref, rule, promise = basis.subject_ref, basis.rule, basis.promise
        audit.append(
            actor=actor,
            action=action,
            purpose=scope.purpose,
            reason=decision.reason,
            subject=self.model.data_subject,
            subject_ref=ref,
            categories=categories,
            allowed=allowed,
            rule=rule,
            promise=promise,
            rows=rows,
        )

    # --- reads ---------------------------------------------------------------------

    def _withheld(self) -> frozenset[str]:
        """The fields model instances will not carry: loaded, but of a category the
        purpose may not see. (values() rows are not withheld from: the gate refuses.)"""
        scope = self.scope
        if scope is None or not issubclass(self._iterable_class, ModelIterable):
            return frozenset()
        return _withheld_fields(
            current_engine(), self.model, scope.actor.role, scope.purpose,
            self._fields, self.query.deferred_loading,
        )  # fmt: skip

    def _asked(self, withheld: frozenset[str]):
        """The query to run: the same, selecting NULL for what the purpose may not see
        (the gate's Withheld columns), of these rows, of rows select_related() brings,
        and of the other parts of a union. The values never leave the database, and
        instances are built as usual."""
        scope = self.scope
        if scope is None or not issubclass(self._iterable_class, ModelIterable):
            return self.query
        by_table = {}
        if withheld:
            columns = {f.attname: f.column for f in self.model._meta.concrete_fields}
            by_table[self.model._meta.db_table] = frozenset(columns[a] for a in withheld)
        for related in _selected_related(self.model, self.query.select_related):
            if related in _personal_models():
                refused = _withheld_fields(
                    current_engine(), related, scope.actor.role, scope.purpose, None,
                    (frozenset(), True),
                )  # fmt: skip
                columns = {f.attname: f.column for f in related._meta.concrete_fields}
                if refused:
                    by_table[related._meta.db_table] = frozenset(columns[a] for a in refused)
        if not by_table:
            return self.query
        query = self.query.clone()
        query.gateway_withheld = by_table
        if query.combinator:
            parts = [q.clone() for q in query.combined_queries]
            for part in parts:
                part.gateway_withheld = by_table
            query.combined_queries = tuple(parts)
        return query

    def _mark(self, obj, withheld: frozenset[str]):
        """An instance carries the scope it was read under, and which fields it was not
        given (None: it may not be saved over them)."""
        if withheld:
            obj._withheld = withheld
        obj._gateway_scope = self.scope
        return obj

    def explain(self, *, format=None, **options):
        qs = self._chain()
        qs._query = self._asked(self._withheld())
        return super(PersonalQuerySet, qs).explain(format=format, **options)

    def _fetch_all(self):
        if self._result_cache is not None:
            return
        withheld = self._withheld()
        query = self.query
        self._query = self._asked(withheld)
        try:
            super()._fetch_all()
        finally:
            self._query = query
        if (withheld or self.scope) and issubclass(self._iterable_class, ModelIterable):
            for obj in self._result_cache:
                self._mark(obj, withheld)

    def iterator(self, chunk_size=None):
        withheld = self._withheld()
        qs = self._chain()
        qs._query = self._asked(withheld)
        rows = super(PersonalQuerySet, qs).iterator(chunk_size=chunk_size)
        if not issubclass(self._iterable_class, ModelIterable):
            yield from rows
            return
        for obj in rows:
            yield self._mark(obj, withheld)

    async def aiterator(self, chunk_size=2000):
        withheld = self._withheld()
        qs = self._chain()
        qs._query = self._asked(withheld)
        modelled = issubclass(self._iterable_class, ModelIterable)
        async for obj in super(PersonalQuerySet, qs).aiterator(chunk_size=chunk_size):
            yield self._mark(obj, withheld) if modelled else obj

    def _merge_sanity_check(self, other):
        """`a | b`, `a & b`, `a ^ b` make one query with a's scope: b must have the same
        (or its rows would join a's without b's narrowing: a customer's own, opt-outs)."""
        super()._merge_sanity_check(other)
        if getattr(other.query, "gateway_scope", None) != self.scope:
            raise AccessDenied(
                None, f"{self.model.__name__}: querysets asked under different actors or "
                "purposes (or none) are not combined",
            )  # fmt: skip

    def raw(self, *args, **kwargs):
        raise AccessDenied(None, f"{self.model.__name__} holds personal data: raw() is refused")

    def extra(self, *args, **kwargs):
        raise AccessDenied(None, f"{self.model.__name__} holds personal data: extra() is refused")

    # --- writes --------------------------------------------------------------------

    def _check_write(self, action: Action, fields: list[models.Field]) -> Decision | None:
        """A write needs every category it touches; a partial answer refuses it. None:
        an unscoped write inside decided_elsewhere(), which its caller decides and audits."""
        if self.scope is None and is_decided_elsewhere():
            return None
        decision, withheld = self._decide(action, fields)
        if withheld:
            self._audit(
                action, decision, {category_of(f) for f in fields if f.attname in withheld}, rows=0
            )
            refused = sorted(category_of(f) for f in fields if f.attname in withheld)
            raise AccessDenied(decision, f"may not {action} {', '.join(refused)}")
        return decision

    def _check_new_rows(self, objs: list) -> tuple[Decision | None, list[models.Field]]:
        """Decide new rows as they will be written (their defaults too): every category
        they fill, values only (an expression computed by the database is a read, which
        an INSERT's decision cannot see), and a subject's rows their own. (None, ...):
        unscoped inside decided_elsewhere(), which its caller decides and audits."""
        personal = self.model.personal_fields()
        filled = [f for f in personal if any(getattr(o, f.attname) not in (None, "") for o in objs)]
        if self.scope is None and is_decided_elsewhere():
            return None, filled
        scope = self._require_scope()
        subject_field = self.model.subject_field
        owner_attname = (
            None if subject_field == "pk" else self.model._meta.get_field(subject_field).attname
        )
        for obj in objs:
            for field in self.model._meta.concrete_fields:
                if hasattr(getattr(obj, field.attname, None), "resolve_expression"):
                    raise AccessDenied(
                        None, f"{self.model.__name__}.{field.name}: a new row's values are "
                        "written as values, not expressions the database computes (a read)",
                    )  # fmt: skip
            mine = owner_attname is None or getattr(obj, owner_attname) == scope.actor.subject_id
            if scope.actor.is_subject and not mine:
                refusal = Decision(False, Reason.NOT_OWN_ROWS, "another's row", "ACC-9")
                self._audit(Action.CREATE, refusal, set(), rows=0)
                raise AccessDenied(
                    refusal, f"{scope.actor.label} may not create {self.model.__name__} "
                    f"rows of another {self.model.data_subject}: not_own_rows",
                )  # fmt: skip
        return self._check_write(Action.CREATE, filled), filled

    def create(self, **kwargs):
        obj = self.model(**kwargs)
        decision, filled = self._check_new_rows([obj])
        with decided_elsewhere():
            obj.save(force_insert=True, using=self.db)
        obj._gateway_scope = self.scope
        self._audit(
            Action.CREATE, decision, {category_of(f) for f in filled}, rows=1, ref=str(obj.pk)
        )
        return obj

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        decision, filled = self._check_new_rows(objs)
        with decided_elsewhere():
            created = super().bulk_create(objs, *args, **kwargs)
        for obj in created:
            obj._gateway_scope = self.scope
        self._audit(Action.CREATE, decision, {category_of(f) for f in filled}, rows=len(created))
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
        with (
            transaction.atomic(using=self.db, savepoint=False),
            connection.cursor() as cursor,
            decided_elsewhere(),  # decided above, audited below
        ):
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
        with (
            transaction.atomic(using=self.db, savepoint=False),
            connection.cursor() as cursor,
            decided_elsewhere(),  # decided above, audited below
        ):
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
        """Decided as the gate decides it (what it sets, what it filters on), before
        Django's update() begins: a refusal then leaves the caller's transaction whole."""
        if self.scope is None and is_decided_elsewhere():
            return super().update(**kwargs)
        query = self.query.chain(UpdateQuery)
        query.add_update_values(kwargs)
        statement = analyse(query, self.db, Action.UPDATE)
        statement.decide()
        with decided_elsewhere():
            rows = super().update(**kwargs)
        statement.audit(rows=rows)
        return rows

    def delete(self):
        """Decided as a read of what the query filters on, and a deletion of every
        category the rows hold that the policy collects (the others are empty;
        conformance checks that they stay so), and of the rows that cascade from them
        (a customer's cards go with the customer): one decision, one audit entry."""
        if self.scope is None and is_decided_elsewhere():
            return super().delete()
        scope = self._require_scope()
        # What the deletion filters on (not what a fetch of its rows would select).
        statement = analyse(self.order_by().values("pk").query, self.db, Action.DELETE)
        policy = current_policy()
        for model in (self.model, *_cascades(self.model)):  # what goes with the rows
            collected = policy.collected_categories(model.data_subject)
            reach = statement.reach(model._meta.db_table, scope)
            reach.written.update(c for c in reach.table.categories if c in collected)
        statement.decide()
        with decided_elsewhere():
            deleted, counts = super().delete()
        statement.audit(rows=deleted)
        return deleted, counts


def _selected_related(model, select_related) -> list:
    """The models a select_related() dict brings in (True, every one, is not followed:
    the gate refuses what it would select that the purpose may not see)."""
    if not isinstance(select_related, dict):
        return []
    found = []
    for name, deeper in select_related.items():
        related = model._meta.get_field(name).related_model
        found += [related, *_selected_related(related, deeper)]
    return found


def _cascades(model) -> list:
    """The personal models whose rows a deletion of `model`'s rows takes with it
    (on_delete=CASCADE, through any depth): decided as deleted too."""
    personal, found, todo = _personal_models(), [], [model]
    while todo:
        for relation in todo.pop()._meta.related_objects:
            related = relation.related_model
            cascades = relation.on_delete is models.CASCADE and related in personal
            if cascades and related not in found and related is not model:
                found.append(related)
                todo.append(related)
    return found


def _personal_models() -> set:
    return {table.model for table in personal_tables().values()}


@lru_cache(maxsize=4096)
def _withheld_fields(engine, model, role: str, purpose: str, fields, deferred) -> frozenset[str]:
    """PersonalQuerySet._withheld, remembered for the compiled policy (a new policy is a
    new engine) and the shape of the query: every page of a list asks it."""
    personal = model.personal_fields()
    if fields:
        names, loads = set(fields), True
    else:
        names, deferring = deferred
        loads = not deferring
    if loads and names:
        loaded = [f for f in personal if f.name in names or f.attname in names]
    else:
        loaded = [f for f in personal if f.name not in names]
    categories = {category_of(f) for f in loaded}
    refused = engine.decide(role, purpose, categories, model.data_subject).refused
    if len(refused) == len(categories):
        return frozenset()  # nothing may be seen: the gate refuses, and audits it
    return frozenset(f.attname for f in loaded if category_of(f) in refused)


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


def _scope_from(instance) -> Scope | None:
    return getattr(instance, "_gateway_scope", None)


class PersonalDataManager(models.Manager.from_queryset(PersonalQuerySet)):
    """`for_purpose` is the way in. Without it, a queryset no statement of which runs
    (the gate refuses it); as an instance's related manager, the instance's scope."""

    def get_queryset(self):
        qs = super().get_queryset()
        scope = _scope_from(getattr(self, "instance", None) or self._hints.get("instance"))
        return qs._scoped(scope.actor, scope.purpose) if scope else qs

    def for_purpose(self, actor: Actor, purpose: str) -> PersonalQuerySet:
        return super().get_queryset()._scoped(actor, purpose)


class InternalManager(models.Manager.from_queryset(PersonalQuerySet)):
    """What Django's machinery uses (the base manager: a foreign key's object, a
    refresh): within the scope of the instance it starts from, else refused by the
    gate, but inside decided_elsewhere()."""

    def get_queryset(self):
        qs = super().get_queryset()
        scope = _scope_from(self._hints.get("instance"))
        return qs._scoped(scope.actor, scope.purpose) if scope else qs


class PersonalDataModel(models.Model):
    """Base of every model holding personal data.

    Subclasses set `data_subject` (visitor, prospect or customer), `subject_field`
    (the field naming the subject's id, "pk" for the subject's own row) and
    `technical_fields` (fields that are not personal data, e.g. "id"); every
    other field must be declared with `personal(field, category)`.

    An instance read through the gateway keeps the scope it was read under: its
    save() is an UPDATE the gate decides and audits, its delete() the gateway's.
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

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        register(cls)  # the gate's list of personal tables

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

    def bind(self, actor: Actor, purpose: str) -> "PersonalDataModel":
        """A new row, to be saved for `actor` and `purpose` (decided and audited as the
        gateway's create() is): `Customer(name=...).bind(actor, purpose).save()`."""
        self._gateway_scope = Scope(actor, str(purpose))
        return self

    def _do_update(self, base_qs, using, *args, **kwargs):
        # The UPDATE runs in the scope the instance was read under: the gate decides
        # what it sets, and the row must still be in scope (an opt-out since?).
        scope = _scope_from(self)
        if scope is not None and not is_decided_elsewhere():
            base_qs = type(self).objects.for_purpose(scope.actor, scope.purpose).using(using)
        return super()._do_update(base_qs, using, *args, **kwargs)

    def _do_insert(self, manager, using, fields, returning_fields, raw):
        if is_decided_elsewhere():
            return super()._do_insert(manager, using, fields, returning_fields, raw)
        scope = _scope_from(self)
        if scope is None:
            raise _unscoped(type(self))
        # A new row, saved: decided and audited as the gateway's create() is.
        gateway = type(self).objects.for_purpose(scope.actor, scope.purpose).using(using)
        decision, filled = gateway._check_new_rows([self])
        with decided_elsewhere():
            results = super()._do_insert(manager, using, fields, returning_fields, raw)
        gateway._audit(Action.CREATE, decision, {category_of(f) for f in filled}, rows=1)
        return results

    def delete(self, using=None, keep_parents=False):
        if is_decided_elsewhere():
            return super().delete(using=using, keep_parents=keep_parents)
        scope = _scope_from(self)
        if scope is None:
            raise _unscoped(type(self))
        rows = type(self).objects.for_purpose(scope.actor, scope.purpose)
        return rows.using(using or self._state.db).filter(pk=self.pk).delete()

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
