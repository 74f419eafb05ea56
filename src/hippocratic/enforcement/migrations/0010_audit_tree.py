"""The audit log becomes a Merkle tree (RFC 6962). The old chain's hashes stay, as
`chain_hash`, and the chain is verified here before anything changes: a broken chain
stops the upgrade (run `hippocratic audit verify` on the old version to see where).
Its entries keep their numbers and become the tree's first leaves when the sequencer
next runs (the worker, or `hippocratic audit sequence`)."""

import hashlib
import json

from django.db import migrations, models
from django.utils import timezone

OLD_FIELDS = (
    "seq", "at", "actor", "role", "purpose", "action", "subject", "subject_ref",
    "categories", "allowed", "reason", "rule", "promise", "rows", "policy_version",
)  # fmt: skip


def _old_chain_hash(prev: str, values: dict) -> str:
    """The chain's hash as audit.chain_hash computed it (frozen here, as migrations are)."""
    encoded = {}
    for name in OLD_FIELDS:
        value = values.get(name, "")
        if name == "policy_version" and not value:
            continue
        if name == "at":
            value = value.astimezone(timezone.UTC).isoformat(timespec="microseconds")
        encoded[name] = value
    canonical = json.dumps(encoded, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(prev.encode() + b"\n" + canonical).hexdigest()


def verify_old_chain(apps, schema_editor):
    """Check the old chain, keep each link as `chain_hash`, and leave `hash` (now the
    leaf) empty for the sequencer to fill."""
    entry = apps.get_model("enforcement", "AuditEntry")
    alias = schema_editor.connection.alias
    prev, expected = "0" * 64, 1
    rows = entry.objects.using(alias).order_by("seq")
    for row in rows.values(*OLD_FIELDS, "prev_hash", "hash").iterator(chunk_size=5000):
        if row["seq"] != expected or row["prev_hash"] != prev:
            raise RuntimeError(f"the audit chain is broken at entry #{expected}: not upgraded")
        if _old_chain_hash(prev, row) != row["hash"]:
            raise RuntimeError(f"audit entry #{row['seq']} was edited: not upgraded")
        prev, expected = row["hash"], expected + 1
    entry.objects.using(alias).update(chain_hash=models.F("hash"))


def leave_leaves_to_the_sequencer(apps, schema_editor):
    """Every entry waits for its leaf, and the head (the chain's, until now) starts the
    tree at nothing: the sequencer places the old entries first, under their numbers."""
    alias = schema_editor.connection.alias
    apps.get_model("enforcement", "AuditEntry").objects.using(alias).update(hash=None)
    empty_root = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    apps.get_model("enforcement", "AuditHead").objects.using(alias).update(seq=0, hash=empty_root)


class Migration(migrations.Migration):
    dependencies = [("enforcement", "0009_access_cases")]

    operations = [
        migrations.AddField(
            "auditentry", "chain_hash", models.CharField(blank=True, default="", max_length=64)
        ),
        migrations.AlterField(
            "auditentry", "prev_hash", models.CharField(blank=True, max_length=64)
        ),
        migrations.RunPython(verify_old_chain, migrations.RunPython.noop),
        migrations.AlterField(
            "auditentry",
            "hash",
            models.CharField(
                blank=True,
                help_text="The leaf hash, once sequenced",
                max_length=64,
                null=True,
            ),
        ),
        migrations.RunPython(leave_leaves_to_the_sequencer, migrations.RunPython.noop),
        migrations.AlterField("auditentry", "seq", models.BigIntegerField(blank=True, null=True)),
        migrations.AddConstraint(
            "auditentry",
            models.UniqueConstraint(
                condition=models.Q(seq__isnull=False),
                fields=("seq",),
                name="audit_entry_one_place",
            ),
        ),
        migrations.AlterModelOptions(
            "auditentry", options={"ordering": ["id"], "verbose_name_plural": "audit entries"}
        ),
        migrations.AddIndex(
            "auditentry",
            models.Index(
                condition=models.Q(hash__isnull=True), fields=["id"], name="audit_entry_pending"
            ),
        ),
        migrations.CreateModel(
            name="AuditNode",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("level", models.PositiveSmallIntegerField()),
                ("index", models.BigIntegerField()),
                ("hash", models.CharField(max_length=64)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("level", "index"), name="one_audit_node")
                ]
            },
        ),
        migrations.AddField(
            "auditcheckpoint",
            "format",
            models.CharField(
                default="chain/1",
                max_length=20,
                help_text="tree-head/1: a signed tree head; chain/1: the old chain's",
            ),
        ),
    ]
