"""Read profiles from JSON Lines (the batch CLI's contract) and from seed_data/ files."""
import json
from pathlib import Path

from matchmaker.matching.profiles import NeedProfile, OutputProfile


class InputError(Exception):
    """A line of an input file is unusable; the message names file, line and field."""

    def __init__(self, path, line: int | None, field: str | None, reason: str):
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: field '{field}': {reason}" if field else f"{where}: {reason}")


def _text(value) -> bool:
    return isinstance(value, str)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _str_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _trl(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 9


def _id(value) -> bool:
    return (isinstance(value, str) and value != "") or (isinstance(value, int)
                                                        and not isinstance(value, bool))


_OPTIONAL_COMMON = {"keywords": (_str_list, "a list of strings"),
                    "chain": (_text, "a string"), "segment": (_text, "a string"),
                    "modes": (_str_list, "a list of strings"), "region": (_text, "a string"),
                    "status": (_text, "a string")}
OUTPUT_SCHEMA = {
    "required": {"id": (_id, "a non-empty string or an integer"), "title": (_text, "a string"),
                 "abstract": (_text, "a string")},
    "optional": {**_OPTIONAL_COMMON, "ipc": (_str_list, "a list of strings"),
                 "trl": (_trl, "an integer from 1 to 9"), "price_min": (_number, "a number"),
                 "price_max": (_number, "a number"), "institution": (_text, "a string")},
}
NEED_SCHEMA = {
    "required": {"id": (_id, "a non-empty string or an integer"), "title": (_text, "a string"),
                 "description": (_text, "a string")},
    "optional": {**_OPTIONAL_COMMON, "min_trl": (_trl, "an integer from 1 to 9"),
                 "budget_min": (_number, "a number"), "budget_max": (_number, "a number")},
}


def _check(record, schema: dict, path, line: int) -> dict:
    if not isinstance(record, dict):
        raise InputError(path, line, None, "each line must be a JSON object")
    for name, (valid, wanted) in schema["required"].items():
        if name not in record or record[name] is None:
            raise InputError(path, line, name, "required field is missing")
        if not valid(record[name]):
            raise InputError(path, line, name, f"must be {wanted}")
    clean = {name: record[name] for name in schema["required"]}
    for name, (valid, wanted) in schema["optional"].items():
        value = record.get(name)
        if value is None:
            continue
        if not valid(value):
            raise InputError(path, line, name, f"must be {wanted}")
        clean[name] = tuple(value) if isinstance(value, list) else value
    return clean


def read_jsonl(path, schema: dict) -> list[dict]:
    """Read and validate every line of path; raise InputError at the first problem."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InputError(path, None, None, f"cannot read: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise InputError(path, None, None, "is not UTF-8 text") from error
    records, seen = [], {}
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as error:
            raise InputError(path, number, None, f"malformed JSON ({error.msg})") from error
        clean = _check(record, schema, path, number)
        key = clean["id"]
        if key in seen:
            raise InputError(path, number, "id", f"duplicate id {key!r} (first on line "
                                                 f"{seen[key]})")
        seen[key] = number
        records.append(clean)
    return records


def read_outputs(path) -> list[OutputProfile]:
    """Read OUTPUTS.jsonl (see the CLI contract)."""
    return [OutputProfile(**r) for r in read_jsonl(path, OUTPUT_SCHEMA)]


def read_needs(path) -> list[NeedProfile]:
    """Read NEEDS.jsonl (see the CLI contract)."""
    return [NeedProfile(**r) for r in read_jsonl(path, NEED_SCHEMA)]


def _seed_rows(folder: Path) -> list[dict]:
    return [row for p in sorted(folder.glob("*.json"))
            for row in json.loads(p.read_text(encoding="utf-8"))]


def seed_profiles(seed_dir) -> tuple[list[OutputProfile], list[NeedProfile]]:
    """Read the outputs and needs of seed_data/ as profiles (keys become ids)."""
    seed_dir = Path(seed_dir)
    regions = {i["key"]: i["region"]
               for i in json.loads((seed_dir / "institutions.json").read_text(encoding="utf-8"))}
    enterprise_regions = {e["key"]: e["region"] for e in _seed_rows(seed_dir / "enterprises")}
    outputs = [OutputProfile(
        id=o["key"], title=o["title"], abstract=o["abstract"], keywords=tuple(o["keywords"]),
        ipc=tuple(c for p in o["patents"] for c in p["ipc"]), chain=o["chain"],
        segment=o.get("segment"), trl=o["trl"], modes=tuple(o["modes"]),
        price_min=o["price_min"], price_max=o["price_max"], region=regions[o["institution"]],
        institution=o["institution"], status=o["status"])
        for o in _seed_rows(seed_dir / "outputs")]
    needs = [NeedProfile(
        id=n["key"], title=n["title"], description=n["description"],
        keywords=tuple(n["keywords"]), chain=n["chain"], segment=n.get("segment"),
        min_trl=n["min_trl"], modes=tuple(n["modes"]), budget_min=n["budget_min"],
        budget_max=n["budget_max"], region=n["region"] or enterprise_regions[n["enterprise"]],
        status=n["status"])
        for n in _seed_rows(seed_dir / "needs")]
    return outputs, needs


def seed_regions(seed_dir) -> dict[str, str]:
    """Return region → province from seed_data/regions.json."""
    rows = json.loads((Path(seed_dir) / "regions.json").read_text(encoding="utf-8"))
    return {r["name"]: r["province"] for r in rows}


def read_qrels(path) -> dict[str, dict[str, int]]:
    """Read TREC qrels (need_id 0 output_id grade) into {need: {output: grade}}."""
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4 or not parts[3].lstrip("-").isdigit():
            raise InputError(path, number, None, "expected 'need_id 0 output_id grade'")
        qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    return qrels
