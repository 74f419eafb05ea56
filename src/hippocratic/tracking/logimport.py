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

import collections
import dataclasses
import datetime as dt
import gzip
import hashlib
import io
import multiprocessing
import operator
import os
import re
import stat
import sys
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone

from hippocratic.tracking import event as events
from hippocratic.tracking import visitors
from hippocratic.tracking.domains import is_address, registrable_domain
from hippocratic.tracking.models import LogImport
from hippocratic.tracking.request import PageRequest
from hippocratic.tracking.services import (
    ROLLUP_SPAN_DAYS,
    page_views_write,
    recording_rules,
    rollup_days,
)
from hippocratic.tracking.workers import setup as workers_setup

FINGERPRINT_BYTES = 64 * 1024
MAX_REPORTED = 20
BATCH = 5000
CHUNK = 2000  # lines parsed at a time in this process
SPAN_BYTES = 1024 * 1024  # bytes of whole lines a worker process parses at a time
# A file larger than this is parsed by worker processes, one per core, while this one
# writes; a small one here (starting workers costs about a second).
PARALLEL_BYTES = 32 * 1024 * 1024
EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)  # before the Web, a log line is wrong
# A batch spanning more days than this has its days taken line by line, not as a range.
SPAN_DAYS = 31
# A day this long before the newest batch's first line is rolled up during the import.
SETTLED_AFTER = dt.timedelta(days=2)

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
_times: dict[str, dt.datetime] = {}  # lines come in bursts within the same second


def parse_time(text: str) -> dt.datetime:
    """`10/Oct/2000:13:55:36 -0700`, without strptime (a million lines)."""
    parsed = _times.get(text)
    if parsed is None:
        if len(_times) > 50_000:
            _times.clear()
        parsed = _times[text] = _parse_time(text)
    return parsed


_dates: dict[str, tuple[int, int, int, dt.timezone]] = {}  # one a day: a log's days are few


def _parse_time(text: str) -> dt.datetime:
    try:
        key = text[0:12] + text[20:]  # `10/Oct/2000: -0700`: all but the time of day
        date = _dates.get(key)
        if date is None:
            date = _dates[key] = _parse_date(text)
        hour, minute, second = int(text[12:14]), int(text[15:17]), int(text[18:20])
        return dt.datetime(date[0], date[1], date[2], hour, minute, second, tzinfo=date[3])
    except (KeyError, ValueError, IndexError) as error:
        raise Malformed(f"bad time [{text}]") from error


def _parse_date(text: str) -> tuple[int, int, int, dt.timezone]:
    if len(_dates) > 10_000:
        _dates.clear()
    day, month, year = int(text[0:2]), MONTHS[text[3:6]], int(text[7:11])
    offset = text[21:26]
    tz = _offsets.get(offset)
    if tz is None:
        sign = -1 if offset[0] == "-" else 1
        delta = dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        tz = _offsets[offset] = dt.timezone(sign * delta)
    return year, month, day, tz


# What an asset's response would have said; live recording reads the real header.
ASSET_TYPE = "application/octet-stream"


def split_line(line: str) -> tuple[str, str, str, str, int, str | None, str | None]:
    """(host, time text, method, path without its query, status, referrer, agent)."""
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
    return host, time, parts[0], parts[1].split("?", 1)[0], int(status), referrer, agent


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
    workers: int | None = None,
) -> ImportReport:
    """Import one log file ('-' for standard input); see the module docstring.
    `workers`: processes parsing lines (default: one per core for a large file)."""
    stream, raw = open_log(path)
    report = ImportReport(path, size=_size(raw))
    if workers is None:
        large = (report.size or 0) >= PARALLEL_BYTES
        workers = min(os.cpu_count() or 1, 4) if large else 1
    try:
        return _import(
            stream, raw, report, recording_rules(), resolve_addresses, batch, progress, workers
        )
    except UNREADABLE as error:  # before the first line: its first 64 KiB are broken
        report.broken = str(error) or type(error).__name__
        return report
    finally:
        if path != "-":
            stream.close()


EVENT_FIELDS = operator.attrgetter(*(f.name for f in dataclasses.fields(events.PageEvent)))


@dataclass
class Parsed:
    """What one chunk of lines makes: page views (each with the user agent its digest
    is made from, in the main process), and what was left out."""

    last_number: int
    # (PageEvent fields in order, user agent): plain tuples cross processes cheaply.
    views: list[tuple] = field(default_factory=list)
    dropped: int = 0
    malformed: list[tuple[int, str]] = field(default_factory=list)


def _fields(line: str, latest: dt.datetime) -> tuple:
    """(host, time, method, path, status, referrer, agent) of any line the formats take,
    or Malformed saying why not: the long way, for what FAST_LINE does not take."""
    host, time_text, method, path, status, referrer, agent = split_line(line)
    time = parse_time(time_text)
    if not EARLIEST <= time <= latest:
        raise Malformed(f"time {time:%Y-%m-%d} is before 1990 or in the future")
    return host, time, method, path, status, referrer, agent


# The usual line taken apart in one match: the time in its parts, and the request's
# method, path (its query left out) and protocol, none empty. Whatever it does not take,
# or takes but cannot make a time of, goes the long way (_fields), which says why.
FAST_LINE = re.compile(
    r"(\S+) \S+ \S+ \[(\d\d/[A-Z][a-z][a-z]/\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d{4})\] "
    r'"([^ "\\]+) (/[^ ?"\\]*)[^ "\\]* [^ "\\]+" (\d{3}) (?:\d+|-)'
    r'(?: "([^"\\]*)" "([^"\\]*)")?\s*$'
)
_days: dict[str, tuple[int, int, int, dt.timezone]] = {}  # `10/Oct/2000-0700`: its date


def _day(text: str) -> tuple[int, int, int, dt.timezone]:
    if len(_days) > 10_000:
        _days.clear()
    date = _days[text] = _parse_date(f"{text[:11]}:00:00:00 {text[11:]}")
    return date


def parse_chunk(first_number: int, lines: list[str], rules, latest: dt.datetime) -> Parsed:
    """Lines `first_number`… through the live pipeline, with no database: the same in
    this process or a worker's. Digests are left to the caller (they need the salt)."""
    rules = dataclasses.replace(rules, digests=False)
    parsed = Parsed(first_number + len(lines) - 1)
    fast, days, datetime, earliest = FAST_LINE.match, _days, dt.datetime, EARLIEST
    for number, line in enumerate(lines, first_number):
        match = fast(line)
        try:
            if match is None:
                raise ValueError
            host, day, hour, minute, second, zone, method, path, status, referrer, agent = (
                match.groups()
            )
            year, month, date, tz = days.get(day + zone) or _day(day + zone)
            time = datetime(year, month, date, int(hour), int(minute), int(second), tzinfo=tz)
            if not earliest <= time <= latest:
                raise ValueError
            status = int(status)
        except (ValueError, KeyError):
            try:
                host, time, method, path, status, referrer, agent = _fields(line, latest)
            except Malformed as error:
                parsed.malformed.append((number, str(error)))
                continue
        content_type = ASSET_TYPE if path.lower().endswith(ASSET_SUFFIXES) else ""
        if not events.is_page_hit(method, status, content_type):
            # Most lines of a log are assets and errors: the pipeline's first rules, asked
            # before a request is built for them.
            parsed.dropped += 1
            continue
        user_agent = agent if agent not in (None, "-") else ""
        req = PageRequest(
            time=time, method=method, path=path, status=status, content_type=content_type,
            address=host, user_agent=user_agent,
            referrer=referrer if referrer not in (None, "-") else "", host="",
        )  # fmt: skip
        built = events.build(req, rules)
        if isinstance(built, events.Drop):
            parsed.dropped += 1
            continue
        if not is_address(host):
            # HostnameLookups on: the log already names the host; no DNS.
            built.isp_domain, built.address = registrable_domain(host) or "", ""
        parsed.views.append((*EVENT_FIELDS(built), user_agent))
    return parsed


def parse_span(path: str, offset: int, length: int, first_number: int, rules, latest):
    """parse_chunk for the lines in bytes `offset`… of a plain file, read by the worker
    itself: the main process sends where they are, not the lines."""
    with open(path, "rb") as file:
        file.seek(offset)
        text = file.read(length).decode("utf-8", "replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return parse_chunk(first_number, lines, rules, latest)


def _spans(stream, record, report) -> Iterator[tuple[int, int, int]]:
    """(first line number, offset, length) of what is left of a plain file, in spans of
    whole lines; the lines already imported are skipped here."""
    number = 0
    while number < record.lines_done and stream.readline():
        number += 1
        report.skipped += 1
    offset, carry = stream.tell(), b""
    while block := stream.read(SPAN_BYTES):
        block = carry + block
        end = block.rfind(b"\n") + 1
        if end == 0:
            carry = block
            continue
        yield number + 1, offset, end
        number += block.count(b"\n", 0, end)
        offset, carry = offset + end, block[end:]
    if carry:
        yield number + 1, offset, len(carry)


def _chunks(stream, record, report, size: int) -> Iterator[tuple[int, list[str]]]:
    """(first line number, lines) of what is left to import, `size` lines at a time."""
    chunk, first, number = [], 0, 0
    for line in _lines(stream):
        number += 1
        if number <= record.lines_done:
            report.skipped += 1
            continue
        if not chunk:
            first = number
        chunk.append(line)
        if len(chunk) >= size:
            yield first, chunk
            chunk = []
    if chunk:
        yield first, chunk


def _parsed_in_order(path, stream, plain, record, report, rules, latest, batch, workers):
    """Each part of the file parsed, in file order: here, line by line (a batch is
    written as soon as its chunks are parsed: chunks never span two batches), or, for a
    large plain file, by `workers` processes that read their spans themselves while
    this one writes."""
    if workers <= 1 or path == "-" or not plain:
        for first, lines in _chunks(stream, record, report, min(CHUNK, batch)):
            yield parse_chunk(first, lines, rules, latest)
        return
    context = multiprocessing.get_context("spawn")  # no inherited database connection
    with ProcessPoolExecutor(workers, mp_context=context, initializer=workers_setup) as pool:
        in_flight: collections.deque = collections.deque()
        for first, offset, length in _spans(stream, record, report):
            in_flight.append(pool.submit(parse_span, path, offset, length, first, rules, latest))
            if len(in_flight) >= workers * 3:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()


def _import(stream, raw, report, rules, resolve_addresses, batch, progress, workers):
    if not rules.fields:
        return report
    record, _ = LogImport.objects.get_or_create(
        fingerprint=fingerprint(stream), defaults={"name": report.name[-500:]}
    )
    pending: list[events.PageEvent] = []
    days: set[dt.date] = set()  # days of the page views written, still to roll up
    settled: set[dt.date] = set()  # those of them well before the newest batch
    number = record.lines_done

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
            # Days well before this batch's are likely done: rolled up during the import,
            # while the workers parse on, not all at the end (a year-long log has 400 of
            # them), a month of them at a time (one read of each count for all). A later
            # line of such a day adds it again, and it is rolled up again.
            before = timezone.localdate(min(times)) - SETTLED_AFTER
            done = {d for d in days if d < before}
            days.difference_update(done)
            settled.update(done)
            if settled and (max(settled) - min(settled)).days + 1 >= ROLLUP_SPAN_DAYS:
                rollup_days(settled)
                settled.clear()
        pending.clear()
        report.position = raw.tell() if report.size else 0
        if progress:
            progress(report)

    latest = timezone.now() + dt.timedelta(days=1)
    try:
        parts = _parsed_in_order(
            report.name, stream, stream is raw, record, report, rules, latest, batch, workers
        )
        for parsed in parts:
            report.lines += parsed.last_number - number
            number = parsed.last_number
            report.dropped += parsed.dropped
            report.malformed += len(parsed.malformed)
            room = MAX_REPORTED - len(report.first_malformed)
            report.first_malformed += parsed.malformed[: max(room, 0)]
            for *fields, user_agent in parsed.views:
                event = events.PageEvent(*fields)
                if rules.digests and not event.is_bot:
                    event.visitor_digest = visitors.digest(
                        day=event.time.date(), address=event.address, user_agent=user_agent,
                        site="",
                    )  # fmt: skip
                pending.append(event)
            report.views += len(parsed.views)
            if len(pending) >= batch:
                commit()
    except Broken as error:
        report.broken = str(error)
    if pending or report.lines:
        commit()
    report.already_done = report.lines == 0 and report.skipped > 0
    rollup_days(days | settled)
    return report
