"""Error pages and JSON errors in one place: JSON for the API, a Chinese page for people."""
from flask import current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from permissions import PUBLIC

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
        return error_response(429, f"操作太频繁，请稍后再试（限制：{exc.description}）", code="rate_limited")

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return error_response(exc.code, MESSAGES.get(exc.code))

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unhandled error")
        return error_response(500)
