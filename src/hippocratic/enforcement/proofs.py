"""Proofs anyone can check: that an entry is in the log (inclusion, against the newest
signed tree head), and that a later head extends an earlier one (consistency).

A proof is plain JSON: the entry's fields and the exact bytes its leaf hashes
(`leaf_data`, ASCII JSON), the path, and the signed head. `check` verifies one with
nothing but this file and the operator's public key: the same steps the data page's
script takes in the browser (site/static/site/audit-proof.js).
"""

import base64
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hippocratic.enforcement import audit, merkle, tree
from hippocratic.enforcement.models import AuditCheckpoint, AuditEntry

MAX_PROOF_BYTES = 64 * 1024  # a proof of a billion entries is under 3 kB


def newest_head() -> AuditCheckpoint | None:
    """The newest signed tree head (by size, then time)."""
    heads = AuditCheckpoint.objects.filter(format=audit.TREE_HEAD)
    return heads.order_by("-seq", "-at").first()


def head_data(head: AuditCheckpoint) -> dict:
    return audit.checkpoint_data(head)


class NotYet(LookupError):
    """The entry has no place yet, or no signed head covers it: ask again later."""


Damaged = tree.Damaged


def inclusion(seq: int) -> dict:
    """The proof that entry `seq` is in the log, against the newest signed head.
    NotYet where the entry is not placed yet or no signed head covers it; Damaged
    where the stored tree cannot make the proof (it was tampered with)."""
    entry = AuditEntry.objects.filter(seq=seq).values(*tree.HASHED_FIELDS, "hash").first()
    if entry is None:
        raise NotYet(f"entry #{seq} has no place in the log yet")
    head = newest_head()
    if head is None or head.seq < seq:
        raise NotYet(f"entry #{seq} is newer than the newest signed head; it is "
                          "covered by the next one")  # fmt: skip
    proof = tree.inclusion(seq, head.seq, leaf=entry.pop("hash"))
    data = tree.canonical(entry).decode("ascii")
    return {
        "entry": json.loads(data),
        "leaf_data": data,
        "leaf_index": seq - 1,
        "tree_size": head.seq,
        "path": [node.hex() for node in proof.path],
        "head": head_data(head),
    }


def consistency(first: int, second: int) -> list[str]:
    return [node.hex() for node in tree.consistency(first, second)]


def check(proof: dict, public: Ed25519PublicKey) -> tuple[bool, str]:
    """Whether `proof` shows its entry in the log signed by `public`, and in words."""
    try:
        head, leaf_data = proof["head"], proof["leaf_data"].encode("ascii")
        index, size = int(proof["leaf_index"]), int(proof["tree_size"])
        path = [bytes.fromhex(node) for node in proof["path"]]
        root = bytes.fromhex(head["hash"])
        signature = base64.b64decode(head["signature"], validate=True)
    except (KeyError, TypeError, ValueError, AttributeError, UnicodeError):
        return False, "not a proof: a field is missing or malformed"
    if json.loads(leaf_data) != proof.get("entry"):
        return False, "the entry shown is not the entry proven"
    if head.get("format") != audit.TREE_HEAD or int(head.get("seq", -1)) != size:
        return False, "the proof is not against a signed tree head of its size"
    try:
        public.verify(signature, audit.statement(head))
    except InvalidSignature:
        return False, "the tree head's signature does not verify with the operator's key"
    if not merkle.verify_inclusion(merkle.leaf_hash(leaf_data), index, size, path, root):
        return False, f"entry #{index + 1} is NOT in the log signed at {head['at']}"
    return True, f"entry #{index + 1} is included in the log signed at {head['at']}"


def public_key_b64() -> str:
    """The operator's public key as the heads and the page give it."""
    public, _ = audit.operator_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()
