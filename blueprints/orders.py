"""督办 supervision orders (design section 12; issue 19): one's orders (received and issued, overdue first), a new
order, an order with its history and the form of its next step; the count of orders waiting in the navigation;
and the same under /api/v1/orders (design section 8). The rules are domain.supervision.orders'."""
import uuid

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.errors import error_response
from blueprints.guard import requires
from domain.common.clock import today_local
from domain.org.permissions import can, issued_order, received_order
from domain.reporting.entries import Conflict, NotYours
from domain.supervision import orders
from domain.supervision.order_mail import mailbox_of, send_new_order
from models import MAIL_STATUSES
from templating import paginate_query, render

bp = Blueprint("orders", __name__)

MAIL_WORDS = {"sent": "，已发邮件通知对方", "failed": "；通知邮件没有发出（督办已保存，稍后会重发）", "off": ""}


@bp.app_context_processor
def order_helpers():
    """What the order pages, the home page's block and the navigation's count (templates/_nav.html) use."""
    return {"orders_waiting": orders.waiting_count, "order_subject": orders.subject_label,
            "order_recipient": orders.recipient_name, "issued_order": issued_order,
            "ORDER_STATUSES": orders.STATUSES, "ORDER_STATUS_FILTERS": orders.STATUS_FILTERS,
            "ORDER_SIDES": orders.SIDES, "ORDER_SUBJECTS": orders.SUBJECTS, "ORDER_WHOM": orders.WHOM,
            "ORDER_KIND_WORDS": orders.KIND_WORDS, "ORDER_MAX_REQUEST": orders.MAX_REQUEST,
            "ORDER_MAX_RESPONSE": orders.MAX_RESPONSE, "ORDER_MAX_NOTE": orders.MAX_NOTE}


def order_or_404(order_id):
    return orders.order_in_scope(current_user, order_id) or abort(404)


def _issue(body, from_form=False):
    """(HTTP status, order or None, errors) of an order sent by the page or the API; mailed after the commit."""
    values, errors = orders.parse_order(body, from_form=from_form)
    if errors:
        return 422, None, errors
    values["client_uuid"] = values["client_uuid"] or str(uuid.uuid4())
    try:
        order, created = orders.issue(current_user, values)
    except orders.OrderError as exc:
        return 422, None, exc.errors
    except NotYours:
        return 422, None, {"client_uuid": "这个编号已被其他单位使用"}
    except Conflict as exc:
        return 409, exc.stored, {}
    if created:
        send_new_order(order, current_app.config)
    return (201 if created else 200), order, {}


def _json(order):
    return orders.order_json(orders.order_in_scope(current_user, order.id), with_history=True)


# --- pages ------------------------------------------------------------------------------------------------------


@bp.get("/orders/")
@requires("orders.view")
def index():
    status, overdue, side, errors = orders.parse_filters(request.args)
    if errors:  # a page ignores what it does not know (the API refuses it)
        status, overdue, side = "", False, ""
    shown = paginate_query(orders.orders_for(current_user, status, overdue, side))
    return render("orders/index.html", "orders/_rows.html", shown=shown, names=orders.subject_names(shown.items),
                  filters={"status": status, "overdue": overdue, "side": side}, today=today_local())


def _new_page(values, errors=None, status=200):
    choices_of_org, departments = orders.recipients(current_user)
    return render_template("orders/new.html", values=values, errors=errors or {}, orgs=choices_of_org,
                           departments=departments, communities=orders.community_choices(current_user),
                           new_uuid=str(uuid.uuid4()), today=today_local()), status


@bp.get("/orders/new")
@requires("orders.issue")
def new():
    """The form, filled from ?to=&kind=&id= when another page proposes an order (a 居委 of the ranking …)."""
    kind = request.args.get("kind", "")
    values = {"to": request.args.get("to", ""), "subject_kind": kind, "due": orders.default_due().isoformat(),
              "subject_community" if kind == "community" else "subject_id": request.args.get("id", "")}
    return _new_page(values)


@bp.post("/orders/new")
@requires("orders.issue")
def create():
    status, order, errors = _issue(orders.form_body(request.form), from_form=True)
    if status == 422:
        return _new_page(request.form.to_dict(), errors, 422)
    if status == 409:
        return _new_page({**request.form.to_dict(), "client_uuid": ""},
                         {"client_uuid": "这张表单已经提交过一件不同的督办：请核对后重新提交"}, 409)
    flash("已下发督办" + MAIL_WORDS.get(order.mail_status, ""))
    return redirect(url_for("orders.detail", order_id=order.id), 303)


def _detail_page(order, errors=None, values=None, status=200):
    return render_template(
        "orders/detail.html", order=order, subject=orders.subject_for(order, current_user),
        steps=orders.history(order), overdue=orders.is_overdue(order), errors=errors or {}, values=values or {},
        answers=received_order(current_user, order) and can(current_user, "orders.answer"),
        decides=issued_order(current_user, order), MAIL_STATUSES=MAIL_STATUSES, mailbox=mailbox_of(order)), status


@bp.get("/orders/<int:order_id>")
@requires("orders.view")
def detail(order_id):
    return _detail_page(order_or_404(order_id))


def _step(order, take, done):
    try:
        take(current_user, order, request.form.to_dict())
    except orders.OrderError as exc:
        return _detail_page(order, exc.errors, request.form.to_dict(), 422)
    flash(done(order))
    return redirect(url_for("orders.detail", order_id=order.id), 303)


@bp.post("/orders/<int:order_id>/answer")
@requires("orders.answer")
def answer(order_id):
    return _step(order_or_404(order_id), orders.answer_step, lambda order: "已提交整改情况，等待督办单位办结")


@bp.post("/orders/<int:order_id>/decision")
@requires("orders.issue")
def decision(order_id):
    return _step(order_or_404(order_id), orders.decision_step,
                 lambda order: "已办结" if order.status == "closed" else "已退回，等待对方重新反馈整改情况")


# --- API (design section 8) ---------------------------------------------------------------------------------------


@bp.post("/api/v1/orders")
@requires("orders.issue")
def api_create():
    status, order, errors = _issue(request.get_json(silent=True))
    if status == 422:
        return error_response(422, "督办内容有误", code="invalid", errors=errors)
    if status == 409:
        return error_response(409, "这个 client_uuid 已用于另一件督办", code="conflict", order=_json(order))
    response = jsonify(_json(order))
    response.status_code = status
    response.headers["Location"] = url_for("orders.api_order", order_id=order.id)
    return response


@bp.get("/api/v1/orders")
@requires("orders.view")
def api_orders():
    status, overdue, side, errors = orders.parse_filters(request.args)
    if errors:
        return error_response(422, "筛选条件有误", code="invalid", errors=errors)
    found = list(orders.orders_for(current_user, status, overdue, side))
    names, today = orders.subject_names(found), today_local()
    return jsonify({"orders": [orders.order_json(o, today, names) for o in found]})


@bp.get("/api/v1/orders/<int:order_id>")
@requires("orders.view")
def api_order(order_id):
    return jsonify(orders.order_json(order_or_404(order_id), with_history=True))


# Who may take which step is the domain's (the recipient answers, the issuer closes or returns): any user who sees
# the order may send one, and is told which steps are its own.
@bp.patch("/api/v1/orders/<int:order_id>")
@requires("orders.view")
def api_work(order_id):
    order = order_or_404(order_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(422, "请求内容应为 JSON 对象", code="invalid", errors={"body": "请求内容应为 JSON 对象"})
    try:
        orders.work(current_user, order, body)
    except orders.OrderError as exc:
        return error_response(422, str(exc), code="invalid", errors=exc.errors)
    return jsonify(_json(order))
