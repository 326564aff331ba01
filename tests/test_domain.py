"""Pure domain helpers: IPC codes and term lists."""
import pytest

from matchmaker.domain import normalize_ipc
from matchmaker.forms_common import split_terms


@pytest.mark.parametrize("raw, expected", [
    ("C25B 1/04", "C25B 1/04"),
    ("c25b1/04", "C25B 1/04"),
    ("H01M  8 / 1004", "H01M 8/1004"),
    ("H01L 31／0216", "H01L 31/0216"),
])
def test_normalize_ipc_accepts_common_spellings_of_full_codes(raw, expected):
    assert normalize_ipc(raw, full=True) == expected


@pytest.mark.parametrize("raw", ["X99Z 1/04", "C25B", "C25B 1/4", "专利", "", "C25B 1/04a"])
def test_normalize_ipc_rejects_malformed_full_codes(raw):
    assert normalize_ipc(raw, full=True) is None


def test_normalize_ipc_accepts_prefixes_only_when_not_full():
    assert normalize_ipc("f17c") == "F17C"
    assert normalize_ipc("H01M 8") == "H01M 8"
    assert normalize_ipc("H01M 8", full=True) is None


def test_split_terms_handles_chinese_and_ascii_separators_and_drops_duplicates():
    assert split_terms("PEM，电解槽、 SOEC;PEM\n碱性电解") == ["PEM", "电解槽", "SOEC", "碱性电解"]
