"""Write seed_data/deals/<chain>.json: the demo brokers' deals, built on the seed listings.

Run once by hand (`python scripts/make_seed_deals.py`); the JSON files are the seed data, this
script only explains how they were made and lets them be regenerated after the listings change.
Deterministic: the same listings give the same files.

Which deals: every listing whose seed status says a deal exists (output under negotiation or
transferred, need matched or solved) gets the deal that explains it, paired with its best
judged counterpart (seed_data/judgments, grade 3 or 2) when that is public; then more judged
pairs fill every broker's board across all stages, some lost with reasons, some overdue,
some stale, some snoozed. Days are relative to the load day (negative: in the past).
"""
import json
import random
import zlib
from collections import Counter, defaultdict
from pathlib import Path

SEED = Path(__file__).resolve().parent.parent / "seed_data"
CHAINS = ["hydrogen", "photonics", "photovoltaics", "icv", "additive", "semiconductor"]
PUBLIC_OUT = {"published", "under_negotiation", "transferred"}
PUBLIC_NEED = {"published", "matched", "solved"}
HOME = {"西安市", "西咸新区", "咸阳市", "宝鸡市", "渭南市", "榆林市", "延安市", "汉中市", "铜川市",
        "商洛市", "安康市"}

# Per chain, how many more deals at each stage besides those the listings' statuses call for.
FILL = ["discovered", "discovered", "qualified", "qualified", "introduced", "negotiating",
        "negotiating", "contract_signed", "landed", "serving", "showcased", "lost", "lost",
        "lost"]
ORDER = ["discovered", "qualified", "introduced", "negotiating", "contract_signed", "landed",
         "serving", "showcased"]
# How long a deal usually spends in each stage (days), to lay out a story backwards.
SPAN = {"discovered": 12, "qualified": 14, "introduced": 16, "negotiating": 25,
        "contract_signed": 20, "landed": 18, "serving": 40, "showcased": 30}
TAIL = {"discovered": 3, "qualified": 1, "introduced": 7, "negotiating": 6,
        "contract_signed": 1, "landed": 1, "serving": 16, "showcased": 1}
STALE_AFTER = {"discovered": 30, "qualified": 30, "introduced": 21, "negotiating": 21,
               "contract_signed": 45, "landed": 60, "serving": 60, "showcased": 90}

CONTRACT_TYPE = {"assignment": "transfer", "rights_transfer": "transfer", "equity": "transfer",
                 "invest_then_equity": "transfer", "licence": "licence",
                 "exclusive_licence": "licence", "pay_later": "licence",
                 "joint_rd": "development", "custody": "service"}
PAYMENT = {"pay_later": "pay_later", "equity": "equity", "invest_then_equity": "equity",
           "licence": "royalty", "exclusive_licence": "lump_sum", "assignment": "lump_sum",
           "rights_transfer": "lump_sum", "joint_rd": "lump_sum", "custody": "lump_sum"}
LOST = [("no_budget", "企业今年的技改预算被压缩，项目推迟到明年再议。"),
        ("price", "课题组坚持一次性转让价格，企业只接受提成方式，几轮沟通后仍谈不拢。"),
        ("tech_not_ready", "企业现场小试结果达不到量产要求，判断技术还需要一到两年中试。"),
        ("ip_issue", "核心专利仍在实审阶段且有一项权利要求被驳回，企业法务不同意签约。"),
        ("team_unwilling", "团队负责人倾向自己创业，不愿以许可方式转给现有企业。"),
        ("need_changed", "企业调整了产品路线，原需求不再推进。"),
        ("competitor", "企业最终选择了外省一家研究院的方案，报价更低。"),
        ("no_response", "连续三次联系企业技术负责人均无回复，暂时关闭。"),
        ("landed_elsewhere", "团队拿到苏州的落地补贴，项目落在省外，本地无法跟进。")]
LOST_EN = {"no_budget": "The company's capex budget was cut; they will revisit next year.",
           "price": "The lab insisted on a lump sum and the company only accepts royalties.",
           "tech_not_ready": "Pilot results fell short of production requirements.",
           "ip_issue": "The core patent is still under examination; legal would not sign.",
           "team_unwilling": "The PI prefers to start his own company rather than license.",
           "need_changed": "The company changed its product roadmap; the need is dropped.",
           "competitor": "The company chose a cheaper solution from another province.",
           "no_response": "Three follow-ups without an answer; closing for now.",
           "landed_elsewhere": "The team took a subsidy in Suzhou and landed outside Shaanxi."}
TICKETS = [("registration", "协助办理公司注册和税务登记", "已取得营业执照，完成税务登记。",
             "Company and tax registration", "Business licence and tax registration done."),
            ("policy", "申报秦创原科技成果转化项目补助", "补助申报材料已提交，进入专家评审。",
             "Apply for the Qinchuangyuan conversion grant", "Application filed; under review."),
            ("financing", "对接技术交易信用贷", "合作银行审批通过。",
             "Technology-transaction credit loan", "Approved by the partner bank."),
            ("space", "协调孵化器办公和中试场地", "入驻西咸新区孵化器，面积约600平方米。",
             "Incubator office and pilot space", "Moved into a 600 m² unit in Xixian."),
            ("legal", "审核股权结构与技术入股协议", "律师完成协议审核，修改了回购条款。",
             "Review the equity structure and agreement", "Lawyers revised the buy-back clause."),
            ("ip", "办理专利权转让登记和许可备案", "国家知识产权局备案完成。",
             "Register the patent transfer and licence", "Recorded at CNIPA."),
            ("talent", "推荐两名工艺工程师并申报人才公寓", "两名工程师已入职。",
             "Recruit two process engineers; talent housing", "Both engineers have started."),
            ("pilot", "预约概念验证中心开展中试验证", "中试数据达到合同约定指标。",
             "Book the concept-verification centre for the pilot", "Pilot met the contract's targets.")]


def _read(folder: str) -> dict[str, dict]:
    rows = {}
    for path in sorted((SEED / folder).glob("*.json")):
        for row in json.loads(path.read_text(encoding="utf-8")):
            rows[row["key"]] = row
    return rows


def _pairs() -> dict[str, list[tuple[int, str]]]:
    best = defaultdict(list)
    for path in sorted((SEED / "judgments").glob("*.tsv")):
        for line in path.read_text().splitlines():
            need, _zero, output, grade = line.split()
            if int(grade) >= 2:
                best[need].append((int(grade), output))
    return {need: sorted(found, key=lambda g: (-g[0], g[1])) for need, found in best.items()}


OUTPUTS, NEEDS = _read("outputs"), _read("needs")
ENTERPRISES = _read("enterprises")
INSTITUTIONS = {row["key"]: row for row in json.loads((SEED / "institutions.json").read_text())}
BROKERS = json.loads((SEED / "brokers.json").read_text())
PAIRS = _pairs()


def _rng(key: str) -> random.Random:
    return random.Random(zlib.crc32(key.encode()))


def _plan() -> list[dict]:
    """Return (stage, output key, need key, chain) of every deal to write."""
    used_out, used_need, plan = set(), set(), []

    def best_output(need_key):
        return next((o for _g, o in PAIRS.get(need_key, ()) if o not in used_out
                     and OUTPUTS[o]["status"] in PUBLIC_OUT and OUTPUTS[o]["status"] != "transferred"),
                    None)

    def best_need(output_key):
        found = [(g, n) for n, pairs in PAIRS.items() for g, o in pairs if o == output_key]
        return next((n for _g, n in sorted(found, key=lambda f: (-f[0], f[1]))
                     if n not in used_need and NEEDS[n]["status"] in PUBLIC_NEED
                     and NEEDS[n]["status"] != "solved"), None)

    def add(stage, output, need, **extra):
        used_out.add(output)
        used_need.add(need)
        chain = (OUTPUTS[output] if output else NEEDS[need])["chain"]
        plan.append({"stage": stage, "output": output, "need": need, "chain": chain, **extra})

    cycle = {"transferred": ["contract_signed", "landed", "serving", "showcased"],
             "under_negotiation": ["introduced", "negotiating"]}
    for status, stages in cycle.items():
        keys = sorted(k for k, o in OUTPUTS.items() if o["status"] == status)
        for i, key in enumerate(keys):
            if key not in used_out:
                add(stages[i % len(stages)], key, best_need(key))
    for status, stages in {"solved": ["contract_signed", "landed", "serving"],
                           "matched": ["introduced", "negotiating"]}.items():
        keys = sorted(k for k, n in NEEDS.items() if n["status"] == status)
        for i, key in enumerate(keys):
            if key not in used_need:
                add(stages[i % len(stages)], best_output(key), key)
    for chain in CHAINS:
        needs = sorted(k for k, n in NEEDS.items() if n["chain"] == chain
                       and n["status"] == "published" and k not in used_need)
        for i, stage in enumerate(FILL):
            need = next((n for n in needs[i:] + needs[:i]
                         if n not in used_need and best_output(n)), None)
            if need is None:
                continue
            output = best_output(need)
            if stage == "discovered" and i % 2:  # a lead from a lab visit: no need yet
                add(stage, output, None)
                used_need.discard(need)
            else:
                add(stage, output, need)
    return plan


def _assign(plan: list[dict]) -> None:
    """Give each deal to a broker of its chain: the one with the fewest deals at that stage,
    then the fewest deals, so every board fills across the stages."""
    per_stage, total = Counter(), Counter()
    for deal in sorted(plan, key=lambda d: (ORDER.index(d["stage"]) if d["stage"] in ORDER
                                            else 99, d["output"] or "", d["need"] or "")):
        fits = [b["key"] for b in BROKERS if deal["chain"] in b["chains"]]
        owner = min(fits, key=lambda b: (per_stage[b, deal["stage"]], total[b], b))
        deal["owner"] = owner
        per_stage[owner, deal["stage"]] += 1
        total[owner] += 1


class Story:
    """Steps of one deal, written in the broker's voice."""

    def __init__(self, deal: dict, index: int):
        self.deal, self.rng = deal, _rng(f"{deal['output']}{deal['need']}{deal['stage']}")
        self.output = OUTPUTS.get(deal["output"]) if deal["output"] else None
        self.need = NEEDS.get(deal["need"]) if deal["need"] else None
        self.english = deal["owner"] == "broker-emily-zhou"
        self.index = index
        self.steps: list[dict] = []
        self.institution = INSTITUTIONS[self.output["institution"]] if self.output else None
        self.enterprise = ENTERPRISES[self.need["enterprise"]] if self.need else None

    def t(self, zh: str, en: str) -> str:
        return en if self.english else zh

    def step(self, day: int, do: str, **fields) -> None:
        hour = 9 + self.rng.randrange(9)
        self.steps.append({"day": day, "at": f"{hour:02d}:{self.rng.choice(['00', '30'])}",
                           "do": do, **fields})

    @property
    def lead(self) -> str:
        return self.output["inventors"][0] if self.output and self.output["inventors"] else "课题组"

    @property
    def lab(self) -> str:
        return self.institution["name"] if self.institution else "合作院所"

    @property
    def firm(self) -> str:
        return self.enterprise["name"] if self.enterprise else "意向企业"

    def mode(self) -> str:
        modes = (self.output or self.need)["modes"]
        need_modes = self.need["modes"] if self.need else modes
        common = [m for m in modes if m in need_modes]
        return (common or modes)[0]

    def price(self) -> int:
        if not hasattr(self, "_price"):
            self._price = self._draw_price()
        return self._price

    def _draw_price(self) -> int:
        source = self.output or {}
        low, high = source.get("price_min"), source.get("price_max")
        if low is None and self.need:
            low, high = self.need.get("budget_min"), self.need.get("budget_max")
        low, high = low or 60, high or (low or 60) * 2
        return int(round((low + (high - low) * self.rng.random()) / 5) * 5) or 50

    def write(self) -> dict:
        stage, lost = self.deal["stage"], self.deal["stage"] == "lost"
        target = self.deal.get("lost_at", stage) if lost else stage
        reach = ORDER.index(target)
        # Lay the story out backwards from its last event.
        last = -self.rng.randrange(1, 9)
        if self.deal.get("stale"):
            last = -(STALE_AFTER[target] + self.rng.randrange(3, 12))
        spans = [SPAN[s] + self.rng.randrange(-4, 6) for s in ORDER[:reach + 1]]
        tail = TAIL.get(target, 2)  # the days the last stage's own steps take
        day = start = last - sum(spans[:-1]) - tail - self.rng.randrange(1, 4)
        self._open(day)
        introduced = self.deal.get("introduction") and self.need and self.output
        for stage_index in range(1, reach + 1):
            day += spans[stage_index - 1]
            if introduced and ORDER[stage_index] in ("qualified", "introduced"):
                continue  # an accepted introduction starts the deal at "introduced"
            self._enter(ORDER[stage_index], day, spans[stage_index - 1])
        day = max(day + tail + 1, last)
        assert start < day <= 0, (self.deal, start, day)
        if lost:
            reason, text = LOST[self.index % len(LOST)]
            self.step(day, "move", to="lost", reason=self.t(text, LOST_EN[reason]),
                      lost_reason=reason)
        else:
            self._finish(target, day)
        self.steps.sort(key=lambda step: step["day"])  # stable: same-day steps keep their order
        for previous, step in zip(self.steps, self.steps[1:], strict=False):
            if step["day"] == previous["day"] and step["at"] <= previous["at"]:
                hour, minute = (int(x) for x in previous["at"].split(":"))
                step["at"] = f"{min(hour + 1, 23):02d}:{minute:02d}"
        record = {"key": self.deal["key"], "owner": self.deal["owner"],
                  "output": self.deal["output"], "need": self.deal["need"],
                  "expected_value": self.price() if self.deal["stage"] != "discovered"
                  or self.index % 2 else None,
                  "transfer_mode": self.mode() if reach >= 3 else None,
                  "steps": self.steps}
        return {k: v for k, v in record.items() if v is not None}

    # --- the stages -----------------------------------------------------------------------------

    def _open(self, day: int) -> None:
        if self.deal.get("introduction") and self.need and self.output:
            self.step(day, "introduction", requested_by=self.need["enterprise"],
                      message=self.t(f"看到平台推荐的「{self.output['title']}」，希望经纪人帮忙联系课题组了解许可条件。",
                                     f"We saw the recommended output \"{self.output['title']}\" "
                                     "and would like an introduction to the team."),
                      next_step=self.t("约双方线上初步沟通", "Set up a first call with both sides"),
                      due=day + 7)
            return
        first = self.t(f"走访{self.lab}，了解「{(self.output or self.need)['title']}」的进展",
                       f"Visit {self.lab} about \"{(self.output or self.need)['title']}\"")
        self.step(day, "create", next_step=first, due=day + 5)
        if self.output:
            self.step(day + 2, "activity", kind="visit", body=self.t(
                f"到{self.lab}实验室见了{self.lead}老师，看了样品和测试数据，团队对转化有兴趣，"
                f"关心是许可还是作价入股。", f"Met {self.lead} at {self.lab}; saw samples and test "
                "data. The team is open to a licence or an equity deal."))
        else:
            self.step(day + 2, "activity", kind="call", body=self.t(
                f"与{self.firm}技术负责人电话沟通需求细节，确认预算和时间要求。",
                f"Call with {self.firm}'s CTO to pin down the need, budget and timing."))

    def _enter(self, stage: str, day: int, span: int) -> None:
        s = self.step
        if stage == "qualified":
            reform = self.output["reform_status"] if self.output else "none"
            s(day - 2, "update", fields={"ip_checked": True, "team_willing": True,
                                         "reform_status": reform})
            s(day - 1, "activity", kind="note", body=self.t(
                "核实了专利法律状态和权属，学校技术转移办公室确认可以按单列管理流程推进。"
                if reform == "separately_managed" else
                "核实了专利法律状态；成果已赋权给团队，由团队负责人签约。"
                if reform == "ownership_granted" else "核实了专利法律状态，权属清晰，按学校常规流程签约。",
                "Checked the patents' legal status and ownership; the tech-transfer office "
                "confirmed who signs."))
            s(day, "move", to="qualified")
        elif stage == "introduced":
            s(day, "move", to="introduced")
            s(day + 1, "nda", status="sent")
            s(day + 3, "nda", status="signed", expires=day + 3 + 365)
            s(day + 4, "activity", kind="meeting", body=self.t(
                f"保密协议签好后组织{self.firm}与{self.lead}团队首次会谈：企业介绍了产线现状，"
                "团队讲了技术路线和未公开的工艺数据，双方约定下一步拿样品测试。",
                f"With the NDA signed, first meeting of {self.firm} and {self.lead}'s team: "
                "the line today, the technology route and the unpublished process data."))
            if self.need and self.rng.random() < 0.6:
                s(day + 6, "comment", by=self.need["enterprise"], body=self.t(
                    "我们希望尽快拿到样品在产线上做对比测试。",
                    "We would like samples soon to test on our line."))
        elif stage == "negotiating":
            s(day, "move", to="negotiating")
            mode = self.mode()
            s(day + 2, "update", fields={"transfer_mode": mode, "price": self.price(),
                                         "payment_kind": PAYMENT[mode],
                                         "terms_note": self.t("分两期支付，验收后付尾款。",
                                                              "Two instalments; the last on "
                                                              "acceptance.")})
            s(day + 5, "activity", kind="email", body=self.t(
                "把企业修改后的条款发给学校技术转移办公室，主要分歧在提成比例和独占范围。",
                "Sent the company's revised terms to the TTO; royalty rate and exclusivity "
                "remain open."))
        elif stage == "contract_signed":
            self._contract(day)
            s(day, "move", to="contract_signed")
        elif stage == "landed":
            region = self._landing_region()
            short = (self.enterprise or self.institution)["aliases"][0][:4] \
                if (self.enterprise or self.institution)["aliases"] else "秦创"
            s(day - 1, "landed", name=f"{region[:2]}{short}科技有限公司", region=region,
              on=day - 1, address=self.t("秦创原总窗口孵化器", "Qinchuangyuan incubator"))
            s(day, "move", to="landed")
        elif stage == "serving":
            s(day, "move", to="serving")
            picks = self.rng.sample(range(len(TICKETS)), 3)
            for n, pick in enumerate(picks):
                kind, title_zh, outcome_zh, title_en, outcome_en = TICKETS[pick]
                title, outcome = self.t(title_zh, title_en), self.t(outcome_zh, outcome_en)
                extra = {"financing_kind": self.rng.choice(["loan", "fund", "lease"])} \
                    if kind == "financing" else {}
                s(day + 2 + n, "ticket", kind=kind, title=title, due=day + 20 + 10 * n, **extra)
                if n == 0:
                    done = {"amount": 200 + 50 * self.rng.randrange(6)} if kind == "financing" \
                        else {}
                    s(day + 15, "ticket_update", ticket=0, status="done", outcome=outcome,
                      **done)
                elif n == 1:
                    s(day + 8, "ticket_update", ticket=1, status="in_progress")
        elif stage == "showcased":
            s(day - 1, "update", fields={"showcase_material": self.t(
                f"路演材料：{(self.output or self.need)['title']}的样机照片、检测报告和客户应用案例，"
                "在秦创原路演中心展区展出。", "Roadshow pack: prototype photos, test report and "
                "a customer case, shown at the Qinchuangyuan roadshow centre.")})
            s(day, "move", to="showcased")

    def _landing_region(self) -> str:
        if self.rng.random() < 0.15:
            return self.rng.choice(["苏州市", "深圳市", "合肥市"])
        for source in (self.need and self.need.get("region"), self.enterprise
                       and self.enterprise["region"], self.institution
                       and self.institution["region"]):
            if source in HOME:
                return source
        return "西咸新区"

    def _contract(self, day: int) -> None:
        total = self.price()
        buyer = self.firm if self.enterprise else ENTERPRISES[next(
            k for k in sorted(ENTERPRISES) if ENTERPRISES[k]["region"] in HOME
            and k.startswith(self.deal["chain_prefix"]))]["name"]
        seller = self.lab if self.institution else INSTITUTIONS[sorted(INSTITUTIONS)[
            self.index % len(INSTITUTIONS)]]["name"]
        contract = {"type": CONTRACT_TYPE[self.mode()], "seller": seller, "buyer": buyer,
                    "total": total, "technical": int(total * 0.9), "signed": day - 1,
                    "name": self.t(f"{(self.output or self.need)['title'][:30]}技术合同",
                                   f"Technology contract: {(self.output or self.need)['title'][:40]}"),
                    "term_start": day, "term_end": day + 3 * 365}
        if day < -20:
            contract |= {"registration_no": f"2026610113{zlib.crc32(self.deal['key'].encode()) % 10**6:06d}",
                         "registered": day + 12}
        self.step(day - 2, "contract", **contract)

    def _finish(self, stage: str, day: int) -> None:
        rng, deal = self.rng, self.deal
        if deal.get("co_broker"):
            self.step(day - 1, "co_broker", broker=deal["co_broker"])
        texts = {
            "discovered": ("整理成果材料，约团队确认转化意愿", "Collect the dossier; confirm the team's intent"),
            "qualified": ("把成果推荐给两家目标企业", "Pitch the output to two target companies"),
            "introduced": ("安排企业到实验室看样品", "Arrange a lab visit for the company"),
            "negotiating": ("把修改后的许可条款发给学校法务", "Send the revised terms to the university's legal office"),
            "contract_signed": ("协助团队办理公司注册", "Help the team register the company"),
            "landed": ("对接孵化器场地和首批订单", "Line up incubator space and the first orders"),
            "serving": ("跟进融资审批进度", "Follow up on the financing approval"),
            "showcased": ("准备季度路演和媒体报道", "Prepare the quarterly roadshow"),
        }
        zh, en = texts[stage]
        due = -rng.randrange(2, 9) if deal.get("overdue") else rng.randrange(1, 15)
        if deal.get("due_today"):
            due = 0
        self.step(day, "next_step", text=self.t(zh, en), due=due)
        if deal.get("snooze"):
            self.step(day, "snooze", until=rng.randrange(10, 40), reason=self.t(
                "等待专利授权通知书，预计下月下发。", "Waiting for the patent grant notice."))
        if not deal.get("stale") and rng.random() < 0.5:
            self.step(min(day + 1, 0), "task", title=self.t("整理会谈纪要发给双方",
                                                          "Send meeting notes to both sides"),
                      due=rng.randrange(0, 6))


def main() -> None:
    plan = _plan()
    _assign(plan)
    prefix = {"hydrogen": "h2-", "photonics": "ph-", "photovoltaics": "pv-", "icv": "icv-",
              "additive": "am-", "semiconductor": "sc-"}
    by_owner = defaultdict(list)
    for deal in plan:
        by_owner[deal["owner"]].append(deal)
    # Flags: per broker one overdue, one stale, one snoozed, one due today, one introduction.
    for owner, deals in sorted(by_owner.items()):
        open_deals = [d for d in deals if d["stage"] != "lost"]
        for flag, position in (("overdue", 0), ("stale", 1), ("snooze", 2), ("due_today", 3)):
            if len(open_deals) > position:
                open_deals[position][flag] = True
        stale = next((d for d in open_deals if d.get("stale")), None)
        if stale and stale.get("snooze"):
            stale["snooze"] = False
        intro = next((d for d in deals if d["stage"] in ("introduced", "negotiating")
                      and d["need"] and d["output"]), None)
        if intro:
            intro["introduction"] = True
    for n, deal in enumerate(d for d in plan if d["stage"] == "lost"):
        deal["lost_at"] = ["discovered", "qualified", "introduced", "negotiating"][n % 4]
    co = [d for d in plan if d["stage"] in ("negotiating", "serving")]
    for n, deal in enumerate(co[::3]):
        fits = [b["key"] for b in BROKERS if deal["chain"] in b["chains"]
                and b["key"] != deal["owner"]]
        if fits:
            deal["co_broker"] = fits[n % len(fits)]
    files = defaultdict(list)
    for index, deal in enumerate(plan):
        deal["chain_prefix"] = prefix[deal["chain"]]
        deal["key"] = f"deal-{prefix[deal['chain']]}{sum(1 for d in files[deal['chain']]) + 1:03d}"
        files[deal["chain"]].append(Story(deal, index).write())
    folder = SEED / "deals"
    folder.mkdir(exist_ok=True)
    for chain, records in files.items():
        text = json.dumps(records, ensure_ascii=False, indent=1)
        (folder / f"{chain}.json").write_text(text + "\n", encoding="utf-8")
    stages = Counter(d["stage"] for d in plan)
    owners = Counter(d["owner"] for d in plan)
    print(len(plan), dict(stages), dict(owners))


if __name__ == "__main__":
    main()
