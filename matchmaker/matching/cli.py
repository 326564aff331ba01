"""Batch CLI (a contract other systems rely on; keep it stable).

python -m matchmaker.matching rank --outputs OUTPUTS.jsonl --needs NEEDS.jsonl --top K
    [--chains CHAINS.json] > RANKED.jsonl
python -m matchmaker.matching evaluate --outputs OUTPUTS.jsonl --needs NEEDS.jsonl
    --qrels QRELS.tsv [--chains CHAINS.json]
"""
import argparse
import json
import sys
from pathlib import Path

from matchmaker.matching.chains import ChainBook
from matchmaker.matching.engine import Matcher
from matchmaker.matching.evaluate import evaluate_all, format_table
from matchmaker.matching.io import InputError, read_needs, read_outputs, read_qrels

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_data"
EXIT_BAD_INPUT = 2


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m matchmaker.matching",
                                     description="Rank research outputs for technology needs.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (("rank", "write the top outputs of every need as JSON Lines"),
                           ("evaluate", "score the matcher and baselines against judgments")):
        cmd = sub.add_parser(name, help=helptext)
        cmd.add_argument("--outputs", required=True, type=Path, help="OUTPUTS.jsonl")
        cmd.add_argument("--needs", required=True, type=Path, help="NEEDS.jsonl")
        cmd.add_argument("--chains", type=Path, default=SEED_DIR / "chains",
                         help="chains JSON file or folder (default: the seed_data chains)")
        if name == "rank":
            cmd.add_argument("--top", required=True, type=_positive, help="results per need")
        else:
            cmd.add_argument("--qrels", required=True, type=Path,
                             help="TREC qrels: need_id 0 output_id grade")
    return parser


def _regions() -> dict[str, str]:
    path = SEED_DIR / "regions.json"
    if not path.exists():
        return {}
    return {r["name"]: r["province"] for r in json.loads(path.read_text(encoding="utf-8"))}


def _load_chains(path: Path) -> ChainBook:
    try:
        return ChainBook.from_path(path)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(path, None, None, f"not a chains file or folder ({error})") from error


def rank(args, out) -> None:
    """Rank every need; write one JSON line per need, in input order."""
    outputs, needs = read_outputs(args.outputs), read_needs(args.needs)
    matcher = Matcher(_load_chains(args.chains), regions=_regions()).fit(outputs, needs)
    for ranking in matcher.all_pairs(limit=args.top):
        line = {"need_id": ranking.query_id,
                "results": [{"output_id": m.candidate_id, "score": m.score,
                             "explanation": m.explanation} for m in ranking.matches]}
        if ranking.notice:
            line["notice"] = ranking.notice
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def evaluate(args, out) -> None:
    """Print NDCG@10, MRR@10, Recall@10/100 for baselines, ablations and the matcher."""
    outputs, needs = read_outputs(args.outputs), read_needs(args.needs)
    qrels = read_qrels(args.qrels)
    results = evaluate_all(outputs, needs, qrels, _load_chains(args.chains), regions=_regions())
    out.write(format_table(results, baseline="baseline: BM25") + "\n")


def main(argv=None, out=None) -> int:
    """Run the CLI; return the exit code (2 for unusable input, nothing written then)."""
    args = _parser().parse_args(argv)
    out = out or sys.stdout
    try:
        (rank if args.command == "rank" else evaluate)(args, out)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0
