"""The command line (design section 7), as `flask --app app <command>`."""
import datetime
import os
import sqlite3

import click
from playhouse.migrations import Runner

from domain.common.clock import now_local
from domain.casework import mentions
from domain.demo import DEMO_USERS, DemoRefused, load_demo_data
from domain.org import accounts
from domain.org.org_import import ImportError_, add_district_departments, import_departments, import_orgs
from domain.public.privacy import purge_contacts as purge
from domain.reporting.campaign import CampaignError, deadlines, load_campaign_file
from domain.reporting.mail import send_submission
from domain.reporting.submissions import org_name
from domain.supervision import quality
from domain.survey import unit_state
from domain.supervision import order_mail
from models import ROLES, Org, Submission, User, db, is_sqlite

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
MIGRATIONS_DIR = os.path.join(BASE_DIR, "migrations")
DEFAULT_ORG_CSV = os.path.join(BASE_DIR, "data", "org-changning-streets.csv")
DEFAULT_DEPARTMENTS_CSV = os.path.join(BASE_DIR, "data", "departments.csv")


# Kept state a migration creates empty: filled from the records already stored when that migration is applied.
FILLED_AFTER = {"0008_kept_unit_state": unit_state.rebuild, "0010_kept_mentions": mentions.rebuild,
                "0011_case_groups": mentions.rebuild, "0012_mention_amounts": mentions.rebuild}


def upgrade_database():
    """Apply pending migrations, then load the default organisation into an empty database."""
    applied = Runner(db.obj, MIGRATIONS_DIR).up()
    for fill in dict.fromkeys(FILLED_AFTER[name] for name in applied if name in FILLED_AFTER):
        fill()
    if not Org.select().exists():
        with open(DEFAULT_ORG_CSV, encoding="utf-8") as fh:
            import_orgs(fh.read())
        with open(DEFAULT_DEPARTMENTS_CSV, encoding="utf-8") as fh:
            import_departments(fh.read())
    return applied


def register_commands(app):
    @app.cli.command("init-db")
    def init_db():
        """Create the database or upgrade it to the latest schema."""
        applied = upgrade_database()
        click.echo(f"数据库已就绪（本次应用迁移 {len(applied)} 个：{', '.join(applied) or '无'}）")

    @app.cli.command("import-org")
    @click.argument("csv_file", type=click.File(encoding="utf-8-sig"))
    def import_org(csv_file):
        """Import the org tree from CSV_FILE (code,name,parent_code)."""
        try:
            added, updated = import_orgs(csv_file.read())
        except ImportError_ as exc:
            raise click.ClickException(f"导入失败，未写入任何数据：{exc}")
        with open(DEFAULT_DEPARTMENTS_CSV, encoding="utf-8") as fh:
            departments = add_district_departments(fh.read())  # a city's new districts get the plan's departments
        click.echo(f"已导入：新增 {added}，更新 {updated}" + (f"；新增各区部门 {departments} 个" if departments else ""))

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", required=True, type=click.Choice(list(ROLES)))
    @click.option("--org", "org_code", required=True, help="居委/街镇/区/市代码，部门用户填部门代码")
    @click.option("--password", default=None, help="不填则提示输入")
    @click.option("--name", "display_name", default="", help="显示名")
    def create_user(username, role, org_code, password, display_name):
        """Create a user with a role at an org."""
        if password is None:
            password = click.prompt("密码", hide_input=True, confirmation_prompt="再输入一次")
        try:
            user = accounts.create_user(username, role, org_code, password, app.config["PASSWORD_HASH_METHOD"],
                                        display_name)
        except accounts.AccountError as exc:
            raise click.ClickException(str(exc))
        click.echo(f"已创建用户 {user.username}（{role}，{org_code}）")

    @app.cli.command("issue-token")
    @click.argument("username")
    @click.option("--name", default="cli", help="令牌用途")
    def issue_token(username, name):
        """Print a new API token for USERNAME (last line). It is shown only once."""
        user = User.get_or_none(User.username == username)
        if user is None:
            raise click.ClickException(f"没有这个用户：{username}")
        _, token = accounts.issue_token(user, name)
        click.echo("新的 API 令牌（只显示这一次）：")
        click.echo(token)

    @app.cli.command("load-demo")
    @click.option("--force", is_flag=True, help="数据库里已有真实数据也载入（只用于测试库）")
    def load_demo(force):
        """Fill a demo street with 居委, users of every role and some records; print the logins. Refuses a
        database holding real data unless --force."""
        try:
            created = load_demo_data(app.config["PASSWORD_HASH_METHOD"], force=force)
        except DemoRefused as exc:
            raise click.ClickException(str(exc))
        click.echo("演示数据已载入。" if created else "演示数据早已载入，未重复添加。")
        click.echo("演示账号（用户名 / 密码 / 角色）：")
        for username, password, _, _, label in DEMO_USERS:
            click.echo(f"  {username:<16} {password:<14} {label}")

    @app.cli.command("load-campaign")
    @click.argument("json_file", type=click.Path(exists=True, dir_okay=False))
    def load_campaign(json_file):
        """Load a campaign's phases, deadlines and contact from JSON_FILE (e.g. data/campaign-2023.json);
        a campaign of the same name is replaced."""
        try:
            campaign = load_campaign_file(json_file)
        except CampaignError as exc:
            raise click.ClickException(f"载入失败，未写入任何数据：{exc}")
        click.echo(f"已载入：{campaign.name}（{campaign.starts} 至 {campaign.ends}），"
                   f"{campaign.phases.count()} 个阶段，{len(deadlines(campaign))} 个截止日期")

    @app.cli.command("resend-mail")
    def resend_mail():
        """Mail again the submissions whose mail failed (or was never tried while no mailbox was set)."""
        pending = list(Submission.select().where(Submission.mail_status.in_(("failed", "pending")))
                       .order_by(Submission.id))
        sent = sum(send_submission(s, org_name(s), app.config) == "sent" for s in pending)
        click.echo(f"重发 {len(pending)} 份，成功 {sent} 份")

    @app.cli.command("mail-overdue-orders")
    def mail_overdue_orders():
        """Mail each overdue 督办 order once to its recipient's mailbox (run it daily), and again the new-order
        mails that failed."""
        if not order_mail.configured(app.config):
            click.echo("未配置 SMTP（SMTP_HOST），没有发送邮件")
            return
        found = order_mail.mail_overdue_orders(app.config)
        for order_id, error in found["errors"]:
            click.echo(f"督办 {order_id} 邮件发送失败：{error}")
        click.echo(f"逾期督办：发送 {found['overdue_sent']} 件，失败 {found['overdue_failed']} 件，"
                   f"对方未设邮箱 {found['no_mailbox']} 件；重发下发通知：成功 {found['resent']} 件，"
                   f"失败 {found['resend_failed']} 件")

    @app.cli.command("set-mailbox")
    @click.argument("code")
    @click.argument("address")
    def set_mailbox(code, address):
        """Set the mailbox of the org or department CODE, where 督办 orders to it are mailed ("" removes it)."""
        try:
            found = order_mail.set_mailbox(code, address)
        except order_mail.MailboxError as exc:
            raise click.ClickException(str(exc))
        click.echo(f"{found.name}的督办邮箱：{found.mailbox}" if found.mailbox else f"已删除{found.name}的督办邮箱")

    @app.cli.command("purge-contacts")
    @click.option("--days", type=int, default=None, help="保留天数，默认 CONTACT_RETENTION_DAYS")
    def purge_contacts(days):
        """Remove reporters' contacts from reports older than CONTACT_RETENTION_DAYS (or --days)."""

        days = app.config["CONTACT_RETENTION_DAYS"] if days is None else days
        if days < 0:
            raise click.ClickException("天数不能为负")
        count = purge(now_local() - datetime.timedelta(days=days))
        click.echo(f"已清除 {count} 条举报的联系方式（{days} 天前收到的举报）")

    @app.cli.command("rebuild-state")
    @click.option("--check", is_flag=True, help="只比较，不重建：保持的状态与从记录重新计算的结果是否一致")
    def rebuild_state(check):
        """Rebuild the kept state from the records, or (--check) compare it with a full recomputation."""
        if check:
            found = ([str(d) for d in unit_state.differences()] + mentions.differences()
                     + [f"质量信号 {' '.join(map(str, d))}" for d in quality.differences()])
            for difference in found[:50]:
                click.echo(f"不一致：{difference}")
            if found:
                raise click.ClickException(f"保持的状态与重新计算的结果有 {len(found)} 处不一致")
            click.echo("保持的状态与重新计算的结果一致")
            return
        rows, found, signals = unit_state.rebuild(), mentions.rebuild(), quality.rebuild()
        click.echo(f"已从记录重建保持的状态（各居委每日变化 {rows} 行，机构线索 {found} 条，质量信号 {signals} 条）")

    @app.cli.command("backup-db")
    @click.argument("target")
    def backup_db(target):
        """Copy the SQLite database to TARGET consistently, and check the copy."""
        if not is_sqlite():
            raise click.ClickException("PostgreSQL 请用 pg_dump 备份：pg_dump -Fc -f 文件 数据库名（见 docs/deploy.md）")
        source = sqlite3.connect(db.obj.database)
        dest = sqlite3.connect(target)
        with dest:
            source.backup(dest)
        result = dest.execute("PRAGMA integrity_check").fetchone()[0]
        source.close()
        dest.close()
        if result != "ok":
            raise click.ClickException(f"备份校验失败：{result}")
        click.echo(f"已备份到 {target}（integrity_check: ok）")
