"""The default ten aid items (十大民生事项), seeded as data an admin can later rename, disable or extend.

Descriptions follow 《社会救助暂行办法》 and common Sichuan practice; they describe amounts in general
terms because the actual standards are set and adjusted locally. The only figure that is not from the
domain rules, the township's approval limit for 临时救助, is illustrative and marked as such.
"""

from __future__ import annotations

from typing import Any

STAGES: tuple[str, ...] = ("accept", "investigate", "verify", "review", "approve", "pay", "province")

_MATERIALS: dict[str, tuple[str, str]] = {
    "id_card": ("身份证正反面", "申请人身份证正面、背面各拍一张，字要看得清"),
    "hukou": ("户口簿", "拍户主页和申请人本人那一页"),
    "authorization": (
        "家庭经济状况核对授权书",
        "家里成年人都签字后拍照上传；空白授权书可到村（社区）或乡镇（街道）领取",
    ),
    "income_proof": ("家庭收入证明", "工资条、养老金或退休金单据、务工收入说明等，有哪样交哪样"),
    "disability_cert": ("残疾证", "拍有照片和残疾等级的那一页"),
    "medical_bills": ("医疗费用票据", "住院或门诊发票、费用清单和医保结算单"),
    "diagnosis": ("诊断证明或出院记录", "医院开具的诊断证明书或出院小结"),
    "school_proof": ("在校证明或录取通知书", "学校盖章的在读证明；新生可交录取通知书"),
    "house_photo": ("住房照片", "房屋外面和屋里的样子各拍几张"),
    "house_proof": ("住房情况证明", "租房合同、房屋产权证明或危房鉴定结论，有哪样交哪样"),
    "disaster_proof": ("受灾情况照片或证明", "房屋倒损、财物损失的照片，或村（社区）出具的受灾情况说明"),
    "hardship_proof": ("困难情况证明", "能说明突发困难的材料，如医院诊断、事故认定书、火灾证明等"),
    "unemployment_cert": ("失业登记证明", "《就业创业证》或人社部门的失业登记记录"),
    "bank_card": ("银行卡或存折", "申请人本人名下的，拍有卡号（账号）的一面，用于发放救助金"),
}


def _material(code: str, required: bool, hint: str | None = None) -> dict[str, Any]:
    """Returns a fresh material entry from the shared catalogue, optionally with an item-specific hint."""
    name, default_hint = _MATERIALS[code]
    return {"code": code, "name": name, "required": required, "hint": hint or default_hint}


def _options(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    """Returns select options from (value, label) pairs."""
    return [{"value": value, "label": label} for value, label in pairs]


def _limits(route: list[str], investigate: int) -> dict[str, dict[str, int]]:
    """Returns the default working-day limit of each stage in the route."""
    days = {"accept": 3, "investigate": investigate, "verify": 10, "review": 5, "approve": 10, "pay": 10,
            "province": 10}
    return {stage: {"working_days": days[stage]} for stage in route}


def _reason(label: str = "申请理由", hint: str = "简单说说家里的困难情况") -> dict[str, Any]:
    """Returns the free-text reason field most items ask for."""
    return {"name": "reason", "label": label, "type": "textarea", "required": True, "max_length": 500,
            "hint": hint}


def _item(
    code: str,
    name: str,
    short_name: str,
    name_en: str,
    description: str,
    materials: list[dict[str, Any]],
    form: list[dict[str, Any]],
    route: list[str],
    *,
    investigate_days: int = 10,
    notice_days: int = 0,
    payment: str | None = None,
    syncs_to_province: bool = False,
    whole_case_working_days: int | None = None,
    whole_case_extended_working_days: int | None = None,
    emergency_allowed: bool = False,
    emergency_hours: int | None = None,
    emergency_paperwork_working_days: int | None = None,
    township_approval_limit: int | None = None,
    sort_order: int,
) -> dict[str, Any]:
    """Returns one item dict with every key the catalogue stores."""
    return {
        "code": code,
        "name": name,
        "short_name": short_name,
        "name_en": name_en,
        "description": description,
        "materials": materials,
        "form": form,
        "route": route,
        "stage_limits": _limits(route, investigate_days),
        "notice_days": notice_days,
        "payment": payment,
        "syncs_to_province": syncs_to_province,
        "whole_case_working_days": whole_case_working_days,
        "whole_case_extended_working_days": whole_case_extended_working_days,
        "emergency_allowed": emergency_allowed,
        "emergency_hours": emergency_hours,
        "emergency_paperwork_working_days": emergency_paperwork_working_days,
        "township_approval_limit": township_approval_limit,
        "enabled": True,
        "sort_order": sort_order,
    }


DEFAULT_ITEMS: list[dict[str, Any]] = [
    _item(
        "dibao",
        "最低生活保障",
        "低保",
        "Minimum Living Allowance (Dibao)",
        "本地户籍、全家每人每月平均收入低于当地低保标准、家庭财产也符合规定的家庭，可以申请。"
        "批准后，按家庭人均收入和低保标准之间的差额，每月把低保金打到银行卡上。"
        "办理中会有工作人员上门了解情况，并在村（社区）公示7天；"
        "一般30个工作日内办完，情况复杂的最多延长到45个工作日。",
        [
            _material("id_card", True),
            _material("hukou", True),
            _material("authorization", True),
            _material("income_proof", False),
            _material("disability_cert", False, "家里有残疾人的请上传"),
            _material("medical_bills", False, "家里有人患大病、长期看病花钱多的请上传"),
            _material("bank_card", False, "批准后发钱用，现在没有可以以后补交"),
        ],
        [
            {"name": "householdSize", "label": "家庭人口数", "type": "integer", "required": True,
             "min": 1, "max": 20, "hint": "户口上和您一起生活的人，包括您自己"},
            {"name": "monthlyIncome", "label": "家庭每月总收入（元）", "type": "number", "required": True,
             "min": 0, "hint": "全家每月各种收入加起来，没有收入填0"},
            {"name": "housingType", "label": "住房情况", "type": "select", "required": True,
             "options": _options(("own", "自有住房"), ("rent", "租房"), ("borrowed", "借住亲友家"),
                                 ("other", "其他"))},
            {"name": "hasVehicle", "label": "家里是否有机动车", "type": "boolean", "required": True,
             "hint": "指小汽车、货车等"},
            _reason(),
        ],
        ["accept", "investigate", "verify", "review", "approve", "pay"],
        investigate_days=15,
        notice_days=7,
        payment="monthly",
        whole_case_working_days=30,
        whole_case_extended_working_days=45,
        sort_order=10,
    ),
    _item(
        "tekun",
        "特困人员救助供养",
        "特困供养",
        "Support for People in Extreme Poverty",
        "没有劳动能力、没有生活来源，也没有能养他的子女等亲属（或亲属没有能力）的老年人、残疾人和"
        "未满16周岁的未成年人，可以申请。"
        "批准后每月发放基本生活费，生活不能自理的还有照料护理费；本人愿意的，也可以住进敬老院集中供养。"
        "办理中会有工作人员上门了解情况，并在村（社区）公示7天，一般两个月左右办完。",
        [
            _material("id_card", True),
            _material("hukou", True),
            _material("authorization", True),
            _material("disability_cert", False, "有残疾的请上传"),
            _material("diagnosis", False, "患重病或生活不能自理的请上传"),
            _material("bank_card", False, "批准后发钱用，现在没有可以以后补交"),
        ],
        [
            {"name": "selfCareAbility", "label": "生活自理能力", "type": "select", "required": True,
             "options": _options(("full", "能自理"), ("partial", "部分不能自理"), ("none", "完全不能自理"))},
            {"name": "supporterStatus", "label": "赡养、抚养人情况", "type": "select", "required": True,
             "options": _options(("none", "没有赡养、抚养人"), ("unable", "有，但没有能力赡养、抚养"))},
            {"name": "supportPreference", "label": "希望的供养方式", "type": "select", "required": True,
             "options": _options(("home", "在家分散供养"), ("institution", "到敬老院（供养机构）集中供养"))},
            _reason(),
        ],
        ["accept", "investigate", "verify", "review", "approve", "pay"],
        investigate_days=15,
        notice_days=7,
        payment="monthly",
        sort_order=20,
    ),
    _item(
        "linshi",
        "临时救助",
        "临时救助",
        "Temporary Assistance",
        "因火灾、交通事故、突发重病等意外，或者看病、上学等必需开支突然增加，家里一时生活特别困难的，"
        "可以申请。一般一次性发给救助金或生活物品，金额按困难程度确定。"
        "乡镇（街道）在10个工作日内办理，金额较大的再报区里10个工作日内审批；"
        "情况紧急的先救助，受理后48小时内把救助送到，手续在5个工作日内补齐。",
        [
            _material("id_card", True),
            _material("hardship_proof", False),
            _material("hukou", False),
            _material("medical_bills", False, "因看病困难的请上传"),
            _material("bank_card", False, "发钱用，现在没有可以以后补交"),
        ],
        [
            {"name": "emergencyType", "label": "困难原因", "type": "select", "required": True,
             "options": _options(("illness", "突发重病"), ("accident", "意外事故"), ("fire", "火灾"),
                                 ("expense", "必需开支突然增加"), ("other", "其他"))},
            {"name": "occurredOn", "label": "困难发生日期", "type": "date", "required": False},
            {"name": "amountRequested", "label": "希望救助金额（元）", "type": "number", "required": False,
             "min": 0, "hint": "可以不填，由工作人员按实际情况核定"},
            {"name": "isUrgent", "label": "是否需要马上帮助", "type": "boolean", "required": True,
             "hint": "吃饭、看病马上就有困难、等不起的，请选“是”"},
            _reason(),
        ],
        ["accept", "investigate", "approve", "pay"],
        investigate_days=10,
        payment="once",
        emergency_allowed=True,
        emergency_hours=48,
        emergency_paperwork_working_days=5,
        # Illustrative figure: the township confirms up to this amount (元) alone; above it the district.
        township_approval_limit=1000,
        sort_order=30,
    ),
    _item(
        "yiliao",
        "医疗救助",
        "医疗救助",
        "Medical Assistance",
        "低保对象、特困人员、低收入家庭成员，以及看病自己花钱太多、家里负担不起的困难群众，可以申请。"
        "医保和大病保险报销以后，对自己出的那部分钱按一定比例补助，一次性发放。"
        "交齐发票和费用清单后，经核对、审批，一般一个半月左右办完。",
        [
            _material("id_card", True),
            _material("medical_bills", True),
            _material("diagnosis", False),
            _material("hukou", False),
            _material("authorization", False, "已经是低保、特困对象的不用交"),
            _material("bank_card", False, "发钱用，现在没有可以以后补交"),
        ],
        [
            {"name": "hospital", "label": "就诊医院", "type": "text", "required": True, "max_length": 100},
            {"name": "illness", "label": "疾病名称", "type": "text", "required": False, "max_length": 100},
            {"name": "visitDate", "label": "就诊或出院日期", "type": "date", "required": False},
            {"name": "totalCost", "label": "医疗总费用（元）", "type": "number", "required": True, "min": 0},
            {"name": "selfPaid", "label": "个人自付费用（元）", "type": "number", "required": True, "min": 0,
             "hint": "医保报销以后自己出的钱"},
        ],
        ["accept", "verify", "approve", "pay"],
        payment="once",
        sort_order=40,
    ),
    _item(
        "jiaoyu",
        "教育救助",
        "教育救助",
        "Education Assistance",
        "低保家庭、特困人员和其他困难家庭中正在上学的孩子（从幼儿园到大学），可以申请。"
        "按上学阶段，以减免费用、发放助学金或生活补助等方式帮助，一般一次性发放。"
        "材料齐全的，经核对、审批，一般一个半月左右办完。",
        [
            _material("id_card", True, "申请人（家长或学生本人）身份证正面、背面各拍一张"),
            _material("school_proof", True),
            _material("hukou", False),
            _material("authorization", False, "已经是低保、特困对象的不用交"),
            _material("bank_card", False, "发钱用，现在没有可以以后补交"),
        ],
        [
            {"name": "studentName", "label": "学生姓名", "type": "text", "required": True, "max_length": 30},
            {"name": "school", "label": "就读学校", "type": "text", "required": True, "max_length": 100},
            {"name": "grade", "label": "就读阶段", "type": "select", "required": True,
             "options": _options(("preschool", "幼儿园"), ("primary", "小学"), ("junior", "初中"),
                                 ("senior", "普通高中"), ("vocational", "中职"), ("college", "大专"),
                                 ("undergraduate", "本科"))},
            {"name": "enrollmentYear", "label": "入学年份", "type": "integer", "required": False,
             "min": 2000, "max": 2100},
        ],
        ["accept", "verify", "approve", "pay"],
        payment="once",
        sort_order=50,
    ),
    _item(
        "zhufang",
        "住房救助",
        "住房救助",
        "Housing Assistance",
        "住房困难、符合规定标准的低保家庭、特困人员等，可以申请。"
        "主要通过安排公租房、发放住房租赁补贴、补助农村危房改造等方式解决住的问题。"
        "工作人员会上门查看住房情况，经核对、审批后落实，一般两个月左右办完。",
        [
            _material("id_card", True),
            _material("hukou", True),
            _material("authorization", True),
            _material("house_photo", False),
            _material("house_proof", False),
            _material("bank_card", False, "发钱用，现在没有可以以后补交"),
        ],
        [
            {"name": "housingProblem", "label": "住房困难情况", "type": "select", "required": True,
             "options": _options(("no_house", "没有住房"), ("unsafe", "住房是危房"),
                                 ("rent_burden", "租房负担太重"), ("other", "其他"))},
            {"name": "assistanceType", "label": "希望的救助方式", "type": "select", "required": True,
             "options": _options(("public_rental", "安排公租房"), ("rent_subsidy", "发放租赁补贴"),
                                 ("renovation", "危房改造补助"))},
            {"name": "householdSize", "label": "家庭人口数", "type": "integer", "required": True,
             "min": 1, "max": 20},
            _reason(),
        ],
        ["accept", "investigate", "verify", "approve", "pay"],
        investigate_days=15,
        payment="once",
        sort_order=60,
    ),
    _item(
        "jiuye",
        "就业救助",
        "就业救助",
        "Employment Assistance",
        "低保家庭中有劳动能力、目前没有工作的成员，可以申请。"
        "可以得到推荐工作岗位、免费技能培训、公益性岗位安置、创业贷款贴息和社保补贴等帮助。"
        "工作人员上门了解情况后审批，一般一个月左右办完。",
        [
            _material("id_card", True),
            _material("unemployment_cert", False, "还没办失业登记的可以先申请，工作人员会帮您办理"),
            _material("hukou", False),
        ],
        [
            {"name": "helpWanted", "label": "希望得到的帮助", "type": "select", "required": True,
             "options": _options(("job_referral", "推荐工作"), ("training", "技能培训"),
                                 ("public_post", "公益性岗位"), ("startup", "创业帮扶"))},
            {"name": "education", "label": "文化程度", "type": "select", "required": False,
             "options": _options(("primary", "小学及以下"), ("junior", "初中"), ("senior", "高中或中专"),
                                 ("college", "大专及以上"))},
            {"name": "unemployedSince", "label": "从什么时候开始没有工作", "type": "date", "required": False},
            {"name": "skills", "label": "会做什么、想学什么", "type": "textarea", "required": False,
             "max_length": 200},
        ],
        ["accept", "investigate", "approve"],
        investigate_days=10,
        sort_order=70,
    ),
    _item(
        "shouzai",
        "受灾人员救助",
        "受灾救助",
        "Disaster Victim Assistance",
        "因洪水、地震、山体滑坡、风雹等自然灾害，吃穿住等基本生活遇到困难、房屋倒塌或损坏的家庭，可以申请。"
        "可以得到应急生活救助、过渡期生活补助、冬春生活救助和倒损房屋恢复重建补助等，补助一次性发放。"
        "乡镇（街道）上门核实灾情后报区里审批，一般一个月左右办完。",
        [
            _material("id_card", True),
            _material("disaster_proof", False, "方便的话拍几张受灾照片；不方便的，工作人员上门时会查看"),
            _material("hukou", False),
            _material("bank_card", False, "发钱用，现在没有可以以后补交"),
        ],
        [
            {"name": "disasterType", "label": "灾害种类", "type": "select", "required": True,
             "options": _options(("flood", "洪涝"), ("earthquake", "地震"), ("landslide", "山体滑坡、泥石流"),
                                 ("storm", "风雹"), ("other", "其他"))},
            {"name": "occurredOn", "label": "受灾日期", "type": "date", "required": True},
            {"name": "houseDamage", "label": "房屋受损情况", "type": "select", "required": True,
             "options": _options(("none", "没有受损"), ("minor", "一般损坏"), ("severe", "严重损坏"),
                                 ("collapsed", "倒塌"))},
            _reason("受灾情况", "简单说说家里哪些东西受了损失、现在生活有什么困难"),
        ],
        ["accept", "investigate", "approve", "pay"],
        investigate_days=10,
        payment="once",
        sort_order=80,
    ),
    _item(
        "gaoling",
        "高龄津贴",
        "高龄津贴",
        "Old-Age Allowance",
        "年满80周岁、户籍在四川的老年人可以申请，不看家庭收入。"
        "批准后每月把津贴打到银行卡上，金额按年龄段（80到89岁、90到99岁、100岁及以上）确定，年纪越大越多。"
        "受理后，申请会马上送到省高龄津贴管理系统审核，结果出来就能在手机上看到。",
        [
            _material("id_card", True),
            _material("hukou", False),
            _material("bank_card", True, "老人本人名下的，拍有卡号（账号）的一面，津贴打到这张卡上"),
        ],
        [
            {"name": "livingArrangement", "label": "居住情况", "type": "select", "required": False,
             "options": _options(("alone", "独自居住"), ("with_spouse", "和老伴同住"),
                                 ("with_children", "和子女同住"), ("institution", "住养老机构"),
                                 ("other", "其他"))},
            {"name": "remarks", "label": "其他说明", "type": "textarea", "required": False, "max_length": 200},
        ],
        ["accept", "province", "pay"],
        payment="monthly",
        syncs_to_province=True,
        sort_order=90,
    ),
    _item(
        "canji",
        "残疾人两项补贴",
        "残疾人补贴",
        "Disability Subsidies (Living and Nursing Care)",
        "困难残疾人生活补贴面向低保家庭等困难家庭中的残疾人；重度残疾人护理补贴面向残疾等级为一级、"
        "二级且需要长期照护的残疾人。两项补贴都按月发到银行卡上，符合条件的可以同时申请。"
        "乡镇（街道）上门了解情况后报区里审批，一般两个月左右办完。",
        [
            _material("id_card", True),
            _material("disability_cert", True, "第二代残疾人证，拍有照片和残疾等级的那一页"),
            _material("hukou", False),
            _material("income_proof", False, "申请生活补贴、又不是低保家庭的请上传"),
            _material("bank_card", False, "发钱用，现在没有可以以后补交"),
        ],
        [
            {"name": "disabilityLevel", "label": "残疾等级", "type": "select", "required": True,
             "options": _options(("1", "一级"), ("2", "二级"), ("3", "三级"), ("4", "四级"))},
            {"name": "disabilityType", "label": "残疾类别", "type": "select", "required": True,
             "options": _options(("visual", "视力残疾"), ("hearing", "听力残疾"), ("speech", "言语残疾"),
                                 ("physical", "肢体残疾"), ("intellectual", "智力残疾"),
                                 ("mental", "精神残疾"), ("multiple", "多重残疾"))},
            {"name": "subsidyType", "label": "申请的补贴", "type": "select", "required": True,
             "options": _options(("living", "困难残疾人生活补贴"), ("care", "重度残疾人护理补贴"),
                                 ("both", "两项都申请"))},
            {"name": "disabilityCertNo", "label": "残疾证号", "type": "text", "required": False,
             "max_length": 30},
        ],
        ["accept", "investigate", "approve", "pay"],
        investigate_days=15,
        payment="monthly",
        sort_order=100,
    ),
]
