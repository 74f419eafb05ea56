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
HIPPOCRATIC_AUDIT_SEQUENCE_SECONDS, 0.1 s by default), and on
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


# Where this process's quick passes start looking for new entries (PostgreSQL only; see
# _pending): the highest id it has placed, per database alias.
_placed_up_to: dict[str, int] = {}
SWEEP_EVERY = 100  # a worker's passes: one in this many (10 s) looks at every pending entry


def sequence(*, batch: int = BATCH, until_empty: bool = True, sweep: bool = True) -> Pass:
    """Integrate pending entries, `batch` at a time (until none is left, by default).
    Safe to call from any number of processes: one integrates, the others return busy.
    `sweep=False` (a worker's frequent passes) looks only past the newest entry this
    process placed; a sweep, the default, at every pending entry."""
    result = Pass()
    while True:
        done = _one_batch(batch, result, sweep)
        if result.busy or done < batch or not until_empty:
            return result
        # The sweep's first batch started from the first pending entry; the next ones
        # start past the last placed (each scan from the start walked every dead row
        # the batches before it left: quadratic, 173 s for a backlog of 1,000,000).
        sweep = False


def _one_batch(batch: int, result: Pass, sweep: bool) -> int:
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
        everywhere = sweep or connection.vendor != "postgresql"
        pending = _pending(alias, batch, head.seq, everywhere)
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
            nodes.extend((lv, ix, h.hex()) for lv, ix, h in made if lv)
            result.delays.append((now - row["at"]).total_seconds())
        _place(cursor, connection, updates)
        _store_nodes(cursor, connection, nodes)
        root = tree.root().hex()
        AuditHead.objects.using(alias).filter(pk=1).update(seq=tree.size, hash=root)
        result.integrated += len(pending)
        result.size, result.root = tree.size, root
        last = max(row["id"] for row in pending)
        _placed_up_to[alias] = max(_placed_up_to.get(alias, 0), last)
        return len(pending)


def _pending(alias: str, batch: int, size: int, everywhere: bool) -> list[dict]:
    """The next entries without a place: those of the old hash chain first (they keep
    their numbers, all past the tree's size), then new ones in the order they were
    written.

    On PostgreSQL a placed entry leaves a dead row in the pending index until vacuum
    runs; a scan from the start walks every one of them (0.2 s at 250,000, each pass).
    So a quick pass starts past the newest entry this process placed: an entry given a
    smaller id by a transaction that committed later waits for the next sweep (every
    SWEEP_EVERY passes of a worker, and every on-demand call)."""
    columns = ("id", *HASHED_FIELDS)
    entries = AuditEntry.objects.using(alias)
    old = list(entries.filter(seq__gt=size).order_by("seq").values(*columns)[:batch])
    if len(old) < batch:
        new = entries.filter(hash__isnull=True, seq__isnull=True)
        if not everywhere and alias in _placed_up_to:
            new = new.filter(id__gt=_placed_up_to[alias])
        old.extend(new.order_by("id").values(*columns)[: batch - len(old)])
    return old


def _place(cursor, connection, updates: list[tuple[int, int, str]]) -> None:
    """Give each entry its number and leaf hash: on PostgreSQL one statement a batch,
    its values as three comma-joined lists the server splits (three parameters, not
    fifteen thousand for the driver to quote one by one)."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    if connection.vendor == "postgresql":
        cursor.execute(
            f"UPDATE {table} AS e SET seq = v.seq, hash = v.hash "  # noqa: S608 (quoted)
            f"FROM unnest({_ARRAY % 'bigint'}, {_ARRAY % 'bigint'}, {_ARRAY % 'varchar'}) "
            "AS v(id, seq, hash) WHERE e.id = v.id",
            _joined(updates),
        )
    else:
        cursor.executemany(
            f"UPDATE {table} SET seq = %s, hash = %s WHERE id = %s",  # noqa: S608 (quoted)
            [(seq, leaf, pk) for pk, seq, leaf in updates],
        )


def _store_nodes(cursor, connection, nodes: list[tuple[int, int, str]]) -> None:
    """The perfect subtrees a batch completed, (level, index, hash) each."""
    if not nodes:
        return
    table = connection.ops.quote_name(AuditNode._meta.db_table)
    if connection.vendor == "postgresql":
        cursor.execute(
            f'INSERT INTO {table} (level, "index", hash) '  # noqa: S608 (quoted)
            f"SELECT * FROM unnest({_ARRAY % 'smallint'}, {_ARRAY % 'bigint'}, "
            f"{_ARRAY % 'varchar'})",
            _joined(nodes),
        )
    else:
        cursor.executemany(
            f'INSERT INTO {table} (level, "index", hash) VALUES (%s, %s, %s)',  # noqa: S608
            nodes,
        )


_ARRAY = "string_to_array(%%s, ',')::%s[]"  # numbers and hex: no comma in any value


def _joined(rows: list[tuple]) -> list[str]:
    """Columns of `rows`, each as one comma-joined string."""
    return [",".join(map(str, column)) for column in zip(*rows, strict=True)]


def run_forever(interval: float, *, stop=None, report=None) -> None:
    """A worker's sequencer thread: a pass every `interval` seconds, a sweep every
    SWEEP_EVERY passes. `stop` (an Event) ends it; `report` is given each Pass."""
    passes = 0
    while stop is None or not stop.is_set():
        try:
            done = sequence(sweep=passes % SWEEP_EVERY == 0)
            if report is not None:
                report(done)
        except Exception:  # logged; the next pass tries again (nothing half-written)
            logger.exception("sequencer pass failed")
            connections.close_all()  # a fresh connection for the next pass
        passes += 1
        time.sleep(interval)
