"""The columns of an import file and how headers are recognised, in Chinese or English.

Pure (no Flask, no database). A header is folded (NFKC, case-folded, spaces, punctuation and
parenthesised hints such as 「（万元）」 or "(1-9)" removed) and looked up among each column's
Chinese and English names and the common variants of real spreadsheets (成果名称 / 项目名称 /
title). A header such as 「成果名称 / Title」 or 「成果名称\\nTitle」 (the template's) is tried
whole, then part by part.
"""
import re
import unicodedata
from dataclasses import dataclass

OUTPUTS = "outputs"
NEEDS = "needs"
KINDS = (OUTPUTS, NEEDS)


@dataclass(frozen=True)
class Column:
    key: str  # the form field it fills, or ref / organisation / status
    zh: str
    en: str
    variants: tuple[str, ...] = ()
    required: bool = False  # for a new record (an update keeps what the file leaves out)
    help_zh: str = ""
    help_en: str = ""
    example: str = ""

    @property
    def header(self) -> str:
        """Return the template's header: both languages, one per line."""
        return f"{self.zh}\n{self.en}"


_REF = Column("ref", "编号", "ID", ("成果编号", "需求编号", "外部编号", "记录编号", "ref", "id",
                                   "external id", "record id"),
              help_zh="可选。您系统中的唯一编号；再次导入同一编号时更新该条记录，而不是新建。",
              help_en="Optional. Your own unique ID; importing the same ID again updates that "
                      "record instead of creating a new one.", example="QCUT-2026-001")
_KEYWORDS = Column("keywords", "关键词", "Keywords", ("关键字", "keyword", "tags", "标签"),
                   help_zh="用逗号、顿号或分号分隔，最多 12 个。",
                   help_en="Separated by commas or semicolons; at most 12.",
                   example="PEM，电解槽")
_CHAIN = Column("chain", "产业链", "Sector chain", ("所属产业链", "产业领域", "所属领域", "chain",
                                                  "industry chain", "sector"),
                help_zh="可选。产业链名称（中文或英文）或代码，见“允许值”。",
                help_en="Optional. The chain's name (Chinese or English) or key; see the allowed "
                        "values.", example="氢能")
_SEGMENT = Column("segment", "环节", "Segment", ("产业链环节", "细分环节", "细分领域", "segment"),
                  help_zh="可选。所选产业链的环节名称；填写环节时须同时填写产业链。",
                  help_en="Optional. A segment of the chosen chain; a segment needs a chain.",
                  example="制氢")
_MODES = Column("modes", "转化方式", "Transfer modes", (
    "合作方式", "转让方式", "交易方式", "转移转化方式", "modes", "mode", "transfer mode",
    "cooperation mode"), required=True,
    help_zh="至少一种，多个用逗号分隔，见“允许值”。",
    help_en="At least one; several separated by commas; see the allowed values.",
    example="许可，合作研发")
_STATUS = Column("status", "状态", "Status", ("发布状态", "status", "publication status"),
                 help_zh="可选，默认“草稿”。填写“已发布”时须满足发布要求（标题和简介足够具体）。",
                 help_en="Optional; draft by default. “Published” needs a specific title and "
                         "text, as on the form.", example="草稿")

OUTPUT_COLUMNS = (
    _REF,
    Column("organisation", "完成单位", "Institution", (
        "单位", "单位名称", "机构", "机构名称", "所属单位", "所属机构", "成果单位", "高校院所",
        "依托单位", "institution", "organisation", "organization", "university"),
        help_zh="高校或院所的全称、简称或英文名。机构成员可留空（即本单位）；运营人员必填。",
        help_en="The university or institute: full name, short name or English name. Members "
                "may leave it empty (their own); operators must fill it.",
        example="秦川理工大学"),
    Column("title", "成果名称", "Title", (
        "项目名称", "名称", "标题", "技术名称", "成果标题", "科技成果名称", "title", "name",
        "output title", "project name"), required=True,
        help_zh="必填，最多 200 字。", help_en="Required; at most 200 characters.",
        example="兆瓦级PEM电解槽膜电极批量制备技术"),
    Column("abstract", "成果简介", "Abstract", (
        "简介", "摘要", "成果介绍", "技术简介", "成果摘要", "内容简介", "abstract", "summary",
        "description"), required=True,
        help_zh="必填，最多 5000 字。", help_en="Required; at most 5000 characters.",
        example="面向兆瓦级电解槽……"),
    _KEYWORDS,
    Column("inventors", "团队/发明人", "Team / inventors", (
        "发明人", "团队", "完成人", "成果完成人", "负责人", "团队成员", "inventors", "inventor",
        "team"), help_zh="用逗号分隔，最多 30 人。", help_en="Separated by commas; at most 30.",
        example="张三，李四"),
    _CHAIN,
    _SEGMENT,
    Column("trl", "技术成熟度", "TRL", (
        "成熟度", "技术成熟度等级", "技术就绪度", "trl", "readiness", "readiness level",
        "technology readiness level"), required=True,
        help_zh="必填，1 到 9 的整数（可写“TRL 6”）。",
        help_en="Required; a whole number from 1 to 9 (“TRL 6” is read too).", example="6"),
    _MODES,
    Column("patents", "专利", "Patents", ("专利信息", "相关专利", "知识产权", "patents", "patent"),
           help_zh="每行一项：专利号; IPC 分类号（逗号分隔）; 状态（申请中/已授权/PCT）。",
           help_en="One per line: number; IPC codes separated by commas; status (filed / "
                   "granted / PCT).", example="ZL202110345678.2; C25B 1/04; 已授权"),
    Column("price_min", "最低价格（万元）", "Asking price from (10k yuan)", (
        "价格下限", "最低价格", "意向价格下限", "转让价格下限", "price from", "price min",
        "min price", "minimum price"),
        help_zh="可选，单位万元。", help_en="Optional; in 10k yuan.", example="120"),
    Column("price_max", "最高价格（万元）", "Asking price to (10k yuan)", (
        "价格上限", "最高价格", "意向价格上限", "转让价格上限", "price to", "price max",
        "max price", "maximum price"),
        help_zh="可选，单位万元，不低于最低价格。",
        help_en="Optional; in 10k yuan; not below the lowest.", example="300"),
    Column("reform_status", "赋权改革状态", "Reform status", (
        "改革状态", "赋权改革", "赋权状态", "职务科技成果赋权", "reform status", "reform"),
        help_zh="可选，默认“未参与”，见“允许值”。",
        help_en="Optional; “none” by default; see the allowed values.", example=""),
    _STATUS,
)

NEED_COLUMNS = (
    _REF,
    Column("organisation", "企业名称", "Enterprise", (
        "企业", "公司", "公司名称", "需求单位", "需求企业", "单位", "单位名称", "enterprise",
        "company", "organisation", "organization"),
        help_zh="企业全称、简称或英文名。企业成员可留空（即本企业）；运营人员必填。",
        help_en="The enterprise: full name, short name or English name. Members may leave it "
                "empty (their own); operators must fill it.", example=""),
    Column("title", "需求名称", "Title", (
        "需求标题", "项目名称", "名称", "标题", "技术需求名称", "需求", "title", "name",
        "need title"), required=True,
        help_zh="必填，最多 200 字。", help_en="Required; at most 200 characters.",
        example="提高激光选区熔化用TC4球形粉细粒段产出比例"),
    Column("description", "需求描述", "Description", (
        "描述", "需求内容", "需求简介", "问题描述", "需求详情", "简介", "description",
        "details", "problem"), required=True,
        help_zh="必填，最多 5000 字。", help_en="Required; at most 5000 characters.",
        example="我公司现有……"),
    _KEYWORDS,
    _CHAIN,
    _SEGMENT,
    Column("min_trl", "最低成熟度", "Minimum TRL", (
        "最低技术成熟度", "成熟度要求", "技术成熟度", "min trl", "minimum trl", "trl"),
        help_zh="可选，1 到 9 的整数。", help_en="Optional; a whole number from 1 to 9.",
        example="5"),
    _MODES,
    Column("budget_min", "预算下限（万元）", "Budget from (10k yuan)", (
        "预算下限", "最低预算", "budget from", "budget min", "min budget"),
        help_zh="可选，单位万元。", help_en="Optional; in 10k yuan.", example="200"),
    Column("budget_max", "预算上限（万元）", "Budget to (10k yuan)", (
        "预算上限", "最高预算", "预算", "budget to", "budget max", "max budget", "budget"),
        help_zh="可选，单位万元，不低于预算下限。",
        help_en="Optional; in 10k yuan; not below the lowest.", example="500"),
    Column("deadline", "截止日期", "Deadline", (
        "截止时间", "需求截止日期", "有效期", "deadline", "due date"),
        help_zh="可选，日期（2027-03-31），不得早于今天。",
        help_en="Optional; a date (2027-03-31), not in the past.", example="2027-03-31"),
    Column("region", "落地地区", "Where it should land", (
        "地区", "所在地区", "落地区域", "区域", "region", "location"),
        help_zh="可选，见“允许值”。", help_en="Optional; see the allowed values.",
        example="西安市"),
    Column("is_challenge", "揭榜挂帅", "Open challenge", (
        "是否揭榜挂帅", "是否揭榜", "揭榜", "open challenge", "challenge"),
        help_zh="可选：是 / 否。揭榜挂帅须填写奖金。",
        help_en="Optional: yes / no. An open challenge needs a prize.", example="否"),
    Column("prize", "奖金（万元）", "Prize (10k yuan)", (
        "奖金", "榜单金额", "揭榜金额", "prize", "award"),
        help_zh="揭榜挂帅时必填，单位万元。", help_en="Needed for an open challenge; in 10k yuan.",
        example=""),
    _STATUS,
)

COLUMNS = {OUTPUTS: OUTPUT_COLUMNS, NEEDS: NEED_COLUMNS}

# Words real sheets use for the transfer modes beside the platform's own labels.
MODE_VARIANTS = {
    "合作研发": "joint_rd", "联合研发": "joint_rd", "联合开发": "joint_rd", "技术开发": "joint_rd",
    "转让": "assignment", "技术转让": "assignment", "专利转让": "assignment",
    "普通许可": "licence", "许可使用": "licence", "实施许可": "licence", "license": "licence",
    "独占许可": "exclusive_licence", "排他许可": "exclusive_licence",
    "exclusive license": "exclusive_licence",
    "入股": "equity", "技术入股": "equity", "作价投资": "equity",
    "托管": "custody",
}

_HINT = re.compile(r"[（(【\[<《][^）)】\]>》]*[）)】\]>》]")
_DROP = re.compile(r"[\s\*＊:：_\-—·.。、,，'\"“”‘’?？!！]+")
_PARTS = re.compile(r"\s*(?:/|／|\||\n)\s*")


def fold_header(text) -> str:
    """Return the comparable form of a header: NFKC, case-folded, hints and punctuation out."""
    text = unicodedata.normalize("NFKC", str(text or "")).casefold()
    text = _HINT.sub("", text)
    return _DROP.sub("", text)


def _names(column: Column) -> set[str]:
    return {fold_header(n) for n in (column.key, column.zh, column.en, *column.variants)} - {""}


def _lookup(kind: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for column in COLUMNS[kind]:
        for name in _names(column):
            table.setdefault(name, column.key)
    return table


_LOOKUP = {kind: _lookup(kind) for kind in KINDS}


def match_header(kind: str, header) -> str | None:
    """Return the column key that header names, or None."""
    table = _LOOKUP[kind]
    whole = fold_header(header)
    if not whole:
        return None
    if whole in table:
        return table[whole]
    for part in _PARTS.split(unicodedata.normalize("NFKC", str(header))):
        key = table.get(fold_header(part))
        if key:
            return key
    return None


@dataclass(frozen=True)
class HeaderMap:
    columns: dict[int, str]  # cell index -> column key
    headers: dict[int, str]  # cell index -> the header as written
    ignored: list[str]  # headers that name no column (or a column already taken)
    missing: list[str]  # keys of required columns the file lacks

    def header_of(self, key: str) -> str:
        """Return the header the file uses for column key (its own words)."""
        for index, found in self.columns.items():
            if found == key:
                return self.headers[index]
        return key


def map_headers(kind: str, headers: list) -> HeaderMap:
    """Map a header row to column keys; the first of two headers naming one column wins."""
    columns, written, ignored = {}, {}, []
    for index, header in enumerate(headers):
        text = "" if header is None else str(header).strip()
        if not text:
            continue
        written[index] = text
        key = match_header(kind, text)
        if key is None or key in columns.values():
            ignored.append(text)
            continue
        columns[index] = key
    missing = [c.key for c in COLUMNS[kind] if c.required and c.key not in columns.values()]
    return HeaderMap(columns, written, ignored, missing)


def known_count(kind: str, cells: list) -> int:
    """Return how many cells of a row are headers of kind (to find the header row)."""
    return len({match_header(kind, c) for c in cells if c not in (None, "")} - {None})
