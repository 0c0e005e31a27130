"""Error pages and JSON errors in one place: JSON for the API, a Chinese page for people."""
import time

from flask import current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from domain.org.permissions import PUBLIC
from extensions import limiter

# The first path segments where residents are (/r…, /check…): an error there gets a public page, without the
# staff look and its way to the login page.
PUBLIC_AREAS = ("r", "check")

MESSAGES = {
    400: "请求有误",
    401: "请先登录",
    403: "没有权限",
    404: "找不到这个页面或记录",
    405: "不支持这种请求方式",
    409: "记录冲突",
    413: "上传的内容太大：请返回上一页，少选几张照片或换小一点的照片（每张不超过 8 MB）",
    422: "填写的内容有误",
    429: "操作太频繁，请稍后再试",
    500: "服务器出错了，请稍后再试",
}


def retry_words(seconds):
    """How long to wait, in words: 请 3 分钟后再试 (rounded up), or 请稍后再试 when unknown."""
    if not seconds or seconds <= 0:
        return "请稍后再试"
    if seconds < 60:
        return f"请 {int(seconds + 0.999)} 秒后再试"
    if seconds < 3600:
        return f"请 {int(seconds / 60 + 0.999)} 分钟后再试"
    return f"请 {int(seconds / 3600 + 0.999)} 小时后再试"


def _seconds_to_reset():
    try:
        return limiter.current_limit.reset_at - time.time()
    except Exception:  # noqa: BLE001 - the message can do without it
        return None


def wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def on_public_page():
    """Whether the request is a resident's: in a public area, at no staff page (/check/approved is the district's)."""
    if request.path.split("/")[1] not in PUBLIC_AREAS:
        return False
    rule = request.url_rule
    return rule is None or getattr(current_app.view_functions.get(rule.endpoint), "permission", None) == PUBLIC


def error_response(status, message=None, code=None, **extra):
    message = message or MESSAGES.get(status, "出错了")
    if wants_json():
        return jsonify({"error": code or str(status), "message": message, **extra}), status
    template = "report/error.html" if on_public_page() else "error.html"
    return render_template(template, status=status, message=message), status


def register(app):
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(400, "页面已过期（安全令牌失效），请刷新后再提交", code="csrf")

    @app.errorhandler(429)
    def too_many(exc):
        # A limit with its own message says it (the report pages); otherwise Flask-Limiter's description is
        # the limit in English ("5 per 1 minute"), which no user should read.
        limit = getattr(exc, "limit", None)
        if limit is not None and limit.error_message:
            return error_response(429, exc.description, code="rate_limited")
        return error_response(429, f"操作太频繁，{retry_words(_seconds_to_reset())}", code="rate_limited")

    @app.errorhandler(HTTPException)
    def http_error(exc):
        body, status = error_response(exc.code, MESSAGES.get(exc.code))
        response = app.make_response((body, status))
        # The exception's own headers stay (a 405's Allow, which RFC 9110 requires: Schemathesis found it missing).
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unhandled error")
        return error_response(500)
