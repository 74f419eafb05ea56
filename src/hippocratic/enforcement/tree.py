"""The audit log's tree as stored: what an entry's leaf is made of, and the perfect
subtrees read back from the database for a root or a proof (enforcement.merkle does
the hashing; the sequencer writes the tree)."""

import json
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from hippocratic.enforcement import merkle
from hippocratic.enforcement.models import AuditEntry, AuditNode

HASHED_FIELDS = (
    "seq", "at", "actor", "role", "purpose", "action", "subject", "subject_ref",
    "categories", "allowed", "reason", "rule", "promise", "rows", "policy_version",
)  # fmt: skip


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
    higher levels from AuditNode. One query each, however many keys."""
    keys = set(keys)
    found: dict[tuple[int, int], bytes] = {}
    leaves = [index + 1 for level, index in keys if level == 0]
    if leaves:
        rows = AuditEntry.objects.filter(seq__in=leaves).values_list("seq", "hash")
        found.update({(0, seq - 1): bytes.fromhex(h) for seq, h in rows if h})
    higher = Q()
    for level, index in keys:
        if level:
            higher |= Q(level=level, index=index)
    if higher:
        rows = AuditNode.objects.filter(higher).values_list("level", "index", "hash")
        found.update({(lv, ix): bytes.fromhex(h) for lv, ix, h in rows})
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


def inclusion(seq: int, size: int) -> Inclusion:
    leaf = AuditEntry.objects.filter(seq=seq).values_list("hash", flat=True).first()
    if leaf is None or seq > size:
        raise LookupError(f"entry #{seq} is not in the tree of {size}")
    path = _stored(lambda perfect: merkle.inclusion_proof(seq - 1, size, perfect))
    return Inclusion(seq, size, bytes.fromhex(leaf), path)


def consistency(first: int, second: int) -> list[bytes]:
    return _stored(lambda perfect: merkle.consistency_proof(first, second, perfect))
