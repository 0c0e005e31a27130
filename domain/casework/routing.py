"""Which departments a case goes to: the plan's division of duties (分工, design section 9), as data.

Each rule names what it looks for in a case's findings, the departments it calls for (the lead first) and the
reason in the plan's words. A case gets the departments of every rule that holds, in rule order; the lead
department (牵头) is the first department of the first rule that holds. The street or district confirms.
"""
from dataclasses import dataclass, field

DEPARTMENT_NAMES = {
    "gongan": "区公安分局", "shichang": "区市场监管局", "renshe": "区人力资源社会保障局", "minzheng": "区民政局",
    "xiaofang": "区消防救援支队", "jianshe": "区建设管理委", "jiaoyu": "区教育局",
}


@dataclass
class Findings:
    """What a case's mentions say, gathered once (domain.casework.cases.findings)."""

    flags: set = field(default_factory=set)  # red flag codes of its trainings, reports and leads
    nature: str = "unknown"  # 机构性质 as recorded
    channels: set = field(default_factory=set)  # purchase channels
    samples: bool = False  # a product bought at a training is kept and can be collected (可送检)
    counterfeit: bool = False  # a report says 假冒伪劣产品
    unit_types: set = field(default_factory=set)


# (test, departments lead first, reason shown to the street or district, the plan's item)
RULES = (
    (lambda f: "impersonation" in f.flags or f.nature == "claims_official",
     ("gongan", "renshe", "xiaofang"),
     "冒充消防员或政府工作人员收费、卖产品：由公安依法查处，构成招摇撞骗罪的追究刑事责任", "二(一)3"),
    (lambda f: "unapproved" in f.flags and f.nature == "social_org",
     ("minzheng", "renshe"), "社会组织冒充消防安全专业培训机构培训", "二(一)2"),
    (lambda f: "unapproved" in f.flags and f.nature in ("enterprise", "individual"),
     ("shichang", "renshe"), "企业或个人冒充消防安全专业培训机构培训", "二(一)2"),
    (lambda f: bool({"sells_products", "door_to_door_fee"} & f.flags),
     ("shichang", "xiaofang"), "假意授课实则高价兜售消防产品、上门收费，属虚假或引人误解的宣传", "二(一)4"),
    (lambda f: "engineering" in f.flags,
     ("shichang", "jianshe"), "以培训为名接洽消防工程", "二(一)4、二(二)2"),
    (lambda f: f.counterfeit or bool({"store", "online_shop"} & f.channels),
     ("shichang",), "实体销售网点、电商平台售卖的消防产品质量", "二(二)1"),
    (lambda f: f.samples or "training" in f.channels,
     ("xiaofang",), "培训中兜售的消防产品抽样送检", "二(二)3"),
    (lambda f: "school" in f.unit_types,
     ("jiaoyu",), "涉及学校或教育机构（告知）", "二(一)1"),
)


@dataclass
class Proposal:
    department: str  # the plan's code (shichang); the district's department's code once proposed to a district
    lead: bool
    reasons: list
    department_name: str = ""

    @property
    def name(self):
        return self.department_name or DEPARTMENT_NAMES.get(self.department, self.department)

    @property
    def reason(self):
        return "；".join(self.reasons)

    def as_json(self):
        return {"department": self.department, "lead": self.lead, "reason": self.reason}


def propose(findings):
    """[Proposal] for a case's findings, lead department first; empty when no rule holds."""
    proposals = {}
    for test, departments, reason, item in RULES:
        if not test(findings):
            continue
        for code in departments:
            proposal = proposals.setdefault(code, Proposal(code, not proposals, []))
            proposal.reasons.append(f"{reason}（方案{item}）")
    return list(proposals.values())
