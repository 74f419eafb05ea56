"""Importing existing server logs under the same rules (VIS-12)."""

import gzip
import io
import sys

import pytest
from django.core.management import CommandError, call_command
from scan import tables_holding
from tests_paths import use_profile

from hippocratic.enforcement.actors import Actor
from hippocratic.tracking import logimport, services
from hippocratic.tracking.models import DailyStat, LogImport, PageView
from hippocratic.tracking.services import purpose_of

pytestmark = [pytest.mark.django_db, pytest.mark.promise("VIS-12")]
SYSTEM = Actor.system("tests")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def combined(n, host="81.2.69.10", path="/docs/{i}?token=s3cret", day="01/Nov/2026"):
    return "".join(
        f'{host} - - [{day}:10:{i // 60 % 60:02d}:{i % 60:02d} +0100] "GET {path.format(i=i)} '
        f'HTTP/1.1" 200 512 "https://search.example.org/q?who=me" "{FIREFOX}"\n'
        for i in range(n)
    )


def views():
    return list(PageView.objects.for_purpose(SYSTEM, purpose_of("path")).order_by("time"))


def run(*files, **options):
    out = io.StringIO()
    call_command("tracking", "import-log", *map(str, files), "--quiet", stdout=out, **options)
    return out.getvalue()


def test_combined_log_goes_through_the_live_rules(tmp_path, dns_server):
    with use_profile("japoon"):
        log = tmp_path / "access.log"
        log.write_text(
            combined(3)
            + '81.2.69.10 - - [01/Nov/2026:11:00:00 +0100] "GET /logo.png HTTP/1.1" 200 9 "-" "-"\n'
            + '81.2.69.10 - - [01/Nov/2026:11:00:01 +0100] "GET /gone HTTP/1.1" 404 9 "-" "-"\n'
        )
        output = run(log)
        assert "5 lines, 3 page views, 2 not pages, 0 malformed" in output
        first = views()[0]
        assert first.path == "/docs/0" and first.isp_domain == "example-isp.co.uk"
        assert (first.browser_family, first.referrer_domain) == ("Firefox", "example.org")
        assert first.time.isoformat() == "2026-11-01T09:00:00+00:00"
        for never in ("s3cret", "81.2.69.10", "search.example.org", "who=me"):
            assert tables_holding(never) == [], never
        assert DailyStat.objects.get(dimension="total", day="2026-11-01").views == 3


def test_dracon_import_keeps_no_browser_or_referrer(tmp_path, dns_server):
    with use_profile("dracon"):
        log = tmp_path / "access.log"
        log.write_text(combined(2))
        run(log)
        assert {(v.browser_family, v.os_family, v.referrer_domain) for v in views()} == {
            ("", "", "")
        }
        assert tables_holding("Firefox") == [] and tables_holding("example.org") == []


def test_host_names_are_cut_without_dns(tmp_path, dns_server):
    with use_profile("isp"):
        log = tmp_path / "access.log"
        log.write_text(combined(2, host="cpe-1-2-3.broadband.example.com.au"))
        run(log)
        assert {v.isp_domain for v in views()} == {"example.com.au"}
        assert dns_server.queries == []
        assert tables_holding("cpe-1-2-3") == []


def test_common_format_gzip_and_stdin(tmp_path, dns_server, monkeypatch):
    with use_profile("isp"):
        common = '81.2.70.7 - frank [02/Nov/2026:13:55:36 -0700] "GET /a.html HTTP/1.0" 200 2326\n'
        gz = tmp_path / "access.log.gz"
        gz.write_bytes(gzip.compress(common.encode()))
        run(gz)
        assert [v.isp_domain for v in views()] == ["example.net"]
        assert tables_holding("frank") == []
        stdin = io.TextIOWrapper(io.BytesIO(combined(2).encode()))
        monkeypatch.setattr(sys, "stdin", stdin)
        run("-")
        assert len(views()) == 3


def test_malformed_lines_are_counted_and_the_first_20_reported(tmp_path, dns_server):
    with use_profile("isp"):
        good = combined(1).splitlines()[0]
        lines = [good] + ["this is not a log line"] * 25 + [
            good.replace("01/Nov/2026", "99/Foo/2026"), good.replace('"GET /docs', '"GET docs')
        ] + [good]  # fmt: skip
        log = tmp_path / "access.log"
        log.write_text("\n".join(lines) + "\n")
        output = run(log)
        assert "29 lines, 2 page views, 0 not pages, 27 malformed" in output
        assert "  line 2: not in combined or common log format" in output
        assert "  line 21: not in combined" in output and "line 22:" not in output
        assert "… and 7 more" in output
        assert len(views()) == 2


def test_importing_twice_counts_once(tmp_path, dns_server):
    with use_profile("isp"):
        log = tmp_path / "access.log"
        log.write_text(combined(50))
        run(log)
        assert "already imported (50 lines), nothing added" in run(log)
        assert len(views()) == 50
        with open(log, "a") as more:  # a log that grew: only the new lines
            more.write(combined(5, day="02/Nov/2026"))
        assert "resumed after line 50" in run(log)
        assert len(views()) == 55


def test_a_killed_import_resumes_without_double_counting(tmp_path, dns_server, monkeypatch):
    with use_profile("isp"):
        log = tmp_path / "access.log"
        log.write_text(combined(100))
        real_write, calls = services.page_views_write, []

        def dies_on_third_batch(events, **kwargs):
            calls.append(len(events))
            if len(calls) == 3:
                raise KeyboardInterrupt  # the import is killed mid-batch
            return real_write(events, **kwargs)

        monkeypatch.setattr(logimport, "page_views_write", dies_on_third_batch)
        with pytest.raises(KeyboardInterrupt):
            run(log, batch=20)
        assert len(views()) == 40 and LogImport.objects.get().lines_done == 40
        monkeypatch.setattr(logimport, "page_views_write", real_write)
        assert "60 lines, resumed after line 40, 60 page views" in run(log, batch=20)
        assert len(views()) == 100
        assert len({v.path for v in views()}) == 100


def test_a_missing_file_is_a_clear_error(tmp_path, dns_server):
    from django.core.management.base import CommandError

    with use_profile("isp"), pytest.raises(CommandError, match="No such file"):
        run(tmp_path / "nope.log")


def test_rollup_of_imported_days_uses_the_same_dimensions(tmp_path, dns_server):
    with use_profile("dracon"):
        log = tmp_path / "access.log"
        log.write_text(combined(2))
        run(log)
        dims = set(DailyStat.objects.values_list("dimension", flat=True))
        assert dims == {"total", "page", "isp_domain"}


def test_lines_far_apart_recount_only_their_own_days(tmp_path, dns_server, monkeypatch):
    """A line in year 1000 is malformed; lines years apart recount two days, not every day
    between them."""
    counted = []
    real = logimport.rollup_days
    monkeypatch.setattr(logimport, "rollup_days", lambda days: counted.extend(days) or real(days))
    with use_profile("japoon"):
        log = tmp_path / "far.log"
        log.write_text(
            combined(1, day="01/Nov/1000") + combined(1, day="01/Nov/1999")
            + combined(1, day="01/Nov/2026") + combined(1, day="01/Nov/2999")
        )  # fmt: skip
        output = run(log, no_dns=True)
    assert "4 lines, 2 page views, 0 not pages, 2 malformed" in output
    assert "line 1: time 1000-11-01 is before 1990 or in the future" in output
    assert "line 4: time 2999-11-01 is before 1990 or in the future" in output
    assert sorted(str(d) for d in counted) == ["1999-11-01", "2026-11-01"]


def test_a_truncated_gzip_keeps_what_was_read_and_fails(tmp_path, dns_server):
    with use_profile("japoon"):
        whole = gzip.compress(combined(3000).encode())
        cut = tmp_path / "cut.log.gz"
        cut.write_bytes(whole[: len(whole) * 2 // 3])
        with pytest.raises(CommandError, match=r"cut.log.gz: the file is broken after line \d+"):
            run(cut, no_dns=True, batch=500)
        kept = len(views())
        assert 500 <= kept < 3000
        corrupt = tmp_path / "corrupt.log.gz"
        corrupt.write_bytes(whole[:20] + b"\x00" * 200 + whole[220:])
        with pytest.raises(CommandError, match=r"corrupt\.log\.gz: the file is broken"):
            run(corrupt, no_dns=True)
        assert len(views()) == kept


def test_worker_processes_import_exactly_what_one_process_does(tmp_path, dns_server, monkeypatch):
    """A large file is parsed by worker processes reading their own spans; the page views,
    counts and malformed lines are the same as the line-by-line import's."""
    from hippocratic.enforcement.gateway import decided_elsewhere

    monkeypatch.setattr(logimport, "SPAN_BYTES", 4096)  # many spans from a small file
    log = tmp_path / "access.log"
    log.write_text(combined(600) + "not a log line\n" + combined(600, path="/b/{i}"))

    def imported(workers):
        report = logimport.import_log(str(log), resolve_addresses=False, workers=workers)
        rows = sorted((v.time, v.path, v.referrer_domain, v.browser_family) for v in views())
        with decided_elsewhere():
            PageView.internal.all().delete()
        LogImport.objects.all().delete()
        counts = (report.lines, report.views, report.dropped, report.malformed)
        return rows, counts, report.first_malformed

    with use_profile("japoon"):
        alone, parallel = imported(1), imported(2)
    assert alone == parallel
    assert alone[1] == (1201, 1200, 0, 1) and alone[2] == [
        (601, "not in combined or common log format")
    ]


def test_days_rolled_up_together_are_counted_as_each_alone(tmp_path, dns_server, monkeypatch):
    """A year-long log's days are recounted a month at a time, from one audited read of
    their page views (or, for more views than that should hold, one audited GROUP BY of
    each count): the same stats as recounting each day on its own."""
    from hippocratic.enforcement.models import AuditEntry

    with use_profile("japoon"):
        log = tmp_path / "months.log"
        log.write_text("".join(
            combined(3 + d % 4, host=f"81.2.69.{d % 5 + 1}", path=f"/p{d % 3}/{{i}}",
                     day=f"{d + 1:02d}/{month}/2025")
            for month in ("Jan", "Feb") for d in range(28)
        ) + combined(2, host="crawl.example.com", day="03/Feb/2025").replace(
            FIREFOX, "Googlebot/2.1 (+http://www.google.com/bot.html)"
        ))  # fmt: skip
        run(log, no_dns=True)

        def stats():
            return sorted(DailyStat.objects.values_list(
                "day", "dimension", "value", "views", "visitors"
            ))  # fmt: skip

        together = stats()
        days = sorted({row[0] for row in together})
        assert len(days) == 56
        reads = AuditEntry.objects.filter(actor=services.ROLLUP.label, action="read")
        before = reads.count()
        assert services.rollup_days(days) == len(together)
        assert reads.count() - before == 2 * 2  # two spans of a month: a count and a read
        assert stats() == together
        monkeypatch.setattr(services, "ROLLUP_READ_ROWS", 0)  # the database counts
        before = reads.count()
        assert services.rollup_days(days) == len(together)
        counts = 2 + len(
            services.recording_rules().fields
            & {"isp_domain", "referrer_domain", "browser_family", "os_family"}
        )
        assert reads.count() - before == 2 * (1 + counts)
        assert stats() == together
        DailyStat.objects.all().delete()
        for day in days:
            services.rollup_day(day)
        assert stats() == together
        day = {(dim, value): (n, u) for d, dim, value, n, u in together if str(d) == "2025-02-03"}
        assert day[("total", "")] == (5, 1) and day[("bots", "")] == (2, None)
        assert day[("page", "/p2/4")] == (1, 1) and day[("browser_family", "Firefox")] == (5, 1)


def test_the_quick_reading_of_a_line_agrees_with_the_long_one(monkeypatch):
    """Usual lines are taken apart by one match; every line gives the same page view,
    drop or malformed report as the long way's (the quick one is switched off)."""
    import datetime as dt

    from django.utils import timezone

    ua = f'"-" "{FIREFOX}"'
    lines = [
        *combined(3, path="/a/{i}?q=1&r=2").splitlines(keepends=True),
        f'81.2.69.1 - - [01/Nov/2026:10:00:00 -0530] "HEAD /x HTTP/1.0" 200 - {ua}\n',
        '81.2.69.1 - - [01/Nov/2026:10:00:00 +0000] "GET /common HTTP/1.1" 200 7\n',
        f'2001:db8::1 - - [01/Nov/2026:10:00:00 +0000] "GET /six HTTP/1.1" 200 7 {ua}\n',
        f'dsl-1.pool.example.co.uk - - [01/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 7 {ua}\n',
        '81.2.69.1 - - [01/Nov/2026:10:00:00 +0000] "GET /q HTTP/1.1" 200 7 "-" "say \\"hi\\""\n',
        f'81.2.69.1 - - [01/Nov/2026:10:00:00 +0000] "GET /s.css HTTP/1.1" 200 7 {ua}\n',
        f'81.2.69.1 - - [01/Nov/2026:10:00:00 +0000] "POST /form HTTP/1.1" 200 7 {ua}\n',
        f'81.2.69.1 - - [01/Nov/2026:10:00:00 +0000] "GET /gone HTTP/1.1" 404 7 {ua}\n',
        f'81.2.69.1 - - [01/Nov/2026:10:00:00 +0000] "GET /static/a HTTP/1.1" 200 7 {ua}\n',
        f'81.2.69.1 - - [01/Nov/2026:10:00:00 +0000] " /no-method HTTP/1.1" 200 7 {ua}\n',
        f'81.2.69.1 - - [01/Nov/2026:10:00:00 +0000] "GET  /two-spaces HTTP/1.1" 200 7 {ua}\n',
        f'81.2.69.1 - - [01/Nov/2026:10:00:00 +0000] "GET /no-protocol " 200 7 {ua}\n',
        f'81.2.69.1 - - [01/Nov/2026:10:00:00 +0000] "GET nopath HTTP/1.1" 200 7 {ua}\n',
        f'81.2.69.1 - - [01/Foo/2026:10:00:00 +0000] "GET /bad-month HTTP/1.1" 200 7 {ua}\n',
        f'81.2.69.1 - - [01/nov/2026:10:00:00 +0000] "GET /small-month HTTP/1.1" 200 7 {ua}\n',
        f'81.2.69.1 - - [01/Nov/2026:24:00:00 +0000] "GET /hour-24 HTTP/1.1" 200 7 {ua}\n',
        f'81.2.69.1 - - [31/Nov/2026:10:00:00 +0000] "GET /no-such-day HTTP/1.1" 200 7 {ua}\n',
        f'81.2.69.1 - - [01/Nov/2026:10:00:60 +0000] "GET /leap HTTP/1.1" 200 7 {ua}\n',
        f'81.2.69.1 - - [01/Nov/1989:10:00:00 +0000] "GET /old HTTP/1.1" 200 7 {ua}\n',
        f'81.2.69.1 - - [01/Nov/2999:10:00:00 +0000] "GET /future HTTP/1.1" 200 7 {ua}\n',
        f'81.2.69.1 - - [01/Nov/2026:10:00:00 +0000 x] "GET /odd-time HTTP/1.1" 200 7 {ua}\n',
        '81.2.69.1 - - [01/Nov/2026:10:00:00 +0000] "GET /cut HTTP/1.1" 200 7 "-" "Moz\n',
        "not a log line\n",
    ]
    latest = timezone.now() + dt.timedelta(days=1)
    with use_profile("japoon"):
        rules = services.recording_rules()
        quick = logimport.parse_chunk(1, lines, rules, latest)
        monkeypatch.setattr(logimport, "FAST_LINE", logimport.re.compile(r"(?!)"))
        slow = logimport.parse_chunk(1, lines, rules, latest)
    assert quick == slow
    paths = {view[1] for view in quick.views}
    assert paths == {"/a/0", "/a/1", "/a/2", "/x", "/common", "/six", "/", "/q", "/no-protocol",
                     "/odd-time"}  # fmt: skip
    assert quick.dropped == 5 and len(quick.malformed) == 11
