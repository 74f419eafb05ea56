"""The audit log's tree as stored: what an entry's leaf is made of, and the perfect
subtrees read back from the database for a root or a proof (enforcement.merkle does
the hashing; the sequencer writes the tree)."""

import json
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from hippocratic.enforcement import merkle
from hippocratic.enforcement.models import AuditEntry, AuditNode

HASHED_FIELDS = (
    "seq", "at", "actor", "role", "purpose", "action", "subject", "subject_ref",
    "categories", "allowed", "reason", "rule", "promise", "rows", "policy_version",
)  # fmt: skip


_ENCODE = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode
_UTC = timezone.UTC


def canonical(values: dict) -> bytes:
    """A stable encoding of an entry: sorted keys, no spaces, UTC times to the microsecond."""
    encoded = {name: values.get(name, "") for name in HASHED_FIELDS}
    if not encoded["policy_version"]:
        del encoded["policy_version"]  # entries written before the field existed hash without it
    at = encoded["at"]
    if at.tzinfo is not _UTC:
        at = at.astimezone(_UTC)
    encoded["at"] = at.isoformat(timespec="microseconds")
    return _ENCODE(encoded).encode()


def leaf_of(values: dict) -> bytes:
    return merkle.leaf_hash(canonical(values))


def frontier(size: int) -> list[tuple[int, int]]:
    """The perfect subtrees a tree of `size` leaves is made of, largest first: the
    left siblings the next leaves complete parents with."""
    found, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            found.append((level, start >> level))
            start += 1 << level
    return found


class Damaged(LookupError):
    """The stored tree lacks a node a root or proof needs: it was tampered with."""


def read_perfect(keys) -> dict[tuple[int, int], bytes]:
    """The stored hashes of perfect subtrees (level, index): leaves from the entries,
    higher levels from AuditNode. One query, however many keys, written out by hand:
    building the same UNION through the ORM cost more than the database's answer
    (a proof's time is round trips and query building)."""
    keys = set(keys)
    leaves = [index + 1 for level, index in keys if level == 0]
    higher = [(level, index) for level, index in keys if level]
    quote = connection.ops.quote_name
    parts, params = [], []
    if leaves:
        parts.append(
            f"SELECT 0, {quote('seq')} - 1, {quote('hash')} FROM "  # noqa: S608 (quoted names)
            f"{quote(AuditEntry._meta.db_table)} WHERE {quote('seq')} IN "
            f"({', '.join(['%s'] * len(leaves))}) AND {quote('hash')} IS NOT NULL"
        )
        params += leaves
    if higher:
        pairs = " OR ".join([f"({quote('level')} = %s AND {quote('index')} = %s)"] * len(higher))
        parts.append(
            f"SELECT {quote('level')}, {quote('index')}, {quote('hash')} FROM "  # noqa: S608
            f"{quote(AuditNode._meta.db_table)} WHERE {pairs}"
        )
        params += [n for pair in higher for n in pair]
    rows = []
    if parts:
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            rows = cursor.fetchall()
    found = {(level, index): bytes.fromhex(h) for level, index, h in rows}
    missing = keys - set(found)
    if missing:
        raise Damaged(f"the audit tree lacks {len(missing)} node(s), e.g. {min(missing)}")
    return found


def _stored(fn):
    """Run a merkle function against the stored tree: a dry run names the nodes it
    reads, one read fetches them, the real run uses them."""
    nodes = read_perfect(merkle.needed(fn))
    return fn(lambda level, index: nodes[(level, index)])


def stored_root(size: int) -> bytes:
    return _stored(lambda perfect: merkle.root(size, perfect))


@dataclass(frozen=True)
class Inclusion:
    """That entry `seq` is in the tree of `size` leaves: its leaf hash and the path."""

    seq: int
    size: int
    leaf: bytes
    path: list[bytes]


def inclusion(seq: int, size: int, leaf: str | None = None) -> Inclusion:
    """`leaf`: the entry's stored leaf hash, where the caller has read it already."""
    if leaf is None:
        leaf = AuditEntry.objects.filter(seq=seq).values_list("hash", flat=True).first()
    if leaf is None or seq > size:
        raise LookupError(f"entry #{seq} is not in the tree of {size}")
    path = _stored(lambda perfect: merkle.inclusion_proof(seq - 1, size, perfect))
    return Inclusion(seq, size, bytes.fromhex(leaf), path)


def consistency(first: int, second: int) -> list[bytes]:
    return _stored(lambda perfect: merkle.consistency_proof(first, second, perfect))
