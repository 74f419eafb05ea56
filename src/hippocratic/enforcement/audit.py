"""Appending to the audit chain, verifying it, and signing its head.

`append` is the one writer: every module that records an access calls it with
an Actor, an Action and a Reason (enums, so a typo is an error, not a new kind of
entry). Each entry records the version of the policy in force (a hash of the
policy file), inside its chained hash.

Every append locks the single AuditHead row (SELECT … FOR UPDATE on PostgreSQL;
on SQLite the IMMEDIATE transaction mode serialises writers), so concurrent
appends each see the true predecessor.
"""

import base64
import contextvars
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
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
from django.db import connections, transaction
from django.utils import timezone

from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.models import GENESIS, AuditCheckpoint, AuditEntry, AuditHead
from hippocratic.policy.reasons import Reason
from hippocratic.provider import policy_version

HASHED_FIELDS = (
    "seq", "at", "actor", "role", "purpose", "action", "subject", "subject_ref",
    "categories", "allowed", "reason", "rule", "promise", "rows", "policy_version",
)  # fmt: skip


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


def canonical(values: dict) -> bytes:
    """A stable encoding of an entry: sorted keys, no spaces, UTC times to the microsecond."""
    encoded = {}
    for name in HASHED_FIELDS:
        value = values.get(name, "")
        if name == "policy_version" and not value:
            continue  # entries written before the field existed hash without it
        if name == "at":
            value = value.astimezone(timezone.UTC).isoformat(timespec="microseconds")
        encoded[name] = value
    return json.dumps(encoded, sort_keys=True, separators=(",", ":")).encode()


def chain_hash(prev_hash: str, values: dict) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(values)).hexdigest()


@dataclass(frozen=True)
class _Statements:
    """The three statements of an append, written once per database: every audited
    access passes here, and building them (and the ORM) was most of its cost."""

    head: str
    start: str
    insert: str
    advance: str
    returning: bool


@lru_cache(maxsize=8)
def _statements(alias: str) -> _Statements:
    connection = connections[alias]
    quote = connection.ops.quote_name
    head_table = quote(AuditHead._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    columns = [AuditEntry._meta.get_field(name).column for name in _ENTRY_COLUMNS]
    insert = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from the model, quoted)
        quote(AuditEntry._meta.db_table), ", ".join(quote(c) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )  # fmt: skip
    returning = connection.features.can_return_columns_from_insert
    return _Statements(
        head=f"SELECT seq, hash FROM {head_table} WHERE id = 1{lock}",  # noqa: S608
        start=f"INSERT INTO {head_table} (id, seq, hash) VALUES (1, 0, %s) "  # noqa: S608
        "ON CONFLICT DO NOTHING",
        insert=insert + (" RETURNING id" if returning else ""),
        advance=f"UPDATE {head_table} SET seq = %s, hash = %s WHERE id = 1",  # noqa: S608
        returning=returning,
    )


def _head_for_update(cursor, statements: _Statements) -> tuple[int, str]:
    """(seq, hash) of the chain's head, its row locked until the transaction ends."""
    cursor.execute(statements.head)
    row = cursor.fetchone()
    if row is None:
        # The first append ever (or after a flush): writers racing here must not each
        # start a chain. ON CONFLICT DO NOTHING waits for the winner, then all lock its row.
        cursor.execute(statements.start, [GENESIS])
        cursor.execute(statements.head)
        row = cursor.fetchone()
    return row[0], row[1]


_ENTRY_COLUMNS = (*HASHED_FIELDS, "prev_hash", "hash")
# The columns whose values the database adapter must convert (the rest are str, int, bool).
_CONVERTED = ("at", "categories")


def _insert(cursor, connection, statements: _Statements, values: dict) -> int | None:
    """INSERT the entry; its id where the database returns it."""
    for name in _CONVERTED:
        values[name] = AuditEntry._meta.get_field(name).get_db_prep_save(values[name], connection)
    cursor.execute(statements.insert, [values[name] for name in _ENTRY_COLUMNS])
    return cursor.fetchone()[0] if statements.returning else cursor.lastrowid


def _policy_version() -> str:

    return policy_version()


@dataclass(frozen=True)
class Appended:
    """Where an entry went: its sequence number and hashes (the row is in AuditEntry)."""

    seq: int
    hash: str
    prev_hash: str


# Set by `collecting()`: the sequence numbers appended inside it, so a piece of work
# (a request done for a customer) can name the entries it wrote.
_collected: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "audit_collected", default=None
)


@contextmanager
def collecting():
    """with audit.collecting() as seqs: ... -> seqs holds the entries appended inside."""
    seqs: list[int] = []
    token = _collected.set(seqs)
    try:
        yield seqs
    finally:
        _collected.reset(token)


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
) -> "Appended":
    """Append one entry: `actor` did `action` on `subject`'s data (`subject_ref`: which
    one, or * for many) for `purpose`; `allowed` and `reason` say why. Returns its
    place in the chain.
    Call inside or outside a transaction."""
    if not isinstance(action, Action) or not isinstance(reason, Reason):
        raise TypeError("audit.append takes an Action and a Reason, not strings")
    alias = AuditEntry.objects.db
    connection, statements = connections[alias], _statements(alias)
    # No savepoint inside a caller's transaction: an entry that cannot be written must
    # take the caller's work down with it, and two statements a call are saved.
    with transaction.atomic(using=alias, savepoint=False), connection.cursor() as cursor:
        head_seq, head_hash = _head_for_update(cursor, statements)
        values = {
            "seq": head_seq + 1,
            "at": _now(),
            "actor": actor.label,
            "role": actor.role,
            "purpose": purpose,
            "action": action.value,
            "subject": subject,
            "subject_ref": subject_ref,
            "categories": sorted(categories),
            "allowed": allowed,
            "reason": reason.value,
            "rule": rule,
            "promise": promise,
            "rows": rows,
            "policy_version": _policy_version(),
        }
        digest = chain_hash(head_hash, values)
        entry = Appended(seq=values["seq"], hash=digest, prev_hash=head_hash)
        _insert(cursor, connection, statements, {**values, "prev_hash": head_hash, "hash": digest})
        cursor.execute(statements.advance, [entry.seq, digest])
    collected = _collected.get()
    if collected is not None:
        collected.append(entry.seq)
    return entry


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    seq: int | None = None  # the first entry at fault
    problem: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.entries} entries"
        if self.seq is None:
            return f"audit chain not proven: {self.problem}"
        return f"audit chain broken at entry #{self.seq}: {self.problem}"


def verify() -> Verdict:
    """Walk the chain; name the first entry that was edited, deleted, inserted or moved."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        count += 1
        values = {name: getattr(entry, name) for name in HASHED_FIELDS}
        if entry.seq != expected_seq:
            kind = "missing (deleted)" if entry.seq > expected_seq else "out of sequence"
            return Verdict(False, count, expected_seq, f"entry #{expected_seq} is {kind}")
        if entry.prev_hash != prev_hash:
            return Verdict(
                False, count, entry.seq,
                "does not follow its predecessor (inserted, reordered or a predecessor deleted)",
            )  # fmt: skip
        if chain_hash(prev_hash, values) != entry.hash:
            return Verdict(False, count, entry.seq, "its content was edited")
        prev_hash, expected_seq = entry.hash, expected_seq + 1
    head = AuditHead.objects.filter(pk=1).first()
    head_seq = head.seq if head else 0
    if head_seq != expected_seq - 1 or (head and head.hash != prev_hash):
        return Verdict(
            False, count, expected_seq, f"the chain ends before the recorded head #{head_seq}"
        )
    return Verdict(True, count)


# --- signed checkpoints --------------------------------------------------------------


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


def _statement(seq: int, digest: str) -> bytes:
    return f"hippocratic-audit:{seq}:{digest}".encode()


def checkpoint() -> AuditCheckpoint:
    """Sign the current head and store the signature; print it to keep elsewhere too."""
    key = _signing_key()
    alias = AuditEntry.objects.db
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        seq, digest = _head_for_update(cursor, _statements(alias))
        public = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return AuditCheckpoint.objects.create(
            seq=seq,
            hash=digest,
            at=_now(),
            signature=base64.b64encode(key.sign(_statement(seq, digest))).decode(),
            public_key=base64.b64encode(public).decode(),
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


def key_id(public: Ed25519PublicKey) -> str:
    """A short name for a public key: the start of its SHA-256."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def verify_checkpoint(data: dict) -> Verdict:
    """Check a checkpoint kept outside against the operator's key, and that the chain
    still holds the entry it signed. Raises LookupError where no key is configured."""
    public, source = operator_key()
    try:
        public.verify(base64.b64decode(data["signature"]), _statement(data["seq"], data["hash"]))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return Verdict(
            False, 0, data.get("seq"),
            f"the checkpoint's signature does not verify with {source} (key {key_id(public)})",
        )  # fmt: skip
    verdict = verify()
    if not verdict.ok:
        return verdict
    if data["seq"] == 0:
        return verdict
    entry = AuditEntry.objects.filter(seq=data["seq"]).first()
    if entry is None:
        return Verdict(False, verdict.entries, data["seq"], "the checkpointed entry is gone")
    if entry.hash != data["hash"]:
        return Verdict(False, verdict.entries, data["seq"], "differs from the checkpoint")
    return verdict


# --- checkpoints kept outside the database --------------------------------------------


def checkpoint_data(signed: AuditCheckpoint) -> dict:
    return {
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


def newest_checkpoint() -> tuple[dict, Path] | None:
    """The newest checkpoint kept outside the database (by its signed time)."""
    folder = Path(settings.HIPPOCRATIC_AUDIT_CHECKPOINTS)
    found = []
    for path in folder.glob("*.json") if folder.is_dir() else ():
        try:
            data = json.loads(path.read_text())
            found.append((dt.datetime.fromisoformat(data["at"]), data, path))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a checkpoint; verify says nothing of files it cannot read
    if not found:
        return None
    _, data, path = max(found, key=lambda f: f[0])
    return data, path


def verify_against_newest_checkpoint() -> Verdict:
    """The default verification: the chain, then the newest checkpoint kept outside it,
    which must be recent. A chain alone cannot prove that its tail was not cut or
    rewritten; a signed checkpoint kept elsewhere can."""
    verdict = verify()
    if not verdict.ok:
        return verdict
    newest = newest_checkpoint()
    max_age = dt.timedelta(hours=settings.HIPPOCRATIC_AUDIT_CHECKPOINT_MAX_AGE_HOURS)
    if newest is None:
        return Verdict(
            False, verdict.entries, None,
            f"no checkpoint outside the database (in {settings.HIPPOCRATIC_AUDIT_CHECKPOINTS}): "
            "a chain cannot prove itself; write one with `hippocratic audit checkpoint`",
        )  # fmt: skip
    data, path = newest
    checked = verify_checkpoint(data)
    if not checked.ok:
        return Verdict(False, checked.entries, checked.seq, f"{checked.problem} ({path.name})")
    at = dt.datetime.fromisoformat(data["at"])
    if _now() - at > max_age:
        return Verdict(
            False, verdict.entries, None,
            f"no checkpoint newer than {max_age}: the newest, #{data['seq']}, is of "
            f"{at:%Y-%m-%d %H:%M} UTC",
        )  # fmt: skip
    return Verdict(True, verdict.entries)
