"""The gate's own exemptions are not doors for the rest of the code: a test reads the
source for every way round it (the schema editor's and flush's passes, the raw database
connection, decided_elsewhere() outside the callers that decide and audit by themselves).
A new one fails here until it is argued for and listed."""

import ast

from tests_paths import REPO

SRC = REPO / "src" / "hippocratic"

# Who may say "decided elsewhere", and why: each decides and audits by itself.
DECIDED_ELSEWHERE = {
    "enforcement/gate.py": "the gate itself",
    "enforcement/gateway.py": "the gateway's own writes, decided and audited there",
    "enforcement/backends/gated.py": "migrations, flush and a test database's copy",
    "enforcement/retention.py": "retention: decided by the policy's periods, audited per model",
    "enforcement/conformance.py": "conformance counts rows the policy does not allow",
    "accounts/own_data.py": "erasure and the subject's view of data held beyond the policy",
    "accounts/services.py": "a replayed inquiry's count: names a digest, a time and a count",
    "accounts/closing.py": "a closing account leaves its organisation: a link, no personal data",
    "communications/mailbox.py": "crypto-erasure of a mailbox, audited by the erasure",
    "disclosure/services.py": "a disclosure's package, decided by approve() and audited",
    "hosted/integrations.py": "an integration's export, decided and audited per customer",
    "messaging/services.py": "an erased customer's queued mail, with the erasure",
    "messaging/inbound/queue.py": "the LMTP queue's row and the worker's pass over it",
}
# The exemptions the backends give Django's own machinery, and the raw connection.
FORBIDDEN_CALLS = {
    "schema_editor": "the schema editor passes every statement (migrations only)",
    "execute_sql_flush": "flush passes every statement",
    "serialize_db_to_string": "a test database's copy passes every statement",
    "deserialize_db_from_string": "a test database's copy passes every statement",
    "copy": "a cursor's COPY is not a statement the guard sees",
}


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path.relative_to(SRC).as_posix(), ast.parse(path.read_text())


def _unlisted_users(modules) -> list[str]:
    """Modules naming decided_elsewhere() that the list does not argue for, and listed
    modules that no longer use it."""
    names = ("decided_elsewhere", "is_decided_elsewhere")
    users = set()
    for name, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.Name | ast.Attribute):
                called = node.id if isinstance(node, ast.Name) else node.attr
                if called in names:
                    users.add(name)
            elif isinstance(node, ast.ImportFrom) and any(  # imported under another name, too
                alias.name in names for alias in node.names
            ):
                users.add(name)
    return sorted(users ^ set(DECIDED_ELSEWHERE))


def test_decided_elsewhere_is_used_only_where_it_is_argued_for():
    assert _unlisted_users(_modules()) == []


def test_the_rule_catches_a_planted_user():
    planted = (
        "from hippocratic.enforcement import decided\nwith decided.decided_elsewhere():\n    pass\n"
    )
    modules = [*_modules(), ("sales/views.py", ast.parse(planted))]
    assert _unlisted_users(modules) == ["sales/views.py"]


def test_no_code_takes_the_gates_exemptions_or_the_raw_connection():
    found = []
    for name, tree in _modules():
        if name.startswith("enforcement/backends/"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_CALLS:
                found.append(f"{name}:{node.lineno} .{node.attr}: {FORBIDDEN_CALLS[node.attr]}")
            if isinstance(node, ast.Attribute) and node.attr in ("connection", "cursor"):
                inner = node.value
                if isinstance(inner, ast.Attribute) and inner.attr == node.attr:
                    found.append(f"{name}:{node.lineno} .{node.attr}.{node.attr}: the raw one")
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                    node.module or ""]  # fmt: skip
                for module in modules:
                    if module.split(".")[0] in ("psycopg", "psycopg2", "sqlite3"):
                        found.append(f"{name}:{node.lineno} imports {module}: the raw driver")
    assert found == []
