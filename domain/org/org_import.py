"""Importing the org tree from a CSV of `code,name,parent_code` (design section 3).

The file is checked as a whole before anything is written: a bad file changes nothing and the error
names its line. Importing the same file again changes nothing; a changed name or parent is updated.
"""
import csv
import io

from models import Department, Org, db

KIND_BY_DEPTH = {0: "district", 1: "street", 2: "community"}


class ImportError_(ValueError):
    pass


def read_rows(text, expected):
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != expected:
        raise ImportError_(f"第 1 行：表头应为 {','.join(expected)}")
    for line_no, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(expected):
            raise ImportError_(f"第 {line_no} 行：应有 {len(expected)} 列，实有 {len(row)} 列")
        yield line_no, [cell.strip() for cell in row]


def parse_org_csv(text):
    """[(line, code, name, parent_code, kind)] in parent-first order, or ImportError_ for the whole file."""
    rows = {}
    for line_no, (code, name, parent) in read_rows(text, ["code", "name", "parent_code"]):
        if not code.isdigit() or len(code) > 16:
            raise ImportError_(f"第 {line_no} 行：代码应为数字：{code!r}")
        if not name:
            raise ImportError_(f"第 {line_no} 行：名称不能为空")
        if code in rows:
            raise ImportError_(f"第 {line_no} 行：代码重复：{code}（已在第 {rows[code][0]} 行）")
        if parent == code:
            raise ImportError_(f"第 {line_no} 行：上级代码不能是自己")
        rows[code] = (line_no, name, parent or None)

    existing = {o.code: o for o in Org.select()}

    def depth(code, seen=()):
        if code in seen:
            raise ImportError_(f"第 {rows[code][0]} 行：上级关系成环")
        if code in rows:
            line_no, _, parent = rows[code]
        elif code in existing:
            parent = existing[code].parent_id
        else:
            return None
        if parent is None:
            return 0
        if parent not in rows and parent not in existing:
            raise ImportError_(f"第 {rows[code][0] if code in rows else '?'} 行：上级代码不存在：{parent}")
        parent_depth = depth(parent, seen + (code,))
        return None if parent_depth is None else parent_depth + 1

    result = []
    for code, (line_no, name, parent) in rows.items():
        level = depth(code)
        if level not in KIND_BY_DEPTH:
            raise ImportError_(f"第 {line_no} 行：层级过深：只支持 区 → 街镇 → 居委")
        if code in existing and existing[code].kind != KIND_BY_DEPTH[level]:
            raise ImportError_(f"第 {line_no} 行：{code} 已是 {existing[code].kind}，不能改为 {KIND_BY_DEPTH[level]}")
        result.append((line_no, code, name, parent, KIND_BY_DEPTH[level]))
    result.sort(key=lambda r: ("district", "street", "community").index(r[4]))
    return result


def import_orgs(text):
    """Check the whole file, then write it. Returns (added, updated)."""
    rows = parse_org_csv(text)
    added = updated = 0
    with db.atomic():
        for _, code, name, parent, kind in rows:
            org = Org.get_or_none(Org.code == code)
            if org is None:
                Org.create(code=code, name=name, parent=parent, kind=kind)
                added += 1
            elif (org.name, org.parent_id) != (name, parent):
                Org.update(name=name, parent=parent).where(Org.code == code).execute()
                updated += 1
    return added, updated


def import_departments(text):
    rows = list(read_rows(text, ["code", "name"]))
    with db.atomic():
        for _, (code, name) in rows:
            Department.insert(code=code, name=name).on_conflict(
                conflict_target=[Department.code], update={Department.name: name}).execute()
    return len(rows)
