"""The audit log as the district reads it (design section 3; issue 11): who did what to which record, when,
filtered and a page at a time."""
import datetime

from peewee import JOIN

from domain.common.clock import end_of_day
from models import AuditLog, User

PAGE_SIZE = 100
ACTIONS = {
    "create": "新建", "correct": "更正", "layout": "排布楼栋", "add_unit": "添加单位", "status": "线索状态",
    "refer": "移交", "accepted": "部门接收", "investigating": "部门核查", "penalised": "查处", "to_police": "移送公安",
    "unfounded": "认定不属实", "returned": "退回", "important": "标为重要", "unimportant": "取消重要",
    "escalated": "上报街镇", "published": "曝光", "unpublished": "撤下曝光", "merge": "合并机构", "split": "拆分机构",
    "retire": "撤下海报", "view_contact": "查看举报人联系方式", "purge_contacts": "清除举报人联系方式",
    "export": "导出", "export_summary": "导出工作总结", "download_submission": "下载报送副本", "submit": "报送",
    "collect": "取样", "result": "检测结果", "delete": "删除录入", "import": "导入", "update": "修改",
    "change_password": "修改密码", "undo_merge": "撤销合并", "undo_split": "撤销拆分",
    "export_tables_xlsx": "导出统计表（三表合一）",
    # 考核 (issue 19)
    "raise": "产生质量信号", "withdraw": "撤回质量信号", "review": "审核质量信号", "draw": "抽取回访样本",
    "recheck": "登记回访", "order_issue": "下发督办", "order_answered": "反馈整改情况", "order_returned": "退回督办",
    "order_closed": "办结督办", "set_mailbox": "设置邮箱", "export_bulletin": "导出通报草稿",
    "export_ranking_xlsx": "导出考核排名", "export_ranking_json": "导出考核排名（JSON）",
}
EXPORT_FORMATS = {"json": "JSON", "xlsx": "Excel", "csv": "CSV"}


def action_label(action):
    """What an audit entry's action says in words (the exports of each table by their number and format)."""
    if action in ACTIONS:
        return ACTIONS[action]
    if action.startswith("export_table") and "_" in action[len("export_table"):]:
        number, _, kind = action[len("export_table"):].partition("_")
        return f"导出附件{number}（{EXPORT_FORMATS.get(kind, kind)}）"
    return action


def parse_filters(values):
    """The page's filters from its query string; a bad date is ignored with a message."""
    found = {"username": (values.get("username") or "").strip()[:64], "action": values.get("action") or "",
             "object_type": (values.get("object_type") or "").strip()[:32], "since": None, "until": None}
    errors = {}
    for key in ("since", "until"):
        text = (values.get(key) or "").strip()
        if text:
            try:
                found[key] = datetime.date.fromisoformat(text)
            except ValueError:
                errors[key] = "日期格式应为 2023-03-20"
    try:
        found["page"] = max(1, min(10000, int(values.get("page") or 1)))
    except ValueError:
        found["page"] = 1
    return found, errors


def entries(username="", action="", object_type="", since=None, until=None, page=1):
    """One page of entries, newest first, and whether there is a next page (one query)."""
    query = (AuditLog.select(AuditLog, User).join(User, JOIN.LEFT_OUTER)
             .order_by(AuditLog.at.desc(), AuditLog.id.desc()))
    if username:
        query = query.where(User.username == username)
    if action:
        query = query.where(AuditLog.action == action)
    if object_type:
        query = query.where(AuditLog.object_type == object_type)
    if since:
        query = query.where(AuditLog.at >= datetime.datetime.combine(since, datetime.time()))
    if until:
        query = query.where(AuditLog.at < end_of_day(until))
    rows = list(query.paginate(page, PAGE_SIZE + 1)) if page == 1 else list(
        query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
