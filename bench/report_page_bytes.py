"""Benchmark: the bytes a phone downloads to open a poster's report page `/r/<code>` the first time.

    .venv/bin/python bench/report_page_bytes.py                       # in-process, a throwaway SQLite file
    .venv/bin/python bench/report_page_bytes.py --url https://paimo.example.cn/r/K7QX3M   # a running server

Fetches the page, then every stylesheet, script, image and icon it references (nothing is cached on a first
visit), and prints each one's size raw and gzip-compressed (level 6, what nginx sends by default), then the
totals. The in-process run also measures the general page `/r`, with a district's 189 居委 in its list.
The aim (issue 3) is under 30 KB compressed for `/r/<code>`. It prints figures and asserts nothing.
"""
import argparse
import gzip
import os
import sys
import tempfile
import urllib.parse
import urllib.request
from html.parser import HTMLParser

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

AIM = 30 * 1024
COMMUNITIES = 189


class References(HTMLParser):
    """The URLs a browser fetches right away for a page: stylesheets, icons, scripts, images."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("href") and set((attrs.get("rel") or "").split()) & {
                "stylesheet", "icon", "apple-touch-icon", "manifest", "preload", "modulepreload"}:
            self.urls.append(attrs["href"])
        elif tag in ("script", "img", "source") and attrs.get("src"):
            self.urls.append(attrs["src"])


def measure(fetch, page_url):
    """[(url, raw bytes, gzip bytes)] for the page and everything it references."""
    html = fetch(page_url)
    parser = References()
    parser.feed(html.decode("utf-8", "replace"))
    rows = [(page_url, html)]
    for ref in dict.fromkeys(parser.urls):
        url = urllib.parse.urljoin(page_url, ref)
        rows.append((url, fetch(url)))
    return [(url, len(body), len(gzip.compress(body, compresslevel=6))) for url, body in rows]


def report(title, rows):
    print(title)
    for url, raw, packed in rows:
        print(f"  {raw:>8,} B raw  {packed:>7,} B gzip  {url}")
    raw, packed = sum(r[1] for r in rows), sum(r[2] for r in rows)
    verdict = "within" if packed < AIM else "OVER"
    print(f"  {raw:>8,} B raw  {packed:>7,} B gzip  total, {len(rows)} requests ({verdict} the {AIM // 1024} KB aim)")
    return packed


def fetch_http(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def in_process():
    from app import create_app
    from commands import upgrade_database
    from domain.org.org_import import import_orgs
    from domain.public.posters import create_poster
    from models import Org, db

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench",
                          "RATELIMIT_ENABLED": False, "UPLOAD_DIR": f"{tmp}/uploads"})
        with app.app_context():
            upgrade_database()
            streets = [o.code for o in Org.select().where(Org.kind == "street").order_by(Org.code)]
            lines = [f"{streets[i % len(streets)]}{100 + i:03d},第{i + 1}居委,{streets[i % len(streets)]}"
                     for i in range(COMMUNITIES)]
            import_orgs("code,name,parent_code\n" + "\n".join(lines) + "\n")
            poster = create_poster(None, lines[0].split(",")[0], "3号楼门厅")
            db.close()
        client = app.test_client()

        def fetch(url):
            path = urllib.parse.urlsplit(url).path
            with client.get(path) as response:
                assert response.status_code == 200, (path, response.status_code)
                return response.get_data()

        base = "http://localhost"
        report("/r/<code> (a poster's QR code), first visit:", measure(fetch, f"{base}/r/{poster.code}"))
        report(f"/r (the general page, {COMMUNITIES} 居委 to pick from), first visit:", measure(fetch, f"{base}/r"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="measure this page of a running server instead")
    args = parser.parse_args()
    if args.url:
        report(f"{args.url}, first visit:", measure(fetch_http, args.url))
    else:
        in_process()


if __name__ == "__main__":
    main()
