"""Benchmark: the bytes a phone downloads for the survey screen (a building's units with the one-tap
visits), on the first visit and on a repeat visit.

    .venv/bin/python bench/survey_page_bytes.py

In-process, on a throwaway SQLite file: a surveyor logs in and opens a building of 24 households. The first
visit fetches the page and every stylesheet, script and manifest it references; the service worker then
installs in the background (sw.js and its precache), listed apart. A repeat visit downloads only what is
not fresh in the browser's cache: a reference counts there unless its answer carries a max-age of at least a
day (the versioned /static/…?v= URLs carry a year). Sizes raw and gzip-compressed (level 6, nginx's
default). The aim (issue 5) is under 60 KB compressed for the first visit, htmx included, and only the HTML
on a repeat visit. It prints figures and asserts nothing.
"""
import gzip
import json
import os
import re
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.report_page_bytes import References  # noqa: E402

AIM = 60 * 1024
DAY = 24 * 3600
PASSWORD = "bench-password-1"


def sizes(body):
    return len(body), len(gzip.compress(body, compresslevel=6))


def report(title, rows):
    print(title)
    for url, raw, packed in rows:
        print(f"  {raw:>8,} B raw  {packed:>7,} B gzip  {url}")
    raw, packed = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"  {raw:>8,} B raw  {packed:>7,} B gzip  total, {len(rows)} requests")
    return packed


def main():
    from app import create_app
    from commands import upgrade_database
    from domain.org import accounts
    from domain.org.org_import import import_orgs
    from domain.survey import units
    from models import Org, db

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench",
                          "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False, "UPLOAD_DIR": f"{tmp}/uploads",
                          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
        with app.app_context():
            upgrade_database()
            street = Org.select().where(Org.kind == "street").order_by(Org.code).first()
            import_orgs(f"code,name,parent_code\n{street.code}001,第一居委,{street.code}\n")
            community = Org.get(Org.code == f"{street.code}001")
            user = accounts.create_user("bench", "surveyor", community.code, PASSWORD, "pbkdf2:sha256:1000")
            building, _ = units.lay_out_building(user, community, "长宁路1弄12号楼",
                                                 units.floor_addresses("长宁路1弄12号楼", 6, 4))
            building_id = building.id
            db.close()
        client = app.test_client()
        client.post("/login", data={"username": "bench", "password": PASSWORD})

        def get(url):
            with client.get(urllib.parse.urlsplit(url).path + ("?" + urllib.parse.urlsplit(url).query
                                                                 if urllib.parse.urlsplit(url).query else "")) as r:
                assert r.status_code == 200, (url, r.status_code)
                return r.get_data(), (r.cache_control.max_age or 0), r.headers.get("ETag")

        page = f"/survey/buildings/{building_id}"
        html = get(page)[0]
        parser = References()
        parser.feed(html.decode("utf-8", "replace"))
        first, repeat, revalidated = [(page, *sizes(html))], [(page, *sizes(html))], []
        for ref in dict.fromkeys(parser.urls):
            body, max_age, etag = get(ref)
            first.append((ref, *sizes(body)))
            if etag and max_age < DAY:
                revalidated.append(ref)  # no-cache with an ETag: a 304 without a body
            elif max_age < DAY:
                repeat.append((ref, *sizes(body)))

        packed = report(f"{page} (24 households), first visit:", first)
        print(f"  {'within' if packed < AIM else 'OVER'} the {AIM // 1024} KB aim")

        sw = get("/sw.js")[0]
        config = json.loads(re.match(rb"self\.PAIMO = (.*);\n", sw).group(1))
        already = set(parser.urls)
        background = [("/sw.js", *sizes(sw))]
        for url in config["shell"] + config["pages"]:
            if url not in already:
                background.append((url, *sizes(get(url)[0])))
        report("then in the background, the service worker's install (once per version):", background)

        report(f"{page}, repeat visit (static files fresh in the browser's cache):", repeat)
        for ref in revalidated:
            print(f"  (plus a bodiless 304 revalidation of {ref}, when the browser asks for it at all)")
        only_html = len(repeat) == 1
        print(f"  {'only the HTML' if only_html else 'MORE than the HTML'} is downloaded again")


if __name__ == "__main__":
    main()
