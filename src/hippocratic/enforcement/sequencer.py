"""The sequencer: integrates pending audit entries into the Merkle tree, in batches.

An audited access writes its entry as a plain INSERT in its own transaction (no lock
shared with any other request: audit.append). The sequencer, one at a time (a
PostgreSQL advisory lock; SQLite's IMMEDIATE transactions serialise writers anyway),
takes the committed entries that have no place yet, in the order they were written,
gives each the next sequence number and its leaf hash, stores the perfect subtrees
they complete, and moves the head (tree size, root), all in one transaction: a crash
leaves the entries pending and the next pass takes them again (Trillian's queued
leaves and sequencer; RFC 6962's tree).

It runs in every worker (`hippocratic worker`, a pass every
HIPPOCRATIC_AUDIT_SEQUENCE_SECONDS, 0.25 s by default), and on
demand before anything reads the tree: a signed head, `audit verify`, a proof.
The merge delay (an entry's wait for its place) is measured on every pass.
"""

import logging
import time
from dataclasses import dataclass, field

from django.db import connections, transaction
from django.utils import timezone

from hippocratic.enforcement import merkle
from hippocratic.enforcement.models import AuditEntry, AuditHead, AuditNode, empty_root
from hippocratic.enforcement.tree import HASHED_FIELDS, canonical, frontier, read_perfect

logger = logging.getLogger("hippocratic.audit")

BATCH = 5_000
LOCK_KEY = 0x6869_7070_6175_6469  # "hippaudi": the advisory lock's number


@dataclass
class Pass:
    """What one call of `sequence` did."""

    integrated: int = 0
    size: int = 0
    root: str = ""
    delays: list[float] = field(default_factory=list)  # seconds each entry waited
    busy: bool = False  # another sequencer held the lock

    @property
    def max_delay(self) -> float:
        return max(self.delays, default=0.0)


def sequence(*, batch: int = BATCH, until_empty: bool = True) -> Pass:
    """Integrate pending entries, `batch` at a time (until none is left, by default).
    Safe to call from any number of processes: one integrates, the others return busy."""
    result = Pass()
    while True:
        done = _one_batch(batch, result)
        if result.busy or done < batch or not until_empty:
            return result


def _one_batch(batch: int, result: Pass) -> int:
    alias = AuditEntry.objects.db
    connection = connections[alias]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
            if not cursor.fetchone()[0]:
                result.busy = True
                return 0
        head = AuditHead.objects.using(alias).select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditHead.objects.using(alias).create(pk=1, seq=0, hash=empty_root())
        pending = _pending(batch)
        if not pending:
            result.size, result.root = head.seq, head.hash
            return 0
        known = read_perfect(frontier(head.seq))
        tree = merkle.MemoryTree()
        tree.nodes, tree.size = dict(known), head.seq
        updates, nodes, now = [], [], timezone.now()
        for row in pending:
            seq = tree.size + 1
            if row["seq"] is not None and row["seq"] != seq:  # an entry of the old chain
                raise RuntimeError(
                    f"audit entry #{row['seq']} would take place {seq}: the old chain has "
                    "a gap; run `hippocratic audit verify`"
                )
            leaf = merkle.leaf_hash(canonical({**row, "seq": seq}))
            made = tree.append(leaf)
            updates.append((row["id"], seq, leaf.hex()))
            nodes.extend(AuditNode(level=lv, index=ix, hash=h.hex()) for lv, ix, h in made if lv)
            result.delays.append((now - row["at"]).total_seconds())
        _place(cursor, connection, updates)
        AuditNode.objects.using(alias).bulk_create(nodes, batch_size=2000)
        root = tree.root().hex()
        AuditHead.objects.using(alias).filter(pk=1).update(seq=tree.size, hash=root)
        result.integrated += len(pending)
        result.size, result.root = tree.size, root
        return len(pending)


def _pending(batch: int) -> list[dict]:
    """The next entries without a place: those of the old hash chain first (they keep
    their numbers), then new ones in the order they were written."""
    columns = ("id", *HASHED_FIELDS)
    waiting = AuditEntry.objects.filter(hash__isnull=True)
    old = list(waiting.filter(seq__isnull=False).order_by("seq").values(*columns)[:batch])
    if len(old) < batch:
        new = waiting.filter(seq__isnull=True).order_by("id").values(*columns)
        old.extend(new[: batch - len(old)])
    return old


def _place(cursor, connection, updates: list[tuple[int, int, str]]) -> None:
    """Give each entry its number and leaf hash: one statement a batch on PostgreSQL."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    if connection.vendor == "postgresql":
        for start in range(0, len(updates), 1000):
            chunk = updates[start : start + 1000]
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"UPDATE {table} AS e SET seq = v.seq, hash = v.hash "  # noqa: S608 (quoted)
                f"FROM (VALUES {values}) AS v(id, seq, hash) WHERE e.id = v.id",
                [x for row in chunk for x in (row[0], row[1], row[2])],
            )
    else:
        cursor.executemany(
            f"UPDATE {table} SET seq = %s, hash = %s WHERE id = %s",  # noqa: S608 (quoted)
            [(seq, leaf, pk) for pk, seq, leaf in updates],
        )


def run_forever(interval: float) -> None:
    """A worker's sequencer thread: a pass every `interval` seconds."""
    while True:
        try:
            sequence()
        except Exception:  # logged; the next pass tries again (nothing half-written)
            logger.exception("sequencer pass failed")
        finally:
            connections.close_all()
        time.sleep(interval)
