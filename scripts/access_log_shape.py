"""An access log with the shape of a real public Apache log (a small personal site's,
as published for log-analysis examples): most requests are for images, stylesheets,
scripts and fonts; about a sixth are crawlers and feed readers; referrers include long
search-engine URLs; some lines are HTTP/1.0, some 404s and 304s, a few cut short. The
lines are generated with that mix (seeded, so every run is the same), not copied: about
54% assets, 14% crawlers and feed readers, 92% 2xx, and by default about 1,750 addresses
per 10,000 lines, as in the real log.

`year_log` spreads a few days of lines over a year or more, as the issue's measurement
did with the real log: the same lines again and again, each copy moved some days later.
"""

import datetime as dt
import random
import re
from pathlib import Path

BROWSERS = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/32.0.1700.77 Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:26.0) Gecko/20100101 Firefox/26.0",
    "Mozilla/5.0 (Windows NT 6.2; WOW64; rv:28.0) Gecko/20100101 Firefox/28.0",
    "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; WOW64; Trident/6.0)",
    "Mozilla/5.0 (Linux; U; Android 4.0.4; en-us; LG-MS770 Build/IMM76I) AppleWebKit/534.30 "
    "(KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 6_0 like Mac OS X) AppleWebKit/536.26 (KHTML, like "
    "Gecko) Version/6.0 Mobile/10A5376e Safari/8536.25",
]
CRAWLERS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Mozilla/5.0 (compatible; archive.org_bot +http://www.archive.org/details/archive.org_bot)",
    "UniversalFeedParser/4.2-pre-314-svn +http://feedparser.org/",
    "Tiny Tiny RSS/1.11 (http://tt-rss.org/)",
    "-",
]
ASSETS = [
    "/reset.css", "/style2.css", "/favicon.ico", "/images/jordan-80.png",
    "/images/web/2009/banner.png", "/presentations/{s}/images/{w}-{n}.png",
    "/presentations/{s}/plugin/{w}/{w}.js", "/presentations/{s}/css/fonts/Roboto-{w}.ttf",
]  # fmt: skip
PAGES = [
    "/", "/blog/geekery/{w}-{n}.html", "/blog/tags/{w}", "/blog/tags/{w}?flav=rss20",
    "/projects/{w}/", "/articles/{w}-{n}/", "/presentations/{s}/", "/doc/{w}/{n}.html",
]  # fmt: skip
WORDS = [
    "xdotool", "puppet", "ipv6", "logstash", "munin", "firefox", "release", "web", "c",
    "projects", "defcon", "examples", "xvfb", "soekris-gpio", "eventdb", "dynamic-dns",
    "kibana", "grok", "jls", "fex", "redis", "nagios",
]  # fmt: skip


def generate(
    path: Path, distinct: int, repeat: int = 1, seed: int = 1, *,
    start: dt.datetime = dt.datetime(2026, 10, 1, tzinfo=dt.UTC), seconds_apart: float = 1.0,
    addresses: int = 20_000,
) -> None:  # fmt: skip
    """`distinct` lines of that shape, `seconds_apart` apart on average from `start`,
    from `addresses` visitors, written `repeat` times over."""
    path.write_text("".join(shape_lines(distinct, seed, start, seconds_apart, addresses)) * repeat)


def shape_lines(
    distinct: int, seed: int = 1,
    start: dt.datetime = dt.datetime(2026, 10, 1, tzinfo=dt.UTC), seconds_apart: float = 1.0,
    addresses: int = 20_000,
) -> list[str]:  # fmt: skip
    rng = random.Random(seed)
    t = start
    visitors = [
        ".".join(str(rng.randint(1, 223 if i == 0 else 254)) for i in range(4))
        for _ in range(addresses)
    ]
    lines = []
    for _ in range(distinct):
        t += dt.timedelta(seconds=rng.random() * 2 * seconds_apart)
        w, n = rng.choice(WORDS), rng.randint(1, 400)
        s = f"{rng.choice(WORDS)}-{rng.randint(2010, 2016)}"
        roll = rng.random()
        if roll < 0.54:
            target, agent = rng.choice(ASSETS), rng.choice(BROWSERS)
        elif roll < 0.68:
            target, agent = rng.choice(PAGES), rng.choice(CRAWLERS)
        else:
            target, agent = rng.choice(PAGES), rng.choice(BROWSERS)
        status = rng.choices((200, 404, 304), (92, 5, 3))[0]
        referrer = rng.choice([
            "-", "-", f"http://www.semicomplete.com/blog/tags/{w}",
            f"http://www.google.com/url?sa=t&rct=j&q=&esrc=s&source=web&cd={n}"
            f"&url=http%3A%2F%2Fwww.semicomplete.com%2F{w}%2F&ei=6cwAU_bRHo6urAeI0YD4Ag",
        ])  # fmt: skip
        protocol = "HTTP/1.0" if rng.random() < 0.1 else "HTTP/1.1"
        line = (
            f"{rng.choice(visitors)} - - [{t:%d/%b/%Y:%H:%M:%S} +0000] "
            f'"GET {target.format(w=w, n=n, s=s)} {protocol}" {status} '
            f'{rng.randint(200, 400_000)} "{referrer}" "{agent}"\n'
        )
        if rng.random() < 0.005:
            line = line[: rng.randint(10, len(line) - 2)] + "\n"  # cut short
        lines.append(line)
    return lines


TIME = re.compile(r"\[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d) ([+-]\d{4})\]")


def year_log(path: Path, lines: list[str], copies: int = 100, days_apart: int = 4) -> None:
    """`lines` (a few days of a log) `copies` times over, copy k moved k x `days_apart`
    days later: 10,000 lines of 4 days, 100 times, make 1,000,000 lines over 400 days."""
    parts = []  # (text before the time, time, zone, text after) of each line
    for line in lines:
        match = TIME.search(line)
        if match is None:  # a line cut short before its time stays as it is
            parts.append((line, None, "", ""))
            continue
        when = dt.datetime.strptime(match.group(1), "%d/%b/%Y:%H:%M:%S")
        parts.append((line[: match.start()], when, match.group(2), line[match.end() :]))
    with path.open("w") as out:
        for k in range(copies):
            shift = dt.timedelta(days=k * days_apart)
            out.write("".join(
                head if when is None else f"{head}[{when + shift:%d/%b/%Y:%H:%M:%S} {zone}]{tail}"
                for head, when, zone, tail in parts
            ))  # fmt: skip
