"""The installable app (issue 5): web app manifest, service worker, offline page, and cache headers.

Static URLs carry a content hash (`/static/css/app.css?v=3f2a…`, added to every url_for('static')), so they
are served with a year-long max-age: a repeat visit downloads only the HTML. The service worker is served
from the site root (its scope is the whole site) with `no-cache`, prefixed with the list of files it
precaches and a version made of their hashes: any change to a static file makes a new worker, which
cleans the old caches and offers a reload.
"""
import hashlib
import json
import os

from flask import Blueprint, current_app, render_template, request, send_from_directory, url_for

from blueprints.guard import public

bp = Blueprint("pwa", __name__)

THEME_COLOR = "#c62828"
STATIC_MAX_AGE = 365 * 24 * 3600
# What the service worker precaches: the app shell's static files (folders under static/, by suffix).
SHELL_FOLDERS = (("css", ".css"), ("js", ".js"), ("vendor", ".js"), ("icons", ".png"))
# Pages of a logged-in worker, fetched when the service worker installs (they need the session cookie).
SURVEY_PAGES = ("/survey/", "/survey/today", "/survey/conflicts", "/survey/form/trainings", "/survey/form/purchases")
_hashes = {}


def file_version(filename):
    """A short content hash of static/<filename>, cached per modification time; None if there is no file."""
    path = os.path.join(current_app.static_folder, filename)
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return None
    cached = _hashes.get(path)
    if cached is None or cached[0] != mtime:
        with open(path, "rb") as fh:
            cached = _hashes[path] = (mtime, hashlib.sha256(fh.read()).hexdigest()[:12])
    return cached[1]


@bp.app_url_defaults
def versioned_static_urls(endpoint, values):
    if endpoint == "static" and "v" not in values and values.get("filename"):
        version = file_version(values["filename"])
        if version:
            values["v"] = version


@bp.after_app_request
def long_cache_for_versioned_static(response):
    if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
        response.cache_control.public = True
        response.cache_control.max_age = STATIC_MAX_AGE
        response.cache_control.immutable = True
        response.cache_control.no_cache = None
    return response


def shell_files():
    names = []
    for folder, suffix in SHELL_FOLDERS:
        directory = os.path.join(current_app.static_folder, folder)
        if os.path.isdir(directory):
            names += sorted(f"{folder}/{name}" for name in os.listdir(directory) if name.endswith(suffix))
    return names


def no_cache(response, mimetype):
    """Revalidated on every use; an ETag makes the check a bodiless 304 when nothing changed."""
    response.mimetype = mimetype
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


def manifest_json():
    icon = lambda name: url_for("static", filename=f"icons/{name}")  # noqa: E731
    return json.dumps({
        "name": "排摸通 · 冒牌消防培训排摸", "short_name": "排摸通", "lang": "zh-CN", "dir": "ltr",
        "description": "入户排摸冒牌消防培训和假冒伪劣消防产品，离线也能登记。",
        "id": "/", "start_url": "/?source=pwa", "scope": "/", "display": "standalone",
        "orientation": "portrait", "theme_color": THEME_COLOR, "background_color": "#f4f6f9",
        "icons": [
            {"src": icon("icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": icon("icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": icon("maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }, ensure_ascii=False)


@bp.get("/manifest.webmanifest")
@public
def manifest():
    return no_cache(current_app.response_class(manifest_json()), "application/manifest+json")


@bp.get("/sw.js")
@public
def service_worker():
    shell = [url_for("static", filename=name) for name in shell_files()]
    shell += [url_for("pwa.offline"), url_for("pwa.manifest")]
    with open(os.path.join(current_app.static_folder, "sw.js"), encoding="utf-8") as fh:
        code = fh.read()
    offline_template = os.path.join(current_app.root_path, "templates", "pwa", "offline.html")
    with open(offline_template, "rb") as fh:
        parts = (json.dumps(shell), code, manifest_json(), fh.read().decode())
    version = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]
    config = {"version": version, "shell": shell, "pages": list(SURVEY_PAGES), "offline": url_for("pwa.offline")}
    body = f"self.PAIMO = {json.dumps(config)};\n{code}"
    response = current_app.response_class(body)
    response.headers["Service-Worker-Allowed"] = "/"
    return no_cache(response, "text/javascript")


@bp.get("/offline")
@public
def offline():
    return render_template("pwa/offline.html")


@bp.get("/favicon.ico")
@public
def favicon():
    # Browsers ask every site for /favicon.ico; a PNG under that name is what they all accept.
    return send_from_directory(os.path.join(current_app.static_folder, "icons"), "icon-192.png",
                               mimetype="image/png", max_age=7 * 24 * 3600)


@bp.get("/apple-touch-icon.png")
@bp.get("/apple-touch-icon-precomposed.png")
@public
def apple_touch_icon():
    # iOS asks the site root for this when a page names no apple-touch-icon.
    return send_from_directory(os.path.join(current_app.static_folder, "icons"), "apple-touch-icon.png",
                               max_age=7 * 24 * 3600)
