"""Mailing 督办 orders to the recipient's mailbox (design section 12; issue 19), optional per deployment.

A deployment with SMTP configured (SMTP_HOST …, domain.reporting.mail.mail_settings) mails each new order to the
mailbox of the org or department it is addressed to (Org.mailbox, Department.mailbox; `flask --app app set-mailbox`
sets one), after the order is committed: a failure is recorded on the order (mail_status, mail_error) and loses
nothing. `flask --app app mail-overdue-orders`, run daily, mails each overdue order once (overdue_mailed_at) and
tries the failed new-order mails again. No mailbox, no mail.
"""
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from domain.common.clock import now_local, today_local
from domain.reporting.mail import mail_settings
from domain.supervision.orders import STATUSES, recipient_name, subject_label
from models import Department, Org, SupervisionOrder, audit

MAILBOX = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class MailboxError(ValueError):
    pass


def set_mailbox(code, address, user=None):
    """Set (or, with "", remove) the mailbox of the org or department `code`: the org or department."""
    address = (address or "").strip()
    if address and (len(address) > 254 or not MAILBOX.fullmatch(address)):
        raise MailboxError(f"邮箱地址不正确：{address}")
    found = Org.get_or_none(Org.code == code) or Department.get_or_none(Department.code == code)
    if found is None:
        raise MailboxError(f"没有这个组织或部门代码：{code}")
    found.mailbox = address
    found.save(only=[type(found).mailbox])
    audit(user, "set_mailbox", found, f"督办邮箱：{address or '（已删除）'}")
    return found


def mailbox_of(order):
    """The mailbox of the order's recipient ("" when none is set)."""
    return (order.to_org.mailbox if order.to_org_id else order.to_department.mailbox) or ""


def configured(config):
    return bool(mail_settings(config)["host"])


def order_link(order, config):
    return f"{(config.get('BASE_URL') or '').rstrip('/')}/orders/{order.id}"


def _message(order, settings, mailbox, subject, opening, config):
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr(("排摸通", settings["sender"]))
    message["To"] = mailbox
    message["Message-ID"] = make_msgid(domain=settings["sender"].rpartition("@")[2] or None)
    message.set_content(
        f"{recipient_name(order)}：\n\n{opening}\n\n"
        f"督办单位：{order.issuer_org.name}\n督办事项：{subject_label(order)}\n办结期限：{order.due.isoformat()}\n"
        f"当前状态：{STATUSES.get(order.status, order.status)}\n\n督办要求：\n{order.request}\n\n"
        f"请登录排摸通查看并反馈整改情况：{order_link(order, config)}\n\n——排摸通\n")
    return message


def new_order_message(order, settings, mailbox, config):
    return _message(order, settings, mailbox,
                    f"【督办】{order.issuer_org.name}：{subject_label(order)}（{order.due.isoformat()}前办结）",
                    f"{order.issuer_org.name}于 {order.created_at:%Y-%m-%d %H:%M} 向你单位下发督办（编号 {order.id}）。",
                    config)


def overdue_message(order, settings, mailbox, config):
    return _message(order, settings, mailbox,
                    f"【督办逾期】{order.issuer_org.name}：{subject_label(order)}（期限 {order.due.isoformat()}）",
                    f"{order.issuer_org.name}下发的督办（编号 {order.id}）已过办结期限，尚未办结。", config)


def deliver(message, settings):
    """Send one message over SMTP; OSError or smtplib.SMTPException when it cannot."""
    with smtplib.SMTP(settings["host"], settings["port"], timeout=settings["timeout"]) as smtp:
        if settings["starttls"]:
            smtp.starttls(context=ssl.create_default_context())
        if settings["user"]:
            smtp.login(settings["user"], settings["password"])
        smtp.send_message(message, to_addrs=[message["To"]])


def _try(message, settings):
    """("sent", "") or ("failed", the reason)."""
    try:
        deliver(message, settings)
        return "sent", ""
    except (OSError, smtplib.SMTPException) as exc:
        return "failed", f"{type(exc).__name__}: {exc}"[:500]


def send_new_order(order, config):
    """Mail a new order to its recipient's mailbox when SMTP is configured and the recipient has one; record and
    return the mail status (off, sent, failed). Call it after the order is committed."""
    settings, mailbox = mail_settings(config), mailbox_of(order)
    if not settings["host"] or not mailbox:
        status, error = "off", ""
    else:
        status, error = _try(new_order_message(order, settings, mailbox, config), settings)
    order.mail_status, order.mail_error = status, error
    order.save(only=[SupervisionOrder.mail_status, SupervisionOrder.mail_error])
    return status


def mail_overdue_orders(config, today=None):
    """The daily run: each overdue order whose recipient has a mailbox is mailed once (overdue_mailed_at; a failure
    is tried again the next run), and new-order mails that failed are tried again. Returns the figures
    {"overdue_sent", "overdue_failed", "no_mailbox", "resent", "resend_failed", "errors": [(order id, reason)]}."""
    today = today or today_local()
    settings = mail_settings(config)
    figures = {**dict.fromkeys(("overdue_sent", "overdue_failed", "no_mailbox", "resent", "resend_failed"), 0),
               "errors": []}
    if not settings["host"]:
        return figures
    overdue = (SupervisionOrder.select().where((SupervisionOrder.due < today) & (SupervisionOrder.status != "closed")
                                               & SupervisionOrder.overdue_mailed_at.is_null())
               .order_by(SupervisionOrder.id))
    for order in overdue:
        mailbox = mailbox_of(order)
        if not mailbox:
            figures["no_mailbox"] += 1
            continue
        status, error = _try(overdue_message(order, settings, mailbox, config), settings)
        if status == "sent":
            order.overdue_mailed_at = now_local()
            order.save(only=[SupervisionOrder.overdue_mailed_at])
            figures["overdue_sent"] += 1
        else:
            figures["overdue_failed"] += 1
            figures["errors"].append((order.id, error))
    failed = SupervisionOrder.select().where(SupervisionOrder.mail_status == "failed").order_by(SupervisionOrder.id)
    for order in failed:
        sent = send_new_order(order, config) == "sent"
        figures["resent" if sent else "resend_failed"] += 1
        if not sent:
            figures["errors"].append((order.id, order.mail_error))
    return figures
