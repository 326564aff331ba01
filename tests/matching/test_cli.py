"""The batch CLI contract: input validation, output format, order, exit codes."""
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from matchmaker.matching.cli import main

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = [
    {"id": "o1", "title": "碱性电解槽复合隔膜", "abstract": "聚苯硫醚复合隔膜降低面电阻，提高氢气纯度，适合兆瓦级碱性电解槽",
     "keywords": ["隔膜"], "ipc": ["C25B 13/08"], "trl": 6, "modes": ["licence"],
     "price_min": 50, "price_max": 90, "region": "西安市", "colour": "ignored"},
    {"id": "o2", "title": "高压储氢瓶内胆", "abstract": "四型储氢瓶尼龙内胆阻隔改性，氢气渗透率降低一半，快速放气不起泡"},
    {"id": 3, "title": "Perovskite tandem cell", "abstract": "A perovskite on silicon tandem "
     "solar cell reaching 28 percent efficiency with a stable encapsulation for rooftops"},
]
NEEDS = [
    {"id": "n2", "title": "储氢瓶内胆起泡", "description": "四型瓶快速放气后内胆起泡，需要改性尼龙内胆材料和工艺",
     "min_trl": 5},
    {"id": "n1", "title": "电解槽隔膜老化", "description": "碱性电解槽隔膜老化，氢中氧含量升高，希望更换复合隔膜",
     "modes": ["licence"], "budget_max": 100, "region": "西安市"},
    {"id": "n3", "title": "电解槽", "description": ""},
]


def _write(path: Path, rows) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)
                              for r in rows) + "\n", encoding="utf-8")
    return path


def _run(tmp_path, outputs=OUTPUTS, needs=NEEDS, *extra):
    out, err = io.StringIO(), io.StringIO()
    args = ["rank", "--outputs", str(_write(tmp_path / "o.jsonl", outputs)),
            "--needs", str(_write(tmp_path / "n.jsonl", needs)), "--top", "2", *extra]
    old_err, sys.stderr = sys.stderr, err
    try:
        code = main(args, out=out)
    finally:
        sys.stderr = old_err
    return code, out.getvalue(), err.getvalue()


def test_rank_writes_one_line_per_need_in_input_order(tmp_path):
    code, out, _ = _run(tmp_path)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [line["need_id"] for line in lines] == ["n2", "n1", "n3"]
    assert lines[0]["results"][0]["output_id"] == "o2"
    assert lines[1]["results"][0]["output_id"] == "o1"
    first = lines[1]["results"][0]
    assert set(first) == {"output_id", "score", "explanation"} and 0 < first["score"] <= 1
    assert any(t.startswith("隔膜") for t in first["explanation"]["shared_terms"])
    assert len(lines[0]["results"]) <= 2


def test_thin_need_gets_a_notice_and_no_results(tmp_path):
    lines = [json.loads(line) for line in _run(tmp_path)[1].splitlines()]
    assert lines[2] == {"need_id": "n3", "results": [], "notice": "insufficient_information"}


def test_integer_ids_are_kept_as_integers(tmp_path):
    needs = [{"id": 7, "title": "钙钛矿叠层电池", "description": "需要钙钛矿叠层电池技术，效率高于百分之二十六，"
              "封装稳定，可用于屋顶光伏"}]
    lines = [json.loads(line) for line in _run(tmp_path, needs=needs)[1].splitlines()]
    assert lines[0]["need_id"] == 7 and lines[0]["results"][0]["output_id"] == 3


def test_output_is_deterministic(tmp_path):
    assert _run(tmp_path)[1] == _run(tmp_path)[1]


@pytest.mark.parametrize("outputs, needs, message", [
    (OUTPUTS[:1] + ['{"id": "o9", "title": '], NEEDS, "o.jsonl:2: malformed JSON"),
    ([{"id": "o9", "title": "x"}], NEEDS, "o.jsonl:1: field 'abstract': required field is missing"),
    (OUTPUTS, NEEDS + [{"id": "n1", "title": "t", "description": "d"}],
     "n.jsonl:4: field 'id': duplicate id 'n1' (first on line 2)"),
    (OUTPUTS, [{"id": "n9", "title": "t", "description": "d", "min_trl": 12}],
     "n.jsonl:1: field 'min_trl': must be an integer from 1 to 9"),
    (OUTPUTS, [{"id": "n9", "title": "t", "description": "d", "keywords": "a,b"}],
     "n.jsonl:1: field 'keywords': must be a list of strings"),
    ([["not", "an", "object"]], NEEDS, "o.jsonl:1: each line must be a JSON object"),
    (OUTPUTS, [{"id": "", "title": "t", "description": "d"}],
     "n.jsonl:1: field 'id': must be a non-empty string or an integer"),
])
def test_bad_input_stops_with_exit_code_2_before_writing(tmp_path, outputs, needs, message):
    code, out, err = _run(tmp_path, outputs, needs)
    assert code == 2 and out == ""
    assert message in err


def test_missing_input_file_is_reported(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    sys.stderr, old = err, sys.stderr
    try:
        code = main(["rank", "--outputs", str(tmp_path / "nope.jsonl"), "--needs",
                     str(tmp_path / "nope2.jsonl"), "--top", "3"], out=out)
    finally:
        sys.stderr = old
    assert code == 2 and "nope.jsonl: cannot read" in err.getvalue()


def test_custom_chains_file_is_used(tmp_path):
    chains = tmp_path / "chains.json"
    chains.write_text(json.dumps([{"key": "storage", "segments": [
        {"key": "tanks", "position": 1, "keywords_zh": ["储氢瓶"], "keywords_en": [],
         "ipc_prefixes": ["F17C"]}]}]), encoding="utf-8")
    lines = [json.loads(x) for x in _run(tmp_path, OUTPUTS, NEEDS, "--chains",
                                         str(chains))[1].splitlines()]
    assert lines[0]["results"][0]["explanation"]["output_chain"]["chain"] == "storage"


def test_bad_top_is_a_usage_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "matchmaker.matching", "rank", "--outputs",
                             "a", "--needs", "b", "--top", "0"], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 2 and "--top" in result.stderr


def test_module_entry_point_and_evaluate_print_metrics(tmp_path):
    _write(tmp_path / "o.jsonl", OUTPUTS)
    _write(tmp_path / "n.jsonl", NEEDS)
    (tmp_path / "q.tsv").write_text("n1 0 o1 3\nn1 0 o2 0\nn2 0 o2 2\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "matchmaker.matching", "evaluate",
                             "--outputs", str(tmp_path / "o.jsonl"), "--needs",
                             str(tmp_path / "n.jsonl"), "--qrels", str(tmp_path / "q.tsv")],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    for name in ("baseline: word TF-IDF", "baseline: BM25", "text only", "text + chain rules",
                 "all rules (matcher)", "NDCG@10", "MRR@10", "R@100"):
        assert name in result.stdout
