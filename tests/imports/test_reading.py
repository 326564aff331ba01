"""Reading files (pure: no app): encodings, headers in either language, merged cells,
formulas, and files that are not spreadsheets at all."""
import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matchmaker.imports.columns import map_headers, match_header
from matchmaker.imports.reading import FORMULA_WITHOUT_VALUE, FileProblem, read_file
from matchmaker.imports.values import CellError, Vocabulary, parse_cell
from tests.fuzz.config import fuzz_settings
from tests.imports.helpers import OUTPUT_HEADERS, csv_bytes, output_row, with_cached_value, xlsx

ROWS = [OUTPUT_HEADERS, output_row(org="西京交通大学", title="碳化硅功率模块银烧结工艺"),
        output_row(title="钙钛矿叠层电池界面钝化")]


def _titles(sheet) -> list[str]:
    index = next(i for i, k in sheet.headers.columns.items() if k == "title")
    return [cells[index] for _n, cells in sheet.rows]


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig", "utf-8", "utf-16"])
def test_csv_in_every_common_encoding_reads_the_same(encoding):
    sheet = read_file(csv_bytes(ROWS, encoding), "outputs", max_rows=100)
    assert sheet.format == "csv"
    assert _titles(sheet) == ["碳化硅功率模块银烧结工艺", "钙钛矿叠层电池界面钝化"]
    assert sheet.headers.columns[1] == "organisation"
    assert sheet.headers.headers[0] == "编号"  # a BOM does not stick to the first header


def test_a_gbk_file_is_detected_not_guessed_as_latin():
    sheet = read_file(csv_bytes(ROWS, "gbk"), "outputs", max_rows=100)
    assert sheet.encoding == "gb18030"


def test_a_semicolon_or_tab_separated_csv():
    text = "\n".join("\t".join(row) for row in ROWS).encode("utf-8")
    assert _titles(read_file(text, "outputs", max_rows=100))[0] == "碳化硅功率模块银烧结工艺"


@pytest.mark.parametrize(("header", "key"), [
    ("成果名称", "title"), ("项目名称", "title"), ("Title", "title"), ("TITLE ", "title"),
    ("成果名称\nTitle", "title"), ("成果名称 / Title", "title"), ("*成果名称（必填）", "title"),
    ("技术成熟度(TRL 1-9)", "trl"), ("Transfer modes", "modes"), ("合作方式", "modes"),
    ("最低价格（万元）", "price_min"), ("Price min", "price_min"), ("完成单位", "organisation"),
    ("Institution", "organisation"), ("序号", None), ("备注", None), ("Remarks", None),
])
def test_headers_in_either_language_and_common_variants(header, key):
    assert match_header("outputs", header) == key


def test_unknown_and_repeated_headers_are_reported_as_ignored():
    found = map_headers("outputs", ["序号", "成果名称", "Title", "Abstract", "备注", None, "TRL",
                                    "Modes"])
    assert sorted(found.columns.values()) == ["abstract", "modes", "title", "trl"]
    assert found.ignored == ["序号", "Title", "备注"]
    assert found.missing == []
    assert map_headers("outputs", ["Title"]).missing == ["abstract", "trl", "modes"]


def test_mixed_chinese_and_english_headers_in_one_file():
    rows = [["ID", "完成单位", "Title", "成果简介", "Keywords", "TRL", "转化方式", "Remarks"],
            ["", "秦川理工大学", "高镍正极材料单晶化烧结", "简介", "正极", "5", "许可", "x"]]
    sheet = read_file(xlsx(rows), "outputs", max_rows=10)
    assert sorted(sheet.headers.columns.values()) == sorted(
        ["ref", "organisation", "title", "abstract", "keywords", "trl", "modes"])
    assert sheet.headers.ignored == ["Remarks"]


def test_the_header_row_may_sit_below_a_merged_title():
    content = xlsx(ROWS, title="秦川理工大学2026年科技成果汇总表", merges=["A1:G1"])
    sheet = read_file(content, "outputs", max_rows=10)
    assert sheet.header_row == 2
    assert [n for n, _c in sheet.rows] == [3, 4]


def test_merged_cells_give_every_row_the_value():
    rows = [OUTPUT_HEADERS, output_row(title="A一号成果钛合金"), output_row(org=None, title="B二号成果铝合金"),
            output_row(org=None, title="C三号成果镁合金")]
    sheet = read_file(xlsx(rows, merges=["B2:B4"]), "outputs", max_rows=10)
    assert [cells[1] for _n, cells in sheet.rows] == ["秦川理工大学"] * 3


def test_formulas_read_as_their_computed_value_or_are_marked():
    rows = [OUTPUT_HEADERS, [*output_row()[:5], "=3+3", "许可"]]
    without = read_file(xlsx(rows), "outputs", max_rows=10)
    assert without.rows[0][1][5] is FORMULA_WITHOUT_VALUE
    computed = read_file(with_cached_value(xlsx(rows), "3+3", "6"), "outputs", max_rows=10)
    assert computed.rows[0][1][5] == 6


def test_numbers_and_dates_keep_their_type():
    from datetime import datetime

    rows = [["需求名称", "需求描述", "转化方式", "截止日期", "预算上限"],
            ["需求一", "描述", "许可", datetime(2027, 3, 31), 120.5]]
    cells = read_file(xlsx(rows), "needs", max_rows=10).rows[0][1]
    assert cells[3] == datetime(2027, 3, 31) and cells[4] == 120.5


@pytest.mark.parametrize(("content", "code"), [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "not_a_spreadsheet"),
    (bytes(range(256)) * 16, "not_a_spreadsheet"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "old_excel"),
    (b"PK\x03\x04broken zip", "not_a_spreadsheet"),
    (b"just a sentence, not a table\n", "no_header"),
    ("成果名称,成果简介\n".encode(), "no_rows"),
])
def test_files_that_cannot_be_imported_say_why(content, code):
    with pytest.raises(FileProblem) as problem:
        read_file(content, "outputs", max_rows=10)
    assert problem.value.code == code


def test_a_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(FileProblem) as problem:
        read_file(buffer.getvalue(), "outputs", max_rows=10)
    assert problem.value.code == "not_a_spreadsheet"


def test_too_many_rows():
    rows = [OUTPUT_HEADERS, *[output_row(title=f"成果{i}") for i in range(6)]]
    with pytest.raises(FileProblem) as problem:
        read_file(csv_bytes(rows), "outputs", max_rows=5)
    assert problem.value.code == "too_many_rows" and problem.value.params == {"max": 5}
    assert len(read_file(csv_bytes(rows), "outputs", max_rows=6).rows) == 6


def test_empty_rows_are_skipped_and_row_numbers_kept():
    rows = [OUTPUT_HEADERS, output_row(title="第一项"), [None] * 7, output_row(title="第三项")]
    sheet = read_file(xlsx(rows), "outputs", max_rows=10)
    assert [n for n, _c in sheet.rows] == [2, 4]


# --- any bytes, any cell: a reason, never a crash --------------------------------------------



_PREFIXES = st.sampled_from([b"", b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe",
                             "成果名称,Title,TRL\n".encode(), "成果名称,成果简介\n".encode("gbk")])


@fuzz_settings(60)
@given(prefix=_PREFIXES, body=st.binary(max_size=400))
def test_any_bytes_read_or_say_why(prefix, body):
    try:
        read_file(prefix + body, "outputs", max_rows=50)
    except FileProblem:
        pass


_VOCAB = Vocabulary(chains={"hydrogen": "hydrogen", "氢能": "hydrogen"},
                    segments={"hydrogen": {"制氢": 1}}, modes={"许可": "licence"},
                    reform={"none": "none"}, statuses={"draft": "draft"},
                    regions={"西安市": "西安市"})
_CELLS = st.one_of(st.none(), st.text(max_size=40), st.integers(), st.floats(),
                   st.booleans(), st.dates(), st.datetimes())


@fuzz_settings(200)
@given(key=st.sampled_from(["chain", "segment", "modes", "reform_status", "status", "region",
                            "trl", "min_trl", "deadline", "is_challenge", "patents", "title"]),
       value=_CELLS, chain=st.sampled_from([None, "hydrogen"]))
def test_any_cell_parses_or_says_why(key, value, chain):
    try:
        parse_cell(key, value, _VOCAB, chain_key=chain)
    except CellError:
        pass
