"""Importing the org tree from a CSV of `code,name,parent_code` (design sections 3 and 13).

The tree starts at a district (区 → 街镇 → 居委), or at a city with districts under it (市 → 区 → 街镇 → 居委): a root
whose code is a city's (six digits ending in 00, as 上海市 310000) is a city. The file is checked as a whole before
anything is written: a bad file changes nothing and the error names its line. Importing the same file again
changes nothing; a changed name or parent is updated.
"""
import csv
import io

from models import Department, Org, db

KIND_BY_DEPTH = {0: "district", 1: "street", 2: "community"}
KIND_BY_DEPTH_IN_A_CITY = {0: "city", 1: "district", 2: "street", 3: "community"}


def is_city_code(code):
    """A city's statistical division code (上海市 310000; 苏州市 320500): six digits ending in 00. A district's never
    ends in 00."""
    return len(code) == 6 and code.isdigit() and code.endswith("00")


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
        """(depth below the root, the root's code)."""
        if code in seen:
            raise ImportError_(f"第 {rows[code][0]} 行：上级关系成环")
        if code in rows:
            line_no, _, parent = rows[code]
        elif code in existing:
            parent = existing[code].parent_id
        else:
            return None, None
        if parent is None:
            return 0, code
        if parent not in rows and parent not in existing:
            raise ImportError_(f"第 {rows[code][0] if code in rows else '?'} 行：上级代码不存在：{parent}")
        parent_depth, root = depth(parent, seen + (code,))
        return (None if parent_depth is None else parent_depth + 1), root

    result = []
    for code, (line_no, name, parent) in rows.items():
        level, root = depth(code)
        kinds = KIND_BY_DEPTH_IN_A_CITY if root and is_city_code(root) else KIND_BY_DEPTH
        if level not in kinds:
            raise ImportError_(f"第 {line_no} 行：层级过深：只支持 （市 →）区 → 街镇 → 居委")
        if code in existing and existing[code].kind != kinds[level]:
            raise ImportError_(f"第 {line_no} 行：{code} 已是 {existing[code].kind}，不能改为 {kinds[level]}")
        result.append((line_no, code, name, parent, kinds[level]))
    result.sort(key=lambda r: ("city", "district", "street", "community").index(r[4]))
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
    """The plan's departments (`code,name`, data/departments.csv) of a deployment of one district: their codes are
    the plan's. In a city deployment, see `add_district_departments`."""
    rows = list(read_rows(text, ["code", "name"]))
    districts = list(Org.select().where(Org.kind == "district"))
    district = districts[0] if len(districts) == 1 else None
    with db.atomic():
        for _, (code, name) in rows:
            Department.insert(code=code, name=name, plan=code, district=district).on_conflict(
                conflict_target=[Department.code], update={Department.name: name}).execute()
    return len(rows)


def add_district_departments(text):
    """The plan's departments (`code,name`) of every district of a city that has none yet: coded
    `<district code>-<plan code>` (310104-shichang) and named after their district (徐汇区市场监管局)."""
    plans = list(read_rows(text, ["code", "name"]))
    added = 0
    with db.atomic():
        for district in Org.select().where((Org.kind == "district") & Org.parent.is_null(False)).order_by(Org.code):
            if Department.select().where(Department.district == district.code).exists():
                continue
            for _, (plan, name) in plans:
                Department.create(code=f"{district.code}-{plan}", name=district.name + name.removeprefix("区"),
                                  plan=plan, district=district)
                added += 1
    return added
