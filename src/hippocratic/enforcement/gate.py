"""The gate: every SQL statement that touches a personal table is decided before the
database is asked, and audited once it has answered, however the query was built.

Django compiles each ORM statement (its subqueries, joins and every clause) through a
compiler; the project's database backends (enforcement.backends) use the compilers
made here. While a statement is compiled, the gate notes every column and every table
it names:

  - the select list, values()/values_list(), annotations and aggregates;
  - WHERE (filter, exclude, Q, across any join, in subqueries), HAVING;
  - ORDER BY, GROUP BY and DISTINCT;
  - the SET of an UPDATE, the table of a DELETE or an INSERT.

Then, before the statement runs, it decides, for each actor and purpose the statement
was asked under (its `Scope`) and each kind of data subject it reaches:

  1. a personal table named under no scope: UnscopedAccess (nothing runs);
  2. every category the statement names must be allowed: a column used only to
     filter, order or count is read as surely as one returned (AccessDenied);
  3. a personal table named without any of its personal columns (count(), exists(),
     a join) reveals that its rows exist: at least one of its categories must be
     allowed for the purpose;
  4. a data subject acting on their own data may reach other personal tables only
     along their own rows' relation (the customer of a subscription), never sideways;
  5. hand-written SQL (RawSQL, extra()) in a statement on personal tables is refused:
     the gate cannot see what it reads.

One audit entry per statement and kind of subject, naming the categories touched,
answered or refused. Inside `decided_elsewhere()` (a caller that decided and audits
itself: erasure, retention, a gateway write, schema migrations) statements pass.

SQL the compilers did not write (a cursor's, Model.objects.raw()) passes the cursor
guard only if it names no personal table; a compiled statement may name no personal
table the gate did not see (a custom expression's own SQL).
"""

import contextvars
import re
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from django.apps import apps
from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.db import models
from django.db.models.expressions import Col, ColPairs, Func, RawSQL
from django.db.models.sql.constants import CURSOR, MULTI, NO_RESULTS, ROW_COUNT, SINGLE
from django.db.models.sql.datastructures import BaseTable, Join
from django.db.models.sql.where import ExtraWhere

from hippocratic.enforcement import audit
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.audit import Action
from hippocratic.enforcement.decided import is_decided_elsewhere
from hippocratic.enforcement.fields import category_of
from hippocratic.policy.decision import Decision
from hippocratic.policy.reasons import Reason
from hippocratic.provider import current_engine, current_policy


class UnscopedAccess(PermissionDenied):
    """Personal data was asked for without an actor and a purpose (a web request that
    does it answers 403)."""


class AccessDenied(PermissionDenied):
    """The policy refuses this access; `decision` says which rule refused it."""

    def __init__(self, decision: Decision | None, message: str):
        self.decision = decision
        super().__init__(message)


@dataclass(frozen=True)
class Basis:
    """What an access on an exceptional footing is audited as: staff reaching one
    customer's communications under an access case (its rule and promise)."""

    rule: str
    promise: str
    subject_ref: str


@dataclass(frozen=True)
class Scope:
    """Who asks, and why: what every query on personal data is bound to."""

    actor: Actor
    purpose: str
    basis: Basis | None = None


# Who the audit log names for a query asked under no scope at all.
NOBODY = Scope(Actor("none", "unscoped"), "")

# --- what is personal -------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A personal table: its model, the kind of subject its rows are about, and the
    category of each personal column."""

    model: type[models.Model]
    subject: str
    columns: dict[str, str]

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(self.columns.values())


# Every personal-data model class, as it is defined (gateway.PersonalDataModel).
_personal_models: list[type[models.Model]] = []


def register(model: type[models.Model]) -> None:
    """Note a personal-data model; its table is read once the app registry is ready."""
    _personal_models.append(model)


@cache
def personal_tables() -> dict[str, Table]:
    """Every personal-data model's table, by name, with the category of each personal
    column (a row of links only has none: its rows are still someone's). The gate goes
    by table and column, so another model over the same table is the same data."""
    installed = set(apps.get_models())
    found = {}
    for model in _personal_models:
        if model in installed:
            columns = {
                f.column: category_of(f) for f in model._meta.concrete_fields if category_of(f)
            }
            found[model._meta.db_table] = Table(model, model.data_subject, columns)
    return found


_columns: dict[models.Field, tuple[str, str | None] | None] = {}


def _column_of(target: models.Field) -> tuple[str, str | None] | None:
    """(personal table, category or None) of a model field's column; None where the
    table is not personal. Remembered per field: compiling a statement asks it per
    column, and a page of rows asks it hundreds of times."""
    try:
        return _columns[target]
    except KeyError:
        table = personal_tables().get(target.model._meta.db_table)
        found = (
            None
            if table is None
            else (table.model._meta.db_table, table.columns.get(target.column))
        )
        _columns[target] = found
        return found


@cache
def _table_names() -> re.Pattern:
    """Any personal table's name, as a whole word, quoted or not."""
    names = sorted(personal_tables(), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b", re.IGNORECASE)


@lru_cache(maxsize=4096)
def tables_named(sql: str) -> frozenset[str]:
    """The personal tables a statement's text names (cached: statements repeat)."""
    if not personal_tables():
        return frozenset()
    return frozenset(m.lower() for m in _table_names().findall(sql))


# --- one statement ----------------------------------------------------------------------


@dataclass
class Reach:
    """What a statement touches of one personal table, under one scope."""

    table: Table
    read: set[str] = field(default_factory=set)
    written: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Verdict:
    """The answer for one scope and kind of subject: what the audit entry records."""

    scope: Scope
    subject: str
    decision: Decision
    categories: frozenset[str]


class Statement:
    """The statement being compiled and run: what it touches, under which scopes."""

    def __init__(self, action: Action):
        self.action = action
        self.reaches: dict[tuple[Scope | None, str], Reach] = {}
        # The queries being compiled, outermost first: each one's scope and table aliases
        # (a column of an outer query, named inside a subquery, is the outer scope's).
        self.frames: list[tuple[Scope | None, frozenset[str]]] = []
        self.seen: set[str] = set()  # personal tables compiled into the statement
        self.raw = False
        self.sideways: list[str] = []  # rule 4's refusals
        self.verdicts: list[Verdict] = []
        self.decided = False

    # Noted while compiling.

    @property
    def scope(self) -> Scope | None:
        return self.frames[-1][0] if self.frames else None

    def scope_of_alias(self, alias: str | None) -> Scope | None:
        """The scope of the query that owns table alias `alias`: the innermost one."""
        for scope, aliases in reversed(self.frames):
            if alias in aliases:
                return scope
        return self.scope

    def reach(self, table_name: str, scope: Scope | None = None) -> Reach | None:
        """The reach into `table_name` (None where it is not personal), under `scope`
        or the scope of the query being compiled."""
        key = (scope or (self.frames[-1][0] if self.frames else None), table_name)
        found = self.reaches.get(key)
        if found is None:
            table = personal_tables().get(table_name)
            if table is None:
                return None
            self.seen.add(table_name.lower())
            found = self.reaches[key] = Reach(table)
        return found

    def column(self, target: models.Field, alias: str | None = None) -> None:
        where = _column_of(target)
        if where is None:
            return  # not a personal table's column: most columns of most statements
        scope = self.scope_of_alias(alias) if len(self.frames) > 1 else None
        reach = self.reach(where[0], scope)
        if where[1]:
            reach.read.add(where[1])

    def joined(self, join: Join) -> None:
        reach = self.reach(join.table_name)
        if reach is not None and not plain(self.scope) and not _along_own_rows(join.join_field):
            self.sideways.append(join.table_name)

    # Decided before it runs.

    def decide(self) -> None:
        """Rules 1 to 5 (module docstring); refusals are audited, then raised."""
        self.decided = True
        if not self.reaches:
            return
        unscoped = [r for (scope, _), r in self.reaches.items() if scope is None]
        if unscoped:  # 1.
            names = sorted({r.table.model.__name__ for r in unscoped})
            touched = frozenset().union(*(r.read | r.written for r in unscoped))
            refusal = Decision(False, Reason.UNSCOPED, "gateway", "SEC-5")
            write(Verdict(NOBODY, unscoped[0].table.subject, refusal, touched), self.action,
                  rows=0, allowed=False)  # fmt: skip
            raise UnscopedAccess(
                f"{', '.join(names)} rows were asked for outside the gateway: read them "
                f"with {names[0]}.objects.for_purpose(actor, purpose)"
            )
        engine = current_engine()
        groups: dict[tuple[Scope, str], list[Reach]] = {}
        for (scope, _), reach in self.reaches.items():
            groups.setdefault((scope, reach.table.subject), []).append(reach)
        verdicts = []
        for (scope, subject), reaches in groups.items():
            touched = frozenset().union(*(r.read | r.written for r in reaches))
            name = reaches[0].table.model.__name__
            decision = engine.decide(scope.actor.role, scope.purpose, touched, subject)  # 2.
            if decision.allowed:
                for reach in reaches:  # 3.
                    if not (reach.read or reach.written):
                        refusal = _existence(engine, scope, reach.table, self.action)
                        decision = refusal or decision
                        name = reach.table.model.__name__
                        if not decision.allowed:
                            break
            verdict = Verdict(scope, subject, decision, touched)
            if not decision.allowed:
                self._refuse(verdict, name, f"{decision.reason.value} ({decision.rule})")
            if self.sideways and not plain(scope):  # 4.
                tables = ", ".join(sorted(set(self.sideways)))
                refusal = Decision(False, Reason.NOT_OWN_ROWS, f"joins {tables}", "ACC-9")
                self._refuse(replace(verdict, decision=refusal), name,
                             f"{Reason.NOT_OWN_ROWS.value} (it joins {tables})")  # fmt: skip
            if self.raw:  # 5.
                refusal = Decision(False, Reason.UNSEEN_SQL, "RawSQL or extra()", "SEC-5")
                self._refuse(replace(verdict, decision=refusal), name,
                             f"{Reason.UNSEEN_SQL.value} (RawSQL or extra())")  # fmt: skip
            verdicts.append(verdict)
        self.verdicts = verdicts

    def _refuse(self, verdict: Verdict, model_name: str, why: str):
        write(verdict, self.action, rows=0, allowed=False)
        actor, purpose = verdict.scope.actor, verdict.scope.purpose
        raise AccessDenied(
            verdict.decision,
            f"{actor.label} ({actor.role}) may not {self.action} {model_name} for {purpose}: {why}",
        )

    # Audited once answered.

    def audit(self, rows: int) -> None:
        for verdict in self.verdicts:
            write(verdict, self.action, rows=rows, allowed=True)


def essential(use: str) -> bool:
    """An essential use: the policy lets no one opt out of it."""
    return use == "essential" or use.startswith("essential.")


def plain(scope: Scope | None) -> bool:
    """A scope whose rows are not narrowed: a staff member or a task (not a subject
    acting on their own rows) for an essential purpose (no opt-outs to leave out). Only
    such a scope reaches other rows through a join, or an unscoped subquery; a narrowed
    one would reach rows its narrowing never saw."""
    return scope is not None and not scope.actor.is_subject and essential(scope.purpose)


def _existence(engine, scope: Scope, table: Table, action: Action) -> Decision | None:
    """Rule 3: a refusal where no category of `table` may be used for the purpose. (Rows
    holding only what the policy does not collect may always be deleted: they should
    not be there.)"""
    collected = current_policy().collected_categories(table.subject)
    held = [c for c in table.categories if c in collected]
    if not held and action is Action.DELETE:
        return None
    held = held or list(table.categories)
    decision = engine.decide(scope.actor.role, scope.purpose, held, table.subject)
    if decision.allowed or decision.refused != frozenset(held):
        return None
    return decision


def _along_own_rows(join_field) -> bool:
    """Whether a join follows a row's relation to its own subject (a subscription's
    customer, or a customer's subscriptions), so a subject's rows reach only theirs."""
    relation = getattr(join_field, "field", join_field)  # the reverse side's field
    model = getattr(relation, "model", None)
    subject_field = getattr(model, "subject_field", None)
    return subject_field is not None and subject_field in (relation.name, relation.attname)


def write(verdict: Verdict, action: Action, *, rows: int, allowed: bool) -> None:
    """The audit entry of one verdict."""
    actor, basis = verdict.scope.actor, verdict.scope.basis
    decision = verdict.decision
    ref = str(actor.subject_id) if actor.subject_id is not None else "*"
    if basis is not None and allowed:
        ref, rule, promise = basis.subject_ref, basis.rule, basis.promise
    else:
        rule, promise = decision.rule, decision.promise
    audit.append(
        actor=actor,
        action=action,
        purpose=verdict.scope.purpose,
        reason=decision.reason,
        subject=verdict.subject,
        subject_ref=ref,
        categories=verdict.categories,
        allowed=allowed,
        rule=rule,
        promise=promise,
        rows=rows,
    )


_statement: contextvars.ContextVar[Statement | None] = contextvars.ContextVar(
    "gate_statement", default=None
)


def analyse(query, using: str, action: Action) -> Statement:
    """What `query` would touch, compiled and not run: for a write the gateway decides
    itself (delete(), whose cascade Django runs as several statements)."""
    statement = Statement(action)
    token = _statement.set(statement)
    try:
        query.get_compiler(using).as_sql()
    except EmptyResultSet:
        pass  # matches nothing: touches only what was noted so far
    finally:
        _statement.reset(token)
    return statement


# --- the compilers ----------------------------------------------------------------------


def _scope_of(query) -> Scope | None:
    scope = getattr(query, "gateway_scope", None)
    if scope is None and hasattr(query, "inner_query"):  # aggregate(): the inner query's
        scope = getattr(query.inner_query, "gateway_scope", None)
    return scope


class Withheld(Col):
    """A column of the rows a query returns that the purpose may not see (limited
    disclosure, gateway step 3): selected as NULL, so the value never leaves the
    database, and not a read of its category."""

    def as_sql(self, compiler, connection):
        return "NULL", ()


class GatedCompiler:
    """Mixed into each of Django's compilers: notes what a statement names while it is
    compiled, decides before it runs, audits after."""

    action = Action.READ

    def get_default_columns(self, select_mask, start_alias=None, opts=None, from_parent=None):
        columns = super().get_default_columns(select_mask, start_alias, opts, from_parent)
        by_table = getattr(self.query, "gateway_withheld", None)
        table = (opts or self.query.get_meta()).db_table
        withheld = by_table.get(table) if by_table else None
        if not withheld:
            return columns
        return [
            Withheld(c.alias, c.target, c.output_field) if c.target.column in withheld else c
            for c in columns
        ]

    def execute_sql(self, *args, **kwargs):
        return self._gated(super().execute_sql, args, kwargs)

    def execute_returning_sql(self, returning_fields):  # an UPDATE … RETURNING (a save)
        return self._gated(super().execute_returning_sql, (returning_fields,), {})

    def _gated(self, run, args, kwargs):
        """Run the statement with the gate watching its compilation (as_sql decides);
        then audit it, with the rows the database returned or changed."""
        if is_decided_elsewhere():
            return run(*args, **kwargs)
        statement = Statement(self.action)
        token = _statement.set(statement)
        try:
            statement.owner = self
            result = run(*args, **kwargs)
        finally:
            _statement.reset(token)
        if statement.verdicts:
            statement.audit(_rows(result, args, kwargs, self))
        return result

    def as_sql(self, *args, **kwargs):
        statement = _statement.get()
        if statement is None:
            return super().as_sql(*args, **kwargs)
        inherit = statement.scope
        # Only a plain scope reaches an unscoped subquery (rule 4): a narrowed one (a
        # customer's own rows, a purpose subjects opted out of) would not narrow it.
        scope = _scope_of(self.query) or (inherit if plain(inherit) else None)
        statement.frames.append((scope, frozenset(self.query.alias_map)))
        try:
            self.note_statement(statement)
            result = super().as_sql(*args, **kwargs)
        finally:
            statement.frames.pop()
        if getattr(statement, "owner", None) is self and not statement.decided:
            statement.decide()
        return result

    def note_statement(self, statement: Statement) -> None:
        """What the statement names that its compiler writes without compile()."""
        if self.query.extra_tables or self.query.extra:
            statement.raw = True

    def compile(self, node):
        statement = _statement.get()
        if statement is not None:
            kind = type(node)
            if kind is Col:
                statement.column(node.target, node.alias)
            elif kind is BaseTable:
                statement.reach(node.table_name)
            elif kind is Join:
                statement.joined(node)
            elif kind is ColPairs:
                for target in node.targets:
                    statement.column(target, node.alias)
            elif _hand_written(node):
                statement.raw = True
        return super().compile(node)


class GatedWriteCompiler(GatedCompiler):
    """UPDATE, DELETE, INSERT: their own table, and the columns they write."""

    def note_statement(self, statement: Statement) -> None:
        super().note_statement(statement)
        reach = statement.reach(self.query.get_meta().db_table)
        if reach is None:
            return
        if self.action is Action.UPDATE:
            # Blanking a field the policy collects destroys it: a write. (Blanking one
            # it does not collect makes the row conform: nothing of it is written.)
            collected = current_policy().collected_categories(reach.table.subject)
            written = [
                f for f, _, value in self.query.values
                if value not in (None, "") or category_of(f) in collected
            ]  # fmt: skip
            # A subject moves no row to another's relation (their rows, or others').
            scope = statement.scope
            moves = any(f.is_relation for f, _, _ in self.query.values)
            if moves and scope is not None and scope.actor.is_subject:
                statement.sideways.append(self.query.get_meta().db_table)
        elif self.action is Action.CREATE:
            written = self.query.fields or []
        else:  # a deleted row takes every category it holds (that the policy collects)
            collected = current_policy().collected_categories(reach.table.subject)
            written = [f for f in self.query.get_meta().concrete_fields if category_of(f)]
            written = [f for f in written if category_of(f) in collected]
        for f in written:
            category = reach.table.columns.get(f.column)
            if category:
                reach.written.add(category)


class GatedInsertCompiler(GatedWriteCompiler):
    action = Action.CREATE


class GatedUpdateCompiler(GatedWriteCompiler):
    action = Action.UPDATE


class GatedDeleteCompiler(GatedWriteCompiler):
    action = Action.DELETE


def gated_compilers(django_compilers) -> dict[str, type]:
    """The five compilers of a backend's compiler module, gated."""
    pairs = {
        "SQLCompiler": GatedCompiler,
        "SQLAggregateCompiler": GatedCompiler,
        "SQLInsertCompiler": GatedInsertCompiler,
        "SQLUpdateCompiler": GatedUpdateCompiler,
        "SQLDeleteCompiler": GatedDeleteCompiler,
    }
    return {
        name: type(name, (gated, getattr(django_compilers, name)), {})
        for name, gated in pairs.items()
    }


_trusted_types: dict[type, bool] = {}


def _hand_written(node) -> bool:
    """Whether a node writes SQL the gate cannot read: RawSQL, extra(), a Func given its
    own template or function, or an expression class that is not Django's (or the
    gate's own): its as_sql may name any table or column."""
    if isinstance(node, (RawSQL, ExtraWhere)):
        return True
    if isinstance(node, Func) and any(k in node.extra for k in ("template", "function")):
        return True
    kind = type(node)
    trusted = _trusted_types.get(kind)
    if trusted is None:
        trusted = _trusted_types[kind] = kind.__module__.startswith(
            ("django.", "hippocratic.enforcement.")
        )
    return not trusted


def _rows(result, args, kwargs, compiler) -> int:
    """Rows the database returned or changed, for the audit entry (-1: not known yet)."""
    if compiler.action is Action.CREATE:
        return len(compiler.query.objs)
    if isinstance(result, list) and compiler.action is Action.UPDATE:  # … RETURNING
        return len(result)
    result_type = args[0] if args else kwargs.get("result_type", MULTI)
    if result_type == MULTI:
        if isinstance(result, list):
            return sum(len(chunk) for chunk in result)
        return -1  # streamed
    if result_type == SINGLE:
        return 0 if result is None else 1
    if result_type == ROW_COUNT:
        return result or 0
    if result_type in (CURSOR, NO_RESULTS, None):
        return -1
    return -1


# --- the cursor guard -------------------------------------------------------------------


# Hand-written SQL that may name a table in a way no reading of its text can find: an
# identifier in Unicode escapes, a table name built by the server, a copy out, a file.
_UNREADABLE = re.compile(
    r"""\bU&["']|_to_xml|\bquery_to_|\bcursor_to_|\bxpath\b|\bdblink|\bEXECUTE\s|"""
    r"""\bCOPY\s|\blo_export|\bpg_read_|\bformat\s*\(|\breadfile\s*\(""",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def _unreadable(text: str) -> bool:
    return _UNREADABLE.search(text) is not None


def _text(sql) -> str:
    """A statement's text, whatever the caller passed (psycopg's composed SQL, bytes)."""
    if isinstance(sql, str):
        return sql
    if isinstance(sql, bytes | bytearray | memoryview):
        return bytes(sql).decode("utf-8", "replace")
    try:
        return sql.as_string(None)  # psycopg.sql.Composable
    except Exception:
        raise AccessDenied(None, "SQL the gate cannot read as text is refused") from None


def guard(execute, sql, params, many, context):
    """Every statement a connection runs: SQL the compilers did not write may name no
    personal table (nor hide one: escaped identifiers, SQL built by the server), and a
    compiled statement no personal table the gate did not see."""
    if is_decided_elsewhere():
        return execute(sql, params, many, context)
    text = _text(sql)
    named = tables_named(text)
    statement = _statement.get()
    if statement is None and _unreadable(text):
        _refuse_sql(frozenset(personal_tables()), Reason.UNSEEN_SQL)
        raise AccessDenied(
            None, "hand-written SQL that may name tables the gate cannot read (escaped "
            "identifiers, SQL built by the server) is refused",
        )  # fmt: skip
    if named:
        if statement is None:
            _refuse_sql(named, Reason.UNSCOPED)
            raise UnscopedAccess(
                f"SQL written by hand names personal tables ({', '.join(sorted(named))}): "
                "read them with Model.objects.for_purpose(actor, purpose)"
            )
        if not named <= statement.seen:
            _refuse_sql(named - statement.seen, Reason.UNSEEN_SQL)
            raise AccessDenied(
                None,
                f"a statement names personal tables the gateway did not decide on "
                f"({', '.join(sorted(named - statement.seen))}): hand-written SQL",
            )
    return execute(sql, params, many, context)


def _refuse_sql(tables: frozenset[str], reason: Reason) -> None:
    """Audit a refusal at the cursor: the SQL is not run, nor are its categories known."""
    for subject in sorted({personal_tables()[t].subject for t in tables if t in personal_tables()}):
        refusal = Decision(False, reason, "cursor", "SEC-5")
        write(Verdict(NOBODY, subject, refusal, frozenset()), Action.READ, rows=0, allowed=False)
