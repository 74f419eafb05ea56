"""The audit log's Merkle tree: RFC 6962 / RFC 9162 (Certificate Transparency), in
plain Python, so the same code builds the tree, makes proofs and checks them (the
`audit check-proof` command, the tests; the data page's verifier is its JavaScript
twin, site/static/site/audit-proof.js).

A tree of n leaves has the hash MTH(D[0:n]): SHA-256(0x00 || leaf) for one leaf,
SHA-256(0x01 || MTH(left) || MTH(right)) for more, split at the largest power of two
below n. The log stores the hash of every *perfect* subtree (2**level leaves starting
at a multiple of 2**level); every other subtree a root or a proof needs is made from
O(log n) of them, read through a `perfect(level, index)` callable, so the same
functions serve a list in memory and a table of millions of rows.
"""

import hashlib
from collections.abc import Callable, Iterable

Perfect = Callable[[int, int], bytes]  # (level, index) -> hash of that perfect subtree

EMPTY = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_hash(start: int, end: int, perfect: Perfect) -> bytes:
    """MTH(D[start:end]) from the perfect subtrees it is made of."""
    size = end - start
    if size <= 0:
        return EMPTY
    if size & (size - 1) == 0 and start % size == 0:
        return perfect(size.bit_length() - 1, start // size)
    k = _split(size)
    return node_hash(subtree_hash(start, start + k, perfect), subtree_hash(start + k, end, perfect))


def root(size: int, perfect: Perfect) -> bytes:
    return subtree_hash(0, size, perfect)


def inclusion_proof(index: int, size: int, perfect: Perfect) -> list[bytes]:
    """PATH(index, D[0:size]): the sibling hashes from the leaf up to the root."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:  # walk down, collecting the other side at each split
        k = _split(end - start)
        if index < start + k:
            path.append(subtree_hash(start + k, end, perfect))
            end = start + k
        else:
            path.append(subtree_hash(start, start + k, perfect))
            start = start + k
    return path[::-1]


def consistency_proof(first: int, second: int, perfect: Perfect) -> list[bytes]:
    """PROOF(first, D[0:second]): that the tree of `first` leaves is the start of the
    tree of `second` (nothing before `first` was changed, removed or reordered)."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second}")

    def subproof(m: int, start: int, end: int, whole: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if whole else [subtree_hash(start, end, perfect)]
        k = _split(n)
        if m <= k:
            return [*subproof(m, start, start + k, whole), subtree_hash(start + k, end, perfect)]
        return [*subproof(m - k, start + k, end, False), subtree_hash(start, start + k, perfect)]

    return subproof(first, 0, second, True)


def _lsb(n: int) -> int:
    return n & 1


def verify_inclusion(leaf: bytes, index: int, size: int, path: Iterable[bytes], root_hash: bytes):
    """RFC 9162 2.1.3.2: whether `path` proves leaf hash `leaf` at `index` in the tree of
    `size` leaves whose root is `root_hash`."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if _lsb(fn) or fn == sn:
            r = node_hash(p, r)
            if not _lsb(fn):
                while not _lsb(fn) and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root_hash


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: list[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: whether `path` proves the tree of `first` leaves (root
    `first_root`) is the start of the tree of `second` (root `second_root`)."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    if first & (first - 1) == 0:  # a power of two: the first tree is a node of the second
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while _lsb(fn):
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if _lsb(fn) or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not _lsb(fn):
                while not _lsb(fn) and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


def needed(fn: Callable[[Perfect], object]) -> set[tuple[int, int]]:
    """The perfect subtrees `fn(perfect)` reads: its shape depends on sizes, not on
    hashes, so a dry run with placeholders names them all and a table is read once."""
    seen: set[tuple[int, int]] = set()

    def record(level: int, index: int) -> bytes:
        seen.add((level, index))
        return EMPTY

    fn(record)
    return seen


class MemoryTree:
    """A tree held in memory (tests; the migration of the old chain): leaves appended,
    perfect subtrees kept as they complete."""

    def __init__(self):
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.size = 0

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; return the perfect subtrees it completes, (level, index, hash)."""
        index = self.size
        made = [(0, index, leaf)]
        self.nodes[(0, index)] = leaf
        level, current = 0, leaf
        while index & 1:  # a right child completes its parent
            left = self.nodes[(level, index - 1)]
            level, index = level + 1, index >> 1
            current = node_hash(left, current)
            self.nodes[(level, index)] = current
            made.append((level, index, current))
        self.size += 1
        return made

    def perfect(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def root(self, size: int | None = None) -> bytes:
        return root(self.size if size is None else size, self.perfect)
