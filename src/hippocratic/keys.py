"""The site's two keys, as files: `hippocratic keys init|rotate|show`.

- The audit signing key (Ed25519, PEM): signs the audit log's tree heads
  (enforcement.audit). Rotating it writes a new key and keeps the old public half in
  `<key>.retired` (one line: the public key in base64 and when it was retired), so
  every head signed before still verifies, and only those.
- The mailbox master key (32 random bytes, URL-safe base64): wraps each customer's
  mailbox key (communications.crypto) and seals what requests to support keep
  (enforcement.sealing). The file holds a key ring, one key a line: the
  first seals, every one opens. Rotating it puts a new key first and keeps the others.

No Django here: settings read these files, and `keys init` runs before the settings
can load (production refuses to start without a mailbox key).
"""

import base64
import datetime as dt
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

USAGE = """usage: hippocratic keys init | rotate audit | rotate mailbox | show

  init             create the audit signing key and the mailbox key (never overwrites)
  rotate audit     a new signing key; the old public key is kept, so old heads verify
  rotate mailbox   a new mailbox key first in the ring; the old keys still open mail
  show             where the keys are and what to back up"""


def home() -> Path:
    return Path(os.environ.get("HIPPOCRATIC_HOME", Path.cwd())).resolve()


def keys_dir() -> Path:
    return home() / "var" / "keys"


def audit_key_path() -> Path:
    """HIPPOCRATIC_AUDIT_KEY, else var/keys/audit-ed25519.pem (or var/audit-ed25519.pem,
    where an older install made it and the new place holds none)."""
    if os.environ.get("HIPPOCRATIC_AUDIT_KEY"):
        return Path(os.environ["HIPPOCRATIC_AUDIT_KEY"]).resolve()
    path, legacy = keys_dir() / "audit-ed25519.pem", home() / "var" / "audit-ed25519.pem"
    return legacy if legacy.exists() and not path.exists() else path


def retired_path(audit_key: Path) -> Path:
    return audit_key.with_name(audit_key.name + ".retired")


def mailbox_key_path() -> Path:
    """HIPPOCRATIC_MAILBOX_KEY_FILE, else var/keys/mailbox.key."""
    configured = os.environ.get("HIPPOCRATIC_MAILBOX_KEY_FILE")
    return Path(configured).resolve() if configured else keys_dir() / "mailbox.key"


def mailbox_ring_from_file(path: Path) -> str:
    """The ring in the file as HIPPOCRATIC_MAILBOX_KEY takes it (keys joined by commas);
    empty where there is no file."""
    try:
        lines = path.read_text().split()
    except FileNotFoundError:
        return ""
    except OSError as error:  # there, but not this user's to read: said, not a traceback
        raise ValueError(f"cannot read the mailbox key file {path}: {error.strerror}") from None
    return ",".join(line for line in lines if not line.startswith("#"))


def new_mailbox_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _private_dir(folder: Path) -> None:
    """Make the folder (0700) where it is missing; an existing one is left as it is
    (`deploy check` says when it is open to others)."""
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True)
        folder.chmod(0o700)  # whatever the umask


def _write_private(path: Path, data: bytes, *, replace: bool = False) -> None:
    """Write a file only this user can read: created 0600, never world-readable for a
    moment; `replace` swaps it in atomically, else an existing file is refused."""
    _private_dir(path.parent)
    target = path.with_name(path.name + ".new") if replace else path
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    fd = os.open(target, flags, 0o600)
    try:
        os.write(fd, data)
        os.fchmod(fd, 0o600)
        os.fsync(fd)
    finally:
        os.close(fd)
    if replace:
        os.replace(target, path)


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def _load_audit_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise Refused(f"{path} is not an Ed25519 private key")
    return key


class Refused(Exception):
    """A key operation refused, with the one line that says why."""


@dataclass
class Made:
    audit: Path
    mailbox: Path | None  # None: HIPPOCRATIC_MAILBOX_KEY is set, no file
    created: list[str]


def init() -> Made:
    """Create whichever of the two keys is missing; an existing key is never touched."""
    audit, mailbox = audit_key_path(), mailbox_key_path()
    created = []
    if not audit.exists():
        _write_private(audit, _pem(Ed25519PrivateKey.generate()))
        created.append(f"created the audit signing key {audit}")
    if os.environ.get("HIPPOCRATIC_MAILBOX_KEY"):
        return Made(audit, None, created)
    if not mailbox.exists():
        _write_private(mailbox, (new_mailbox_key() + "\n").encode())
        created.append(f"created the mailbox key {mailbox}")
    return Made(audit, mailbox, created)


def rotate_audit(now: dt.datetime | None = None) -> tuple[Path, str, str]:
    """A new signing key in place of the old; the old public key goes to `.retired`
    with the time, so heads it signed before then still verify. Returns the key's
    path, the old public key and the new one."""
    path = audit_key_path()
    if not path.exists():
        raise Refused(f"no audit signing key at {path}: run `hippocratic keys init`")
    old = public_b64(_load_audit_key(path))
    when = (now or dt.datetime.now(dt.UTC)).isoformat()
    retired = retired_path(path)
    previous = retired.read_text() if retired.exists() else ""
    _write_private(retired, f"{previous}{old} {when}\n".encode(), replace=True)
    new = Ed25519PrivateKey.generate()
    _write_private(path, _pem(new), replace=True)
    return path, old, public_b64(new)


def rotate_mailbox() -> Path:
    """A new mailbox key first in the ring; the old ones stay, so mail sealed under
    them still opens. Refused where the ring is in the environment, not a file."""
    if os.environ.get("HIPPOCRATIC_MAILBOX_KEY"):
        raise Refused(
            "HIPPOCRATIC_MAILBOX_KEY is set in the environment: rotate it there, the new "
            "key first and the old ones after it, comma-separated "
            f"(a new key: {new_mailbox_key()})"
        )
    path = mailbox_key_path()
    ring = mailbox_ring_from_file(path)
    if not ring:
        raise Refused(f"no mailbox key at {path}: run `hippocratic keys init`")
    lines = [new_mailbox_key(), *ring.split(",")]
    _write_private(path, ("\n".join(lines) + "\n").encode(), replace=True)
    return path


def backup_advice(audit: Path, mailbox: Path | None) -> list[str]:
    retired = retired_path(audit)
    lines = [
        "Back up, outside this machine and apart from the database's backups:",
        f"  {audit}  (the audit signing key; without it no new head is signed)",
    ]
    if retired.exists():
        lines.append(f"  {retired}  (retired public keys: old heads verify against them)")
    if mailbox is not None:
        lines.append(f"  {mailbox}  (the mailbox key ring: losing it loses all stored mail)")
    else:
        lines.append("  HIPPOCRATIC_MAILBOX_KEY, as set in the environment (losing it loses "
                     "all stored mail)")  # fmt: skip
    try:
        public = public_b64(_load_audit_key(audit))
        lines.append(f"A machine that only verifies needs: HIPPOCRATIC_AUDIT_PUBLIC_KEY={public}")
    except (OSError, ValueError, Refused):
        pass
    return lines


def main(argv: list[str]) -> int:
    """`hippocratic keys …`: 0 done, 1 refused, 2 bad usage."""
    out = sys.stdout
    try:
        if argv == ["init"]:
            made = init()
            for line in made.created or ["both keys exist already; nothing was overwritten"]:
                print(line, file=out)
            print("\n".join(backup_advice(made.audit, made.mailbox)), file=out)
            return 0
        if argv == ["rotate", "audit"]:
            path, old, new = rotate_audit()
            print(f"wrote a new audit signing key to {path}", file=out)
            print(f"the old public key {old} is kept in {retired_path(path)}", file=out)
            print(f"HIPPOCRATIC_AUDIT_PUBLIC_KEY={new}  (for machines that only verify; "
                  f"add {old} to their HIPPOCRATIC_AUDIT_OLD_PUBLIC_KEYS, space-separated)",
                  file=out)  # fmt: skip
            print("restart the worker; back up both files again", file=out)
            return 0
        if argv == ["rotate", "mailbox"]:
            path = rotate_mailbox()
            print(f"a new mailbox key is first in {path}; the old ones still open mail", file=out)
            print("restart the web server, the worker and the LMTP server; back the file "
                  "up again", file=out)  # fmt: skip
            return 0
        if argv == ["show"]:
            mailbox = None if os.environ.get("HIPPOCRATIC_MAILBOX_KEY") else mailbox_key_path()
            print("\n".join(backup_advice(audit_key_path(), mailbox)), file=out)
            return 0
    except (Refused, OSError, ValueError) as error:
        print(f"hippocratic keys: {error}", file=sys.stderr)
        return 1
    print(USAGE, file=sys.stderr)
    return 2
