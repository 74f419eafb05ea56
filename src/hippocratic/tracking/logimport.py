"""Importing Apache/nginx access logs (VIS-12) under the same rules as live
recording: each line becomes a PageRequest and goes through event.build.

Formats: "combined" (`%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`)
and "common" (the same without the last two). A line that fits neither is
counted and reported (the first 20, with line numbers) and the import goes on.
Files may be plain, gzip-compressed, or standard input.

A line dated before 1990 or in the future is malformed. A compressed file that
is corrupt or cut short is reported as broken: what was read before the fault is
kept (committed), and the command exits non-zero.

An import is counted once: the file is known by a hash of its first 64 KiB, and
its progress (lines done) is committed with each batch of page views, so a
second import of the same file adds nothing and a killed one resumes after its
last committed batch.
"""

import datetime as dt
import gzip
import hashlib
import io
import os
import re
import stat
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone

from hippocratic.tracking import event as events
from hippocratic.tracking.domains import is_address, registrable_domain
from hippocratic.tracking.models import LogImport
from hippocratic.tracking.request import PageRequest
from hippocratic.tracking.services import page_views_write, recording_rules, rollup_days

FINGERPRINT_BYTES = 64 * 1024
MAX_REPORTED = 20
BATCH = 5000
EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)  # before the Web, a log line is wrong
# A batch spanning more days than this has its days taken line by line, not as a range.
SPAN_DAYS = 31

# The usual line first (no escaped quotes inside fields); LINE when it fails.
SIMPLE_LINE = re.compile(
    r'(\S+) \S+ \S+ \[([^\]]+)\] "([^"\\]*)" (\d{3}) (?:\d+|-)(?: "([^"\\]*)" "([^"\\]*)")?\s*$'
)
LINE = re.compile(
    r'(?P<host>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<request>(?:[^"\\]|\\.)*)" '
    r"(?P<status>\d{3}) (?:\d+|-)"
    r'(?: "(?P<referrer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)")?\s*$'
)
MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
)}  # fmt: skip
# Not pages: what a browser fetches to show one (live recording knows by Content-Type).
ASSET_SUFFIXES = (
    ".css", ".js", ".mjs", ".map", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp",
    ".avif", ".woff", ".woff2", ".ttf", ".eot", ".otf", ".mp4", ".webm", ".mp3", ".pdf",
    ".zip", ".gz", ".xml", ".json", ".txt",
)  # fmt: skip


class Malformed(ValueError):
    pass


@dataclass
class ImportReport:
    name: str
    lines: int = 0  # lines read in this run
    skipped: int = 0  # lines already imported by an earlier run
    views: int = 0
    dropped: int = 0  # well-formed lines that are not page views (assets, errors …)
    malformed: int = 0
    first_malformed: list[tuple[int, str]] = field(default_factory=list)
    already_done: bool = False
    size: int | None = None  # bytes in the file, where known
    position: int = 0  # bytes of it read so far
    broken: str = ""  # why reading stopped early (a corrupt or truncated .gz), if it did


_offsets: dict[str, dt.timezone] = {}


def parse_time(text: str) -> dt.datetime:
    """`10/Oct/2000:13:55:36 -0700`, without strptime (a million lines)."""
    try:
        day, month, year = int(text[0:2]), MONTHS[text[3:6]], int(text[7:11])
        hour, minute, second = int(text[12:14]), int(text[15:17]), int(text[18:20])
        offset = text[21:26]
        tz = _offsets.get(offset)
        if tz is None:
            sign = -1 if offset[0] == "-" else 1
            delta = dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
            tz = _offsets[offset] = dt.timezone(sign * delta)
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except (KeyError, ValueError, IndexError) as error:
        raise Malformed(f"bad time [{text}]") from error


def parse_line(line: str) -> PageRequest:
    match = SIMPLE_LINE.match(line)
    if match is not None:
        host, time, request, status, referrer, agent = match.groups()
    else:
        match = LINE.match(line)
        if match is None:
            raise Malformed("not in combined or common log format")
        host, time, request, status, referrer, agent = match.group(
            "host", "time", "request", "status", "referrer", "agent"
        )
    parts = request.split(" ")
    if len(parts) != 3 or not parts[1].startswith("/"):
        raise Malformed(f'bad request "{request[:80]}"')
    method, target = parts[0], parts[1]
    path = target.split("?", 1)[0]
    asset = path.lower().endswith(ASSET_SUFFIXES)
    return PageRequest(
        time=parse_time(time),
        method=method,
        path=path,
        status=int(status),
        content_type="application/octet-stream" if asset else "",
        address=host,
        user_agent=agent if agent not in (None, "-") else "",
        referrer=referrer if referrer not in (None, "-") else "",
        host="",
    )


def open_log(path: str) -> tuple[BinaryIO, BinaryIO]:
    """(text stream, raw file) of a log: '-' is standard input; gzip by magic number.
    The raw file's position over its size is the import's progress."""
    raw = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        return io.BufferedReader(gzip.GzipFile(fileobj=buffered)), buffered  # type: ignore[arg-type]
    return buffered, buffered


def _size(raw) -> int | None:
    try:
        status = os.fstat(raw.fileno())
    except (OSError, io.UnsupportedOperation):
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def fingerprint(stream: BinaryIO) -> str:
    """A hash of the first 64 KiB, read without consuming the stream."""
    head = stream.peek(FINGERPRINT_BYTES)
    while len(head) < FINGERPRINT_BYTES:
        more = stream.peek(FINGERPRINT_BYTES)  # peek may return less than asked
        if len(more) <= len(head):
            break
        head = more
    return hashlib.sha256(head[:FINGERPRINT_BYTES]).hexdigest()


# What a corrupt or truncated gzip file raises as it is read.
UNREADABLE = (EOFError, zlib.error, gzip.BadGzipFile)


class Broken(Exception):
    """The file cannot be read further: a corrupt or truncated compressed file."""


def _lines(stream: BinaryIO) -> Iterator[str]:
    try:
        for raw in stream:
            yield raw.decode("utf-8", "replace")
    except UNREADABLE as error:
        raise Broken(str(error) or type(error).__name__) from error


def import_log(
    path: str,
    *,
    resolve_addresses: bool = True,
    batch: int = BATCH,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import one log file ('-' for standard input); see the module docstring."""
    stream, raw = open_log(path)
    report = ImportReport(path, size=_size(raw))
    try:
        return _import(stream, raw, report, recording_rules(), resolve_addresses, batch, progress)
    except UNREADABLE as error:  # before the first line: its first 64 KiB are broken
        report.broken = str(error) or type(error).__name__
        return report
    finally:
        if path != "-":
            stream.close()


def _import(stream, raw, report, rules, resolve_addresses, batch, progress) -> ImportReport:
    if not rules.fields:
        return report
    record, _ = LogImport.objects.get_or_create(
        fingerprint=fingerprint(stream), defaults={"name": report.name[-500:]}
    )
    pending: list[events.PageEvent] = []
    days: set[dt.date] = set()
    number = 0

    def commit():
        with transaction.atomic():
            page_views_write(pending, rules=rules, resolve=resolve_addresses)
            LogImport.objects.filter(pk=record.pk).update(
                lines_done=number, updated_at=timezone.now(),
                views=record.views + report.views, malformed=record.malformed + report.malformed,
            )  # fmt: skip
        if pending:  # every day the batch spans (cheaper than a date per line) …
            times = [e.time for e in pending]
            day, last = timezone.localdate(min(times)), timezone.localdate(max(times))
            if (last - day).days > SPAN_DAYS:  # … unless its lines are far apart
                days.update(timezone.localdate(t) for t in times)
            while day <= last and (last - day).days <= SPAN_DAYS:
                days.add(day)
                day += dt.timedelta(days=1)
        pending.clear()
        report.position = raw.tell() if report.size else 0
        if progress:
            progress(report)

    latest = timezone.now() + dt.timedelta(days=1)
    lines = _lines(stream)
    while True:
        try:
            line = next(lines)
        except StopIteration:
            break
        except Broken as error:
            report.broken = str(error)
            break
        number += 1
        if number <= record.lines_done:
            report.skipped += 1
            continue
        report.lines += 1
        try:
            req = parse_line(line)
            if not EARLIEST <= req.time <= latest:
                raise Malformed(f"time {req.time:%Y-%m-%d} is before 1990 or in the future")
        except Malformed as error:
            report.malformed += 1
            if len(report.first_malformed) < MAX_REPORTED:
                report.first_malformed.append((number, str(error)))
            continue
        built = events.build(req, rules)
        if isinstance(built, events.Drop):
            report.dropped += 1
            continue
        if not is_address(req.address):
            # HostnameLookups on: the log already names the host; no DNS.
            built.isp_domain, built.address = registrable_domain(req.address) or "", ""
        pending.append(built)
        report.views += 1
        if len(pending) >= batch:
            commit()
    if pending or report.lines:
        commit()
    report.already_done = report.lines == 0 and report.skipped > 0
    rollup_days(days)
    return report
