"""An access log with the shape of a real public Apache log (a small personal site's,
as published for log-analysis examples): most requests are for images, stylesheets,
scripts and fonts; about a sixth are crawlers and feed readers; referrers include long
search-engine URLs; some lines are HTTP/1.0, some 404s, a few cut short. The lines are
generated with that mix (seeded, so every run is the same), not copied.
"""

import datetime as dt
import random
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


def generate(path: Path, distinct: int, repeat: int = 1, seed: int = 1) -> None:
    """`distinct` lines of that shape, written `repeat` times over."""
    rng = random.Random(seed)
    t = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    visitors = [
        ".".join(str(rng.randint(1, 223 if i == 0 else 254)) for i in range(4))
        for _ in range(20_000)
    ]
    lines = []
    for _ in range(distinct):
        t += dt.timedelta(seconds=rng.random() * 2)
        w, n = rng.choice(WORDS), rng.randint(1, 400)
        s = f"{rng.choice(WORDS)}-{rng.randint(2010, 2016)}"
        roll = rng.random()
        if roll < 0.55:
            target, agent = rng.choice(ASSETS), rng.choice(BROWSERS)
        elif roll < 0.72:
            target, agent = rng.choice(PAGES), rng.choice(CRAWLERS)
        else:
            target, agent = rng.choice(PAGES), rng.choice(BROWSERS)
        status = 404 if rng.random() < 0.03 else 200
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
    text = "".join(lines)
    with path.open("w") as out:
        for _ in range(repeat):
            out.write(text)
