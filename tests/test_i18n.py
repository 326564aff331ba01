"""Every user-visible string has a Chinese translation, and the compiled catalogue is current."""
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "matchmaker" / "translations" / "zh" / "LC_MESSAGES"


def _ids(catalog) -> set[str]:
    return {m.id for m in catalog if m.id}


def test_every_extracted_string_is_translated_to_chinese(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract",
                    "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as f:
        wanted = _ids(read_po(f))
    with (CATALOG / "messages.po").open("rb") as f:
        po = read_po(f)
    translated = {m.id for m in po if m.id and m.string and "fuzzy" not in m.flags}
    assert sorted(wanted - translated) == []


def _key(value):
    """Plural entries come back as tuples from the .po reader and lists from the .mo reader."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def test_compiled_catalogue_matches_the_po_file():
    with (CATALOG / "messages.po").open("rb") as f:
        po = {_key(m.id): _key(m.string) for m in read_po(f) if m.id}
    with (CATALOG / "messages.mo").open("rb") as f:
        mo = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
    assert mo == po, "run: pybabel compile -d matchmaker/translations"


def test_pages_default_to_chinese_and_switch_to_english(client):
    assert '<html lang="zh-CN">' in client.get("/auth/login").get_data(as_text=True)
    from tests.conftest import submit
    submit(client, "/auth/locale/en", {"next": "/auth/login"}, form_url="/auth/login")
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Keep me signed in" in page
