"""Mailing a submitted workbook to the campaign's mailbox over SMTP (design section 10).

Off unless a mailbox is configured (SUBMISSION_MAILBOX). Sent after the submission is committed: a failure
to mail is recorded on the submission (mail_status, mail_error) and never loses it; `flask --app app
resend-mail` tries the failed ones again.
"""
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from domain.common.clock import now_local
from models import Submission

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def mail_settings(config):
    return {"host": config.get("SMTP_HOST", ""), "port": int(config.get("SMTP_PORT") or 25),
            "sender": config.get("SMTP_FROM", ""), "mailbox": config.get("SUBMISSION_MAILBOX", ""),
            "user": config.get("SMTP_USER", ""), "password": config.get("SMTP_PASSWORD", ""),
            "starttls": bool(config.get("SMTP_STARTTLS")), "timeout": float(config.get("SMTP_TIMEOUT") or 20)}


def submission_message(submission, org_name, settings):
    message = EmailMessage()
    message["Subject"] = f"【报送】{org_name} 专项整治统计表（截至{submission.as_of.isoformat()}）"
    message["From"] = formataddr(("排摸通", settings["sender"]))
    message["To"] = settings["mailbox"]
    message["Message-ID"] = make_msgid(domain=settings["sender"].rpartition("@")[2] or None)
    message.set_content(
        f"{org_name}于 {submission.submitted_at:%Y-%m-%d %H:%M} 报送统计表，数据截至 {submission.as_of.isoformat()} 24时。\n"
        f"附件为报送时冻结的工作簿（报送编号 {submission.id}），此后的更正不会改变它。\n\n——排摸通\n")
    message.add_attachment(bytes(submission.workbook), maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1],
                           filename=submission.workbook_name)
    return message


def send_submission(submission, org_name, config):
    """Mail the submission's workbook when a mailbox is configured; record and return the mail status."""
    settings = mail_settings(config)
    if not settings["mailbox"] or not settings["host"]:
        status, error = "off", ""
    else:
        try:
            message = submission_message(submission, org_name, settings)
            with smtplib.SMTP(settings["host"], settings["port"], timeout=settings["timeout"]) as smtp:
                if settings["starttls"]:
                    smtp.starttls(context=ssl.create_default_context())
                if settings["user"]:
                    smtp.login(settings["user"], settings["password"])
                smtp.send_message(message)
            status, error = "sent", ""
        except (OSError, smtplib.SMTPException) as exc:
            status, error = "failed", f"{type(exc).__name__}: {exc}"[:500]
    submission.mail_status, submission.mail_error = status, error
    submission.mailed_at = now_local() if status == "sent" else None
    submission.save(only=[Submission.mail_status, Submission.mail_error, Submission.mailed_at])
    return status
