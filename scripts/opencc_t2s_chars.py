"""Write matchmaker/matching/data/opencc_t2s_chars.json: characters at least one of which is in
every entry of OpenCC's t2s dictionaries that changes text.

    python scripts/opencc_t2s_chars.py [--check]

OpenCC changes a text only where it matches a dictionary entry whose conversion differs from
the entry itself, so a text holding none of these characters converts to itself and
text.normalize skips the conversion. The list is made from the installed OpenCC's own
dictionaries (read with the opencc_dict tool its wheel ships) and records that OpenCC's
version: under another version normalize converts every Chinese text, as before.
With --check, compare the file with what would be written (exit code 1 if they differ).
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import opencc

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "matchmaker" / "matching" / "data" / "opencc_t2s_chars.json"


def _dictionary_files(node) -> list[str]:
    """Return every .ocd2 file a t2s.json config (or part of it) names, in order."""
    if isinstance(node, dict):
        files = [node["file"]] if node.get("type") == "ocd2" else []
        return files + [f for value in node.values() for f in _dictionary_files(value)]
    if isinstance(node, list):
        return [f for value in node for f in _dictionary_files(value)]
    return []


def changing_entries() -> list[str]:
    """Return the keys of every t2s dictionary entry whose values are not just the key."""
    clib = Path(opencc.__file__).parent / "clib"
    share = clib / "share" / "opencc"
    config = json.loads((share / "t2s.json").read_text(encoding="utf-8"))
    keys = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in dict.fromkeys(_dictionary_files(config)):
            out = Path(tmp) / f"{name}.txt"
            subprocess.run([str(clib / "bin" / "opencc_dict"), "-i", str(share / name),
                            "-o", str(out), "-f", "ocd2", "-t", "text"], check=True)
            for line in out.read_text(encoding="utf-8").splitlines():
                if line:
                    key, values = line.split("\t")
                    if values.split(" ") != [key]:
                        keys.append(key)
    return keys


def trigger_chars(keys: list[str]) -> str:
    """Characters such that every key holds one: the one-character keys, plus the first
    character of any longer key that holds none of them."""
    chars = {key for key in keys if len(key) == 1}
    for key in keys:
        if " " in key:  # normalize_joined relies on no entry spanning a space
            raise SystemExit(f"an entry holds a space: {key!r}")
        if chars.isdisjoint(key):
            chars.add(key[0])
    if any(c.lower() != c or c.upper() != c for c in chars):
        raise SystemExit("a character has case")  # normalize lower-cases after converting
    return "".join(sorted(chars))


def build() -> dict:
    return {"opencc": opencc.__version__, "config": "t2s",
            "chars": trigger_chars(changing_entries())}


def main() -> int:
    data = build()
    text = json.dumps(data, ensure_ascii=False, indent=0) + "\n"
    if "--check" in sys.argv:
        return 0 if OUT.read_text(encoding="utf-8") == text else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"{OUT.relative_to(ROOT)}: {len(data['chars'])} characters, OpenCC {data['opencc']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
