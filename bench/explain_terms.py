"""Which shared terms explanations name, before and after the specific-term filter.

    python -m bench.explain_terms            # ~15 s: real listings (benchmark D) and seed data

For every need (the 60 needs of benchmark D against its 7,110 documents, and every seed need
against the seed outputs) the matcher's top 10 are explained once; each pair's shared terms are
then named twice from the same similarity rows: by the old rule (generic words named when
nothing else is shared), reproduced here, and by the product's `explain.shared_terms`. Printed:
the share of named terms that are numbers or quantities, the share found in CHECK_GENERIC (an
independent list written for this check, not derived from the product's filter; "unlisted":
the part of it that the product's hand lists do not hold), the mean
number of terms named per pair, pairs naming none, the 40 most named terms, and which numbers
or check-list words the filter still lets through.
"""
import argparse
import re
import sys
from collections import Counter

import numpy as np

from bench import corpora
from bench.quality import SEED, _chains
from matchmaker.matching import config, explain
from matchmaker.matching.terms import HAND_GENERIC
from matchmaker.matching.text import GENERIC_WORDS

TOP = 10
MOST_NAMED = 40
# Words a technology broker would not repeat as "what the two have in common", written for this
# check from the issue and from reading listings, independently of matching/terms.py.
CHECK_GENERIC = frozenset("""
两个 三个 一个 一种 两种 多种 第一 第二 不到 现有 装置 连接 底部 顶部 结构 部分 方式 问题 情况 要求 能力
过程 可以 进行 通过 采用 实现 提高 具有 使用 其中 以上 以下 左右 技术 方法 系统 设备 研究 开发 工艺
产品 应用 项目 生产 性能 质量 效率 成本 需求 方面 领域 行业 企业 相关 关键 新型 有效 不同 提供 影响
作为 工作 管理 信息 处理 控制 运行 降低 增加 减少 目标 时间 环境 范围 方向 效果 功能 状态 特点 优势
数据 测试 安全 平台 机构 表面 温度 压力 客户 小时 市场 工业 工程 现代 国内 直接 连续 低于 超过 小于
出现 发生 产生 导致 具备 拥有 先进 稳定 特殊 简单 复杂 重要 主要 一般 整体 单元 模块 部件 组合 类型
based using used use high low new novel method system device process application performance
technology research development design study analysis result data problem proposed improved
effect effective efficient different various large small equipment structure function
""".split())  # noqa: SIM905 - a word list reads best as text
# The check-list words the product does not list by hand either: the same person wrote both
# lists, so this column shows what the dictionary and corpus rules catch on their own.
UNLISTED = CHECK_GENERIC - HAND_GENERIC - GENERIC_WORDS
# Numbers and quantities, judged on the displayed term (independent of terms.is_quantity).
CHECK_QUANTITY = re.compile(r"[\d.,%°℃+-]*\d[\d.,%°℃a-zμω/+-]*|第?[零一二两三四五六七八九十百千万亿几]+[个种类项次倍年]?")


def old_shared_terms(matcher, q_row, c_row, limit: int = config.SHARED_TERMS) -> list[str]:
    """The rule before the filter: specific = not in text.GENERIC_WORDS, else every term."""
    common, q_at, c_at = np.intersect1d(q_row.indices, c_row.indices, assume_unique=True,
                                        return_indices=True)
    if common.size == 0:
        return []
    contribution = q_row.data[q_at] * c_row.data[c_at]
    order = np.lexsort((common, -contribution))
    terms = [str(matcher.terms_[common[i]]) for i in order]
    specific = [t for t in terms if t not in GENERIC_WORDS] or terms
    return [matcher.analyzer_.display(t) for t in specific[:limit]]


def _named(matcher, queries) -> dict[str, list[list[str]]]:
    """Explain every query's top TOP once; name each pair's terms by both rules."""
    rows: list[tuple] = []
    real = explain.shared_terms

    def spy(m, q_row, c_row, limit=config.SHARED_TERMS):
        rows.append((q_row, c_row))
        return real(m, q_row, c_row, limit)

    explain.shared_terms = spy  # explain_pair looks the function up at call time
    try:
        for query in queries:
            matcher.rank_outputs(query, limit=TOP)
    finally:
        explain.shared_terms = real
    return {"before": [old_shared_terms(matcher, q, c) for q, c in rows],
            "after": [real(matcher, q, c) for q, c in rows]}


def _bare(term: str) -> str:
    return term.split(" / ")[0]  # synonyms show as "激光 / laser"


def _figures(named: list[list[str]]) -> dict:
    terms = [t for pair in named for t in pair]
    return {
        "pairs": len(named),
        "quantity": sum(bool(CHECK_QUANTITY.fullmatch(_bare(t))) for t in terms) / max(1, len(terms)),
        "generic": sum(any(p in CHECK_GENERIC for p in t.split(" / ")) for t in terms)
        / max(1, len(terms)),
        "unlisted": sum(any(p in UNLISTED for p in t.split(" / ")) for t in terms)
        / max(1, len(terms)),
        "mean": len(terms) / max(1, len(named)),
        "none": sum(not pair for pair in named),
        "most": Counter(terms).most_common(MOST_NAMED),
        "flagged": Counter(t for t in terms if CHECK_QUANTITY.fullmatch(_bare(t))
                           or any(p in CHECK_GENERIC for p in t.split(" / "))).most_common(15),
    }


def _report(title: str, named: dict) -> str:
    header = (f"{'rule':8} {'pairs':>6} {'numbers':>8} {'generic':>8} {'unlisted':>9} "
              f"{'mean':>6} {'none':>6}")
    lines = [title, header]
    figures = {k: _figures(v) for k, v in named.items()}
    for rule, f in figures.items():
        lines.append(f"{rule:8} {f['pairs']:>6} {f['quantity']:>8.1%} {f['generic']:>8.1%} "
                     f"{f['unlisted']:>9.1%} {f['mean']:>6.2f} {f['none']:>6}")
    for rule, f in figures.items():
        lines.append(f"  {MOST_NAMED} most named, {rule}: "
                     + " ".join(f"{t}({n})" for t, n in f["most"]))
    lines.append("  numbers or check-list words still named, after: "
                 + (" ".join(f"{t}({n})" for t, n in figures["after"]["flagged"]) or "none"))
    return "\n".join(lines)


def listings() -> str:
    """Benchmark D: its 60 needs against its corpus (held-out needs excluded twice over)."""
    from bench.tm_pool import corpus_docs, pick_needs
    from matchmaker.matching import Matcher

    held_out = corpora.held_out_ids()
    needs = [n for n in pick_needs() if n["id"] not in held_out]
    matcher = Matcher(_chains(), min_score=0.0).fit(
        [corpora.as_output(d) for d in corpus_docs()], [])
    return _report(f"real listings (benchmark D): {len(needs)} needs, top {TOP}",
                   _named(matcher, [corpora.as_need(n) for n in needs]))


def seed() -> str:
    """Every seed need against the seed outputs, as the app ranks them."""
    from matchmaker.matching import Matcher
    from matchmaker.matching.io import seed_profiles, seed_regions

    outputs, needs = seed_profiles(SEED)
    matcher = Matcher(_chains(), regions=seed_regions(SEED)).fit(outputs, needs)
    return _report(f"seed data: {len(needs)} needs, top {TOP}", _named(matcher, needs))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("listings", "seed"), help="one corpus only")
    args = parser.parse_args(argv)
    sections = {"listings": listings, "seed": seed}
    for name, run in sections.items():
        if args.only in (None, name):
            print(run(), end="\n\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
