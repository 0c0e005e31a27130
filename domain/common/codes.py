"""The glossary of design section 4: codes used in data, labels shown on screen and in the tables."""

UNIT_TYPES = {
    "household": "居民户", "shop": "沿街商铺", "enterprise": "企业", "school": "学校/教育机构",
    "elderly_care": "养老机构", "other": "其他单位",
}
OUTCOMES = {"surveyed": "已排摸", "absent": "无人在家", "refused": "拒绝配合"}
MODES = {"door_to_door": "上门培训", "gathering": "集中授课", "online": "线上", "other": "其他"}
TRAINER_IDENTITIES = {
    "firefighter": "自称消防员/消防救援人员", "official": "自称政府或街道工作人员",
    "institution": "培训机构人员", "unknown": "不清楚",
}
PRODUCTS = {
    "fire_extinguisher": "灭火器", "fire_blanket": "灭火毯", "escape_descender": "逃生缓降器",
    "fire_sticker": "灭火贴", "escape_respirator": "过滤式消防自救呼吸器", "smoke_alarm": "独立式火灾探测报警器",
    "exit_sign_light": "消防应急标志灯具", "emergency_light": "消防应急照明灯具", "other": "其他",
}
CHANNELS = {
    "training": "培训现场", "door_to_door": "上门推销", "online_shop": "电商平台", "store": "实体店", "other": "其他",
}
# 机构性质: the problem list's column, and what decides which department checks an institution (design section 9).
INSTITUTION_NATURES = {
    "unknown": "不清楚", "enterprise": "企业/个体工商户", "social_org": "社会组织", "individual": "个人",
    "claims_official": "自称政府或消防部门",
}
PRODUCT_CHECKS = {"ccc_mark": "有3C标志", "id_label": "有消防产品身份信息标志", "sample_available": "可送检"}

# 附件2: where spot checks are made (its rows), and the department that enters each (design sections 4 and 6).
SPOT_CHECK_CHANNELS = {
    "store": "实体销售网点", "online_shop": "电商平台", "construction": "建设工程", "in_use": "使用领域",
    "training": "培训兜售",
}
CHANNEL_DEPARTMENTS = {
    "store": "shichang", "online_shop": "shichang", "construction": "jianshe", "in_use": "xiaofang",
    "training": "xiaofang",
}
