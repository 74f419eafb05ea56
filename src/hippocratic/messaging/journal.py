"""A sending worker's own record of each message it hands to the mail server, kept
outside the database so that it costs a write() a message, not a commit.

For each chunk of a campaign's deliveries, before they are marked "sending", the worker
opens a file of its own (var/mail-journal/<worker>/<campaign>-<audience>-<first>.log)
and writes `S <Message-ID>` before it hands a message over, then `A` once the server
accepted it (250), `T` or `P` when it refused it for now or for good. Once the chunk's
answers are in the database the file is deleted. A process killed with -9 loses nothing
it wrote (the kernel holds it); a machine that restarted may have lost the tail, so each
file names the host and the boot it was written in.

`read` gives, for a dead worker's files of one campaign, what the server accepted or
refused and which messages were started, and whether the files can be trusted to list
every start (same host, same boot): then a message never started is safe to send again.
"""

import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

HOST = socket.gethostname()[:150]


def boot_id() -> str:
    """This machine's current boot."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def folder(worker_id: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", worker_id)[:80] or "_"
    return Path(settings.VAR_DIR) / "mail-journal" / safe


class Chunk:
    """One chunk's journal file, written as the chunk goes."""

    def __init__(self, worker_id: str, campaign_id: int, audience: str, first: int):
        directory = folder(worker_id)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = directory / f"{campaign_id}-{audience or 'c'}-{first}.log"
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        os.write(self.fd, f"host {HOST} boot {boot_id()}\n".encode())

    def note(self, mark: str, message_id: str) -> None:
        os.write(self.fd, f"{mark} {message_id}\n".encode())

    def done(self) -> None:
        """The chunk's answers are in the database: the file has served."""
        os.close(self.fd)
        self.path.unlink(missing_ok=True)


@dataclass
class Record:
    accepted: set = field(default_factory=set)
    deferred: set = field(default_factory=set)  # refused for now (4xx)
    refused: set = field(default_factory=set)  # refused for good (5xx)
    started: set = field(default_factory=set)
    complete: bool = False  # every start is listed: files of this host and boot
    files: list = field(default_factory=list)


def read(worker_id: str, campaign_id: int) -> Record:
    record = Record()
    files = sorted(folder(worker_id).glob(f"{campaign_id}-*.log"))
    record.files = files
    here = f"host {HOST} boot {boot_id()}"
    complete = bool(files)
    marks = {"A": record.accepted, "T": record.deferred, "P": record.refused,
             "S": record.started}  # fmt: skip
    for path in files:
        lines = path.read_text(errors="replace").splitlines()
        complete = complete and bool(lines) and lines[0] == here
        for line in lines[1:]:
            mark, _, message_id = line.partition(" ")
            if mark in marks and message_id:
                marks[mark].add(message_id)
    record.complete = complete
    return record


def forget(record: Record) -> None:
    for path in record.files:
        path.unlink(missing_ok=True)
    try:
        if record.files:
            record.files[0].parent.rmdir()
    except OSError:  # not empty: another campaign's chunk is there
        pass
