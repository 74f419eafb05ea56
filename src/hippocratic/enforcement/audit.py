"""The audit log: appending to it, verifying it, and signing its head.

`append` is the one writer: every module that records an access calls it with
an Actor, an Action and a Reason (enums, so a typo is an error, not a new kind of
entry). Each entry records the version of the policy in force (a hash of the
policy file).

An append is one plain INSERT in the caller's transaction: no lock shared with
any other request, so the log keeps up with the site (work that rolls back takes
its entries with it). The sequencer (enforcement.sequencer) then gives entries
their places in a Merkle tree (RFC 6962); signed tree heads, kept outside the
database and published, prove what the tree held; inclusion proofs let a customer
check that an access to their data is in it (enforcement.tree).
"""

import base64
import contextvars
import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from hippocratic.enforcement import merkle, metrics, sequencer
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.models import (
    GENESIS,
    AuditCheckpoint,
    AuditEntry,
    AuditHead,
    AuditNode,
    AuditVerification,
)
from hippocratic.enforcement.tree import HASHED_FIELDS, canonical, leaf_of, stored_root
from hippocratic.policy.reasons import Reason
from hippocratic.provider import policy_version

__all__ = ["HASHED_FIELDS", "Action", "append", "canonical", "verify"]


class Action(StrEnum):
    """What was done with the data."""

    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"  # whole rows
    ERASE = "erase"  # fields blanked, or a subject's data removed at their request
    DISCLOSE = "disclose"  # sent outside the provider
    REQUEST = "request"  # a request to disclose, received or decided (nothing sent)


def _now():
    """The clock, for mocking in tests."""
    return timezone.now()


def chain_hash(prev_hash: str, values: dict) -> str:
    """The old hash chain's link (entries written before the tree keep it)."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(values)).hexdigest()


_WRITTEN = tuple(name for name in HASHED_FIELDS if name != "seq")


@lru_cache(maxsize=8)
def _insert_statement(alias: str, returning: bool) -> str:
    """The append's one statement, written once per database: every audited access
    passes here, and building it (and the ORM) was most of its cost. RETURNING only
    where the caller collects the entries' ids (and the database can)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    columns = [AuditEntry._meta.get_field(name).column for name in _WRITTEN]
    columns += ["prev_hash", "chain_hash"]
    insert = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from the model, quoted)
        quote(AuditEntry._meta.db_table), ", ".join(quote(c) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )  # fmt: skip
    return insert + (" RETURNING id" if returning else "")


@dataclass(frozen=True)
class Appended:
    """The entry written: its row's id where known (collecting() always knows it; its
    place in the log comes from the sequencer)."""

    id: int | None


# Set by `collecting()`: the entries appended inside it, so a piece of work (a request
# done for a customer) can name the entries it wrote.
_collected: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "audit_collected", default=None
)


@contextmanager
def collecting():
    """with audit.collecting() as ids: ... -> ids holds the entries appended inside."""
    ids: list[int] = []
    token = _collected.set(ids)
    try:
        yield ids
    finally:
        _collected.reset(token)


# Set by `one_commit()` (a web request, AuditMiddleware): entries appended outside any
# transaction wait here and are written together, in one transaction, when it ends.
_waiting: contextvars.ContextVar[list[list] | None] = contextvars.ContextVar(
    "audit_waiting", default=None
)


@contextmanager
def one_commit():
    """Entries appended inside, outside a transaction, are written in one transaction
    as it ends (on the way out of an exception too): a web request's reads cost it one
    commit, not one each (each a WAL flush on PostgreSQL). AuditMiddleware wraps every
    request in it, outside everything that reads, so the entries are committed before
    the response leaves the server: if they cannot be, the response is an error, and
    what was read is shown to no one. Inside a transaction an entry goes in at once
    (it commits with the work, or rolls back with it, as before)."""
    waiting: list[list] = []
    token = _waiting.set(waiting)
    try:
        yield
    finally:
        _waiting.reset(token)
        if waiting:
            _write_waiting(waiting)


# A request's entries go in as one statement (atomic by itself, and no BEGIN and
# COMMIT of their own) up to this many; more, as a transaction of many.
ONE_STATEMENT_ROWS = 200


@lru_cache(maxsize=32)
def _insert_rows_statement(alias: str, count: int) -> str:
    single = _insert_statement(alias, False)
    head, values = single.split(" VALUES ")
    return f"{head} VALUES {', '.join([values] * count)}"


def _write_waiting(rows: list[list]) -> None:
    alias = AuditEntry.objects.db
    if len(rows) <= ONE_STATEMENT_ROWS:
        with connections[alias].cursor() as cursor:
            cursor.execute(
                _insert_rows_statement(alias, len(rows)), [v for row in rows for v in row]
            )
        return
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        cursor.executemany(_insert_statement(alias, False), rows)


def append(
    *,
    actor: Actor,
    action: Action,
    purpose: str,
    reason: Reason,
    subject: str,
    allowed: bool,
    subject_ref: str = "*",
    categories: Iterable[str] = (),
    rule: str = "",
    promise: str = "",
    rows: int = 0,
) -> Appended:
    """Append one entry: `actor` did `action` on `subject`'s data (`subject_ref`: which
    one, or * for many) for `purpose`; `allowed` and `reason` say why.
    Call inside or outside a transaction: inside, the entry commits with the work."""
    if not isinstance(action, Action) or not isinstance(reason, Reason):
        raise TypeError("audit.append takes an Action and a Reason, not strings")
    alias = AuditEntry.objects.db
    connection = connections[alias]
    collected = _collected.get()
    returning = collected is not None and connection.features.can_return_columns_from_insert
    ops = connection.ops
    params = [
        ops.adapt_datetimefield_value(_now()), actor.label, actor.role, purpose, action.value,
        subject, subject_ref, ops.adapt_json_value(sorted(categories), None), allowed,
        reason.value, rule, promise, rows, policy_version(), "", "",
    ]  # fmt: skip
    waiting = _waiting.get()
    if waiting is not None and collected is None and not connection.in_atomic_block:
        waiting.append(params)
        metrics.appended(allowed, reason.value)
        return Appended(None)
    with connection.cursor() as cursor:
        cursor.execute(_insert_statement(alias, returning), params)
        if returning:
            entry = Appended(cursor.fetchone()[0])
        else:  # SQLite knows the id anyway; PostgreSQL is not asked for it
            entry = Appended(getattr(cursor.cursor, "lastrowid", None))
    if collected is not None:
        collected.append(entry.id)
    metrics.appended(allowed, reason.value)
    return entry


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    seq: int | None = None  # the first entry at fault
    problem: str = ""
    roots: dict[int, bytes] = field(default_factory=dict, compare=False, repr=False)

    def __str__(self) -> str:
        if self.ok:
            return f"audit log intact: {self.entries} entries"
        if self.seq is None:
            return f"audit log not proven: {self.problem}"
        return f"audit log broken at entry #{self.seq}: {self.problem}"


class _Walk:
    """One pass over the placed entries, in order: each leaf recomputed from its
    content, the old chain's links where an entry has them, the perfect subtrees
    rebuilt as they complete (kept per level to hold against the stored ones), and
    the root at each size asked for."""

    def __init__(self, sizes: Iterable[int] = ()):
        self.sizes = set(sizes)
        self.roots: dict[int, bytes] = {}
        self.levels: list[list[bytes]] = [[]]  # computed perfect subtrees, level by level
        self.frontier: list[tuple[int, bytes]] = []  # (level, hash), the right edge
        self.size = 0

    def add(self, leaf: bytes) -> None:
        level, current, index = 0, leaf, self.size
        while self.frontier and self.frontier[-1][0] == level:
            _, left = self.frontier.pop()
            current, level, index = merkle.node_hash(left, current), level + 1, index >> 1
            if len(self.levels) <= level:
                self.levels.append([])
            self.levels[level].append(current)
        self.frontier.append((level, current))
        self.size += 1
        if self.size in self.sizes:
            self.roots[self.size] = self.root()

    def root(self) -> bytes:
        if not self.frontier:
            return merkle.EMPTY
        result = self.frontier[-1][1]
        for _, left in reversed(self.frontier[:-1]):
            result = merkle.node_hash(left, result)
        return result


VERIFIED_WITHIN = dt.timedelta(hours=2)  # the hourly job's outcome, with a margin


def recorded_verification() -> AuditVerification:
    """Verify the whole log now, and record the outcome."""
    verdict = verify()
    return AuditVerification.objects.create(
        at=_now(), ok=verdict.ok, entries=verdict.entries,
        problem="" if verdict.ok else str(verdict),
    )  # fmt: skip


def recent_verification() -> AuditVerification:
    """The newest recorded outcome if it is recent, else a verification now (a new
    site, or a worker that stopped): a page resting on the log costs a visitor one
    query, not a walk of every entry."""
    now = _now()
    # An outcome dated ahead of now is no one's (a row written to stay the newest).
    newest = AuditVerification.objects.filter(at__lte=now).first()
    if newest is not None and now - newest.at <= VERIFIED_WITHIN:
        return newest
    return recorded_verification()


def verify(*, roots_at: Iterable[int] = ()) -> Verdict:
    """Integrate what is pending, then walk the log: name the first entry edited,
    deleted, inserted or moved, and hold the tree's stored nodes and head to what the
    entries make. `roots_at`: sizes whose roots to keep (for signed heads), in
    the verdict's `roots`."""
    try:
        sequencer.sequence()
    except (RuntimeError, LookupError, DatabaseError) as stuck:
        return Verdict(False, 0, None, f"the sequencer cannot place entries: {stuck}")
    walk = _Walk(roots_at)
    with _one_snapshot():  # entries, nodes and head as of one moment (workers go on)
        verdict = _walk_entries(walk) or _check_nodes_and_head(walk)
    return dataclasses.replace(verdict, roots=walk.roots | {walk.size: walk.root()})


@contextmanager
def _one_snapshot():
    """One snapshot for the walk: on PostgreSQL a REPEATABLE READ transaction of its own
    (inside a caller's transaction its level cannot change: the caller's stands)."""
    alias = AuditEntry.objects.db
    connection = connections[alias]
    own = not connection.in_atomic_block
    with transaction.atomic(using=alias):
        if own and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _walk_entries(walk: _Walk) -> Verdict | None:
    prev_chain, expected = GENESIS, 1
    columns = (*HASHED_FIELDS, "hash", "prev_hash", "chain_hash")
    placed = AuditEntry.objects.filter(seq__isnull=False).order_by("seq").values(*columns)
    for row in placed.iterator(chunk_size=5000):
        seq = row["seq"]
        if seq != expected:
            kind = "missing (deleted)" if seq > expected else "out of sequence"
            return Verdict(False, walk.size, expected, f"entry #{expected} is {kind}")
        if row["chain_hash"]:  # an entry of the old chain: its link too
            if row["prev_hash"] != prev_chain:
                return Verdict(
                    False, walk.size, seq,
                    "does not follow its predecessor (inserted, reordered or a predecessor "
                    "deleted)",
                )  # fmt: skip
            if chain_hash(prev_chain, row) != row["chain_hash"]:
                return Verdict(False, walk.size, seq, "its content was edited")
            prev_chain = row["chain_hash"]
        leaf = leaf_of(row)
        if row["hash"] != leaf.hex():
            return Verdict(False, walk.size, seq, "its content or its place was changed")
        walk.add(leaf)
        expected += 1
    return None


def _check_nodes_and_head(walk: _Walk) -> Verdict:
    for level in range(1, len(walk.levels)):
        computed = walk.levels[level]
        stored = AuditNode.objects.filter(level=level).order_by("index")
        count = 0
        for index, digest in stored.values_list("index", "hash").iterator(chunk_size=5000):
            if index != count or index >= len(computed) or computed[index].hex() != digest:
                first = (min(index, count) << level) + 1
                problem = f"the tree's stored node (level {level}, #{index}) was changed"
                return Verdict(False, walk.size, first, problem)
            count += 1
        if count != len(computed):
            first = (count << level) + 1
            return Verdict(False, walk.size, first,
                           f"the tree lacks its stored node (level {level}, #{count})")  # fmt: skip
    if AuditNode.objects.filter(level__gte=max(len(walk.levels), 1)).exists():
        return Verdict(False, walk.size, walk.size + 1, "the tree has nodes beyond its entries")
    head = AuditHead.objects.filter(pk=1).first()
    head_size = head.seq if head else 0
    if head_size != walk.size:
        return Verdict(
            False, walk.size, walk.size + 1,
            f"the log ends before the recorded head of {head_size} entries",
        )  # fmt: skip
    if walk.size and head.hash != walk.root().hex():
        return Verdict(False, walk.size, walk.size, "the recorded head differs from the tree")
    return Verdict(True, walk.size)


# --- signed tree heads ---------------------------------------------------------------


def _signing_key() -> Ed25519PrivateKey:
    path = Path(settings.HIPPOCRATIC_AUDIT_KEY)
    if not path.exists():
        if not settings.DEBUG:
            raise FileNotFoundError(
                f"no audit signing key at {path}; create one with "
                "`hippocratic audit keygen` and keep it outside the database"
            )
        generate_key(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def generate_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)
    path.chmod(0o600)


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
TREE_HEAD = "tree-head/1"  # the format of a signed tree head
OLD_CHAIN = "chain/1"  # a checkpoint of the hash chain the log had before its tree


def statement(data: dict) -> bytes:
    """What a checkpoint's signature signs. A tree head: its size, root and time (so a
    head cannot be passed off as newer than it is); the old chain's: its head."""
    if data.get("format") == TREE_HEAD:
        fields = (data["seq"], data["hash"], data["at"])
        return "\n".join([f"hippocratic-audit-{TREE_HEAD}", *map(str, fields)]).encode()
    return f"hippocratic-audit:{data['seq']}:{data['hash']}".encode()


def checkpoint() -> AuditCheckpoint:
    """Integrate what is pending, then sign the tree's head (size and root) and store
    it; `keep_checkpoint` writes it outside the database, and /transparency/log/
    publishes it."""
    key = _signing_key()
    sequencer.sequence()
    head = AuditHead.objects.filter(pk=1).first()
    size = head.seq if head else 0
    root = stored_root(size).hex()
    _extends_the_last_head(size)
    at = _now()
    data = {"format": TREE_HEAD, "seq": size, "hash": root, "at": at.isoformat()}
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return AuditCheckpoint.objects.create(
        format=TREE_HEAD, seq=size, hash=root, at=at,
        signature=base64.b64encode(key.sign(statement(data))).decode(),
        public_key=base64.b64encode(public).decode(),
    )  # fmt: skip


class NotExtended(RuntimeError):
    """The log no longer starts with what a signed head signed: it is not signed again."""


def _extends_the_last_head(size: int) -> None:
    """Refuse to sign a log that does not extend the last signed head (kept outside the
    database, else the newest in it): a rewritten, cut or emptied log would otherwise be
    signed anew, and the next verification pass on the strength of the new head."""
    kept = [d for d, _ in kept_checkpoints() if d.get("format") == TREE_HEAD and _signed(d)]
    stored = AuditCheckpoint.objects.filter(format=TREE_HEAD).order_by("-seq").first()
    last = max(kept, key=lambda d: int(d["seq"]), default=None) or (
        checkpoint_data(stored) if stored else None
    )
    if last is None or int(last["seq"]) == 0:
        return
    if size < int(last["seq"]) or stored_root(int(last["seq"])).hex() != last["hash"]:
        raise NotExtended(
            f"refusing to sign: the log does not extend the signed head of {last['seq']} "
            "entries (run `hippocratic audit verify`)"
        )


def operator_key() -> tuple[Ed25519PublicKey, str]:
    """The key checkpoints are checked against, and where it came from: the configured
    public key, else the signing key file's. Never the key a checkpoint carries (a
    forger signs with their own key and writes that one in)."""
    if settings.HIPPOCRATIC_AUDIT_PUBLIC_KEY:
        raw = base64.b64decode(settings.HIPPOCRATIC_AUDIT_PUBLIC_KEY)
        return Ed25519PublicKey.from_public_bytes(raw), "HIPPOCRATIC_AUDIT_PUBLIC_KEY"
    path = Path(settings.HIPPOCRATIC_AUDIT_KEY)
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, Ed25519PrivateKey):
            return key.public_key(), f"the key file {path}"
    raise LookupError(
        "no audit key to check checkpoints against: set HIPPOCRATIC_AUDIT_PUBLIC_KEY or "
        "HIPPOCRATIC_AUDIT_KEY"
    )


def retired_keys() -> list[tuple[Ed25519PublicKey, dt.datetime | None]]:
    """The operator's retired public keys, each with when it was retired (None: not
    known): `<key file>.retired`, as `hippocratic keys rotate audit` writes it, and
    HIPPOCRATIC_AUDIT_OLD_PUBLIC_KEYS on a machine that only verifies."""
    found = [(k, None) for k in settings.HIPPOCRATIC_AUDIT_OLD_PUBLIC_KEYS]
    path = Path(settings.HIPPOCRATIC_AUDIT_KEY)
    retired = path.with_name(path.name + ".retired")
    if retired.exists():
        for line in retired.read_text().splitlines():
            public, _, when = line.partition(" ")
            found.append((public, dt.datetime.fromisoformat(when) if when.strip() else None))
    return [(Ed25519PublicKey.from_public_bytes(base64.b64decode(k)), w) for k, w in found]


def _signed(data: dict) -> bool:
    """Whether a kept head's signature holds (an unsigned file decides nothing)."""
    try:
        return _signed_by_operator(data)
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False


def _signed_by_operator(data: dict) -> bool:
    """The checkpoint's signature holds under the operator's key, or under a retired
    key for a head it signed before it was retired (a retired key signs nothing new)."""
    public, _ = operator_key()
    keys = [(public, None), *retired_keys()]
    signature, signed = base64.b64decode(data["signature"]), statement(data)
    for key, retired_at in keys:
        if retired_at is not None and dt.datetime.fromisoformat(data["at"]) > retired_at:
            continue
        try:
            key.verify(signature, signed)
            return True
        except InvalidSignature:
            continue
    raise InvalidSignature


def key_id(public: Ed25519PublicKey) -> str:
    """A short name for a public key: the start of its SHA-256."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def verify_checkpoint(data: dict) -> Verdict:
    """Check a checkpoint kept outside against the operator's key, and that the log
    still holds what it signed: for a tree head, the same root at its size (nothing
    before it edited, removed, inserted or moved; its tail not cut). Raises
    LookupError where no key is configured."""
    public, source = operator_key()
    try:
        _signed_by_operator(data)
        size = int(data["seq"])
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return Verdict(
            False, 0, data.get("seq") if isinstance(data.get("seq"), int) else None,
            f"the checkpoint's signature does not verify with {source} (key {key_id(public)})",
        )  # fmt: skip
    verdict = verify(roots_at=[size])
    if not verdict.ok:
        return verdict
    if data.get("format") != TREE_HEAD:
        return _holds_old_checkpoint(data, verdict)
    return _holds_head(data, verdict)


def _holds_head(data: dict, verdict: Verdict) -> Verdict:
    """A signed tree head, signed by the operator, against a walk of the log that kept
    the root at its size."""
    public, source = operator_key()
    try:
        _signed_by_operator(data)
        size = int(data["seq"])
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return Verdict(False, verdict.entries, None,
                       f"the checkpoint's signature does not verify with {source} "
                       f"(key {key_id(public)})")  # fmt: skip
    if size > verdict.entries:
        return Verdict(False, verdict.entries, verdict.entries + 1,
                       f"the log ends before the signed head of {size} entries")  # fmt: skip
    root = verdict.roots.get(size, merkle.EMPTY)
    if root.hex() != data["hash"]:
        return Verdict(False, verdict.entries, None,
                       f"the log's first {size} entries differ from the signed head")  # fmt: skip
    return verdict


def _holds_old_checkpoint(data: dict, verdict: Verdict) -> Verdict:
    """A checkpoint of the old chain: the entry it signed still carries its link."""
    if data["seq"] == 0:
        return verdict
    entry = AuditEntry.objects.filter(seq=data["seq"]).first()
    if entry is None:
        return Verdict(False, verdict.entries, data["seq"], "the checkpointed entry is gone")
    if entry.chain_hash != data["hash"]:
        return Verdict(False, verdict.entries, data["seq"], "differs from the checkpoint")
    return verdict


# --- checkpoints kept outside the database --------------------------------------------


def checkpoint_data(signed: AuditCheckpoint) -> dict:
    data = {"format": signed.format} if signed.format == TREE_HEAD else {}
    return data | {
        "seq": signed.seq,
        "hash": signed.hash,
        "at": signed.at.isoformat(),
        "signature": signed.signature,
        "public_key": signed.public_key,
    }


def keep_checkpoint(signed: AuditCheckpoint) -> Path:
    """Write a signed checkpoint to HIPPOCRATIC_AUDIT_CHECKPOINTS (outside the database)."""
    folder = Path(settings.HIPPOCRATIC_AUDIT_CHECKPOINTS)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{signed.at:%Y%m%dT%H%M%S%f}-{signed.seq:012d}.json"
    path.write_text(json.dumps(checkpoint_data(signed), indent=2) + "\n")
    return path


def kept_checkpoints() -> list[tuple[dict, Path]]:
    """Every checkpoint kept outside the database, oldest first: the old chain's (their
    times are not signed, so they count for nothing), then the tree heads by size, then
    by their signed time. A file's name and date, or a time no signature covers, never
    decide which head is the newest (issue 30, item 11)."""
    folder = Path(settings.HIPPOCRATIC_AUDIT_CHECKPOINTS)
    found = []
    for path in folder.glob("*.json") if folder.is_dir() else ():
        try:
            data = json.loads(path.read_text())
            head = data.get("format") == TREE_HEAD
            at = dt.datetime.fromisoformat(data["at"]) if head else EPOCH
            if at.tzinfo is None:
                continue  # no head of ours: their times are UTC, with the offset
            found.append(((head, int(data["seq"]) if head else 0, at), data, path))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # not a checkpoint; verify says nothing of files it cannot read
    return [(data, path) for _, data, path in sorted(found, key=lambda f: f[0])]


def newest_checkpoint() -> tuple[dict, Path] | None:
    """The newest signed tree head kept outside the database: the largest, then the
    latest signed (None where only the old chain's checkpoints are kept)."""
    heads = [kept for kept in kept_checkpoints() if kept[0].get("format") == TREE_HEAD]
    return heads[-1] if heads else None


def verify_against_newest_checkpoint() -> Verdict:
    """The default verification: the tree, then every signed head kept outside the
    database (each must sign what the log's first entries still make: a log rebuilt
    after one head was signed fails at that head, whatever was signed since), the
    newest of which must be recent. A tree alone cannot prove it was not rebuilt."""
    kept = kept_checkpoints()
    heads = [(d, p) for d, p in kept if d.get("format") == TREE_HEAD]
    try:
        sizes = [int(d["seq"]) for d, _ in heads]
    except (KeyError, TypeError, ValueError):
        sizes = []
    verdict = verify(roots_at=sizes)
    if not verdict.ok:
        return verdict
    max_age = dt.timedelta(hours=settings.HIPPOCRATIC_AUDIT_CHECKPOINT_MAX_AGE_HOURS)
    if not kept:
        return Verdict(
            False, verdict.entries, None,
            f"no checkpoint outside the database (in {settings.HIPPOCRATIC_AUDIT_CHECKPOINTS}): "
            "a log cannot prove itself; write one with `hippocratic audit checkpoint`",
        )  # fmt: skip
    for data, path in heads:
        checked = _holds_head(data, verdict)
        if not checked.ok:
            return Verdict(False, checked.entries, checked.seq, f"{checked.problem} ({path.name})")
    for data, path in kept:
        if data.get("format") != TREE_HEAD:
            checked = verify_checkpoint(data)
            if not checked.ok:
                return Verdict(
                    False, checked.entries, checked.seq, f"{checked.problem} ({path.name})"
                )
    if not heads:
        return Verdict(
            False, verdict.entries, None,
            "no signed tree head outside the database (only the old chain's checkpoints, "
            "whose times no signature covers): write one with `hippocratic audit checkpoint`",
        )  # fmt: skip
    data, path = heads[-1]  # its time is signed (and its signature was checked above)
    at = dt.datetime.fromisoformat(data["at"])
    if _now() - at > max_age:
        return Verdict(
            False, verdict.entries, None,
            f"no checkpoint newer than {max_age}: the newest, #{data['seq']}, is of "
            f"{at:%Y-%m-%d %H:%M} UTC",
        )  # fmt: skip
    return Verdict(True, verdict.entries)
