"""How to tell a fake fire-safety training and a counterfeit fire product: the facts the public guide page
(/r/guide) shows, kept here as data (design section 4 and the plan's three rules); the template only lays
them out. Change a fact here and every page that shows it follows.
"""
from domain.public.posters import WARNINGS

# The plan's three rules, word for word (the posters print the same).
RULES = WARNINGS

# What a fake training usually looks like (design sections 1, 4 and 5).
FAKE_TRAINING_SIGNS = (
    "自称消防员、消防救援人员或政府、街道工作人员，上门“检查”“培训”",
    "讲几分钟消防知识，就推销灭火器、灭火毯、逃生缓降器等产品",
    "上门收取“培训费”“检查费”，或要求签消防工程、维保合同",
)

# Fake trainers' prices: 3 to 10 times the market price, e.g. these.
MARKUP = (3, 10)
TYPICAL_PRICES = (
    ("一条灭火毯", 298),
    ("一个烟雾报警器", 298),
    ("一个逃生缓降器", 780),
)

# Products that must carry the 3C (CCC) mark.
NEED_CCC = (
    "灭火器",
    "过滤式消防自救呼吸器",
    "独立式感烟火灾探测报警器",
    "应急照明和疏散指示产品",
    "逃生产品（如逃生缓降器）",
)

# Products without 3C, and what to ask for instead.
WITHOUT_CCC = (
    ("灭火毯", "不属于 3C 认证产品：请卖家出示型式检验报告，产品标准是 XF 1205-2014。"),
    ("灭火贴", "没有任何国家标准或行业标准，不要当作消防产品购买。"),
)

# The 消防产品身份信息标志.
ID_LABEL_DIGITS = 14
ID_LABEL_SITE = "中国消防产品信息网"

# Extinguisher types that are eliminated (淘汰): nobody may sell them any more.
ELIMINATED_EXTINGUISHERS = ("酸碱型", "化学泡沫型", "倒置使用型", "四氯化碳", "1211")

# Whom to call, and for what.
HOTLINES = (
    ("12315", "假冒伪劣消防产品、高价推销"),
    ("12345", "市民服务热线"),
    ("110", "诈骗正在发生"),
)
