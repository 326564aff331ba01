"""A board's xlsx and CSV exports, parsed back: the same rows as the page, the formula on its
own sheet, and for the public the same things hidden as on the page."""
import csv
import io
from decimal import Decimal

from openpyxl import load_workbook


def _xlsx(response):
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data))


def _csv(response):
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_signed_in_xlsx_holds_the_board_and_its_formula(world, sign_in, admin):
    response = sign_in(admin).get(world.url("broker-value", "2026", "/export.xlsx"))
    assert (f'filename="rankings-broker-value-2026-{world.chain.key}.xlsx"'
            in response.headers["Content-Disposition"])
    book = _xlsx(response)
    board, about = book.worksheets
    rows = [list(r) for r in board.iter_rows(values_only=True)]
    assert len(rows[0]) == 6  # rank, name, value, contracts, reached on, records
    assert rows[1:] == [
        [1, world.broker_b.display_name, 250, 2, "2026-04-01", 2],
        [2, world.broker_a.display_name, 150, 1, "2026-03-31", 1],
    ]
    facts = {r[0]: r[1] for r in about.iter_rows(values_only=True)}
    assert len(facts) == 5 and all(facts.values())


def test_the_signed_in_csv_matches_the_xlsx(world, sign_in, admin):
    signed = sign_in(admin)
    rows = _csv(signed.get(world.url("broker-value", "2026-Q1", "/export.csv")))
    assert rows[1:] == [
        ["1", world.broker_a.display_name, "150.00", "1", "2026-03-31", "1"],
        ["2", world.broker_b.display_name, "150.00", "1", "2026-03-31", "1"],
    ]
    book = _xlsx(signed.get(world.url("broker-value", "2026-Q1", "/export.xlsx")))
    xlsx_rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    assert [[str(c) for c in r[:2]] for r in xlsx_rows] == [r[:2] for r in rows]
    assert Decimal(str(xlsx_rows[1][2])) == Decimal(rows[1][2])


def test_the_public_export_hides_values_dates_and_records(world, client):
    rows = _csv(client.get(world.url("broker-value", "2026", "/export.csv")))
    assert len(rows[0]) == 3  # rank, name, contracts signed
    assert rows[1:] == [["1", world.broker_b.display_name, "2"],
                        ["2", world.broker_a.display_name, "1"]]
    book = _xlsx(client.get(world.url("broker-value", "2026", "/export.xlsx")))
    assert [list(r) for r in book.worksheets[0].iter_rows(values_only=True)][1:] == [
        [1, world.broker_b.display_name, 2], [2, world.broker_a.display_name, 1]]


def test_the_public_export_hides_a_name_that_is_not_public(db_session, world, client):
    from matchmaker.auth import services as auth

    auth.set_account_status(db_session, world.broker_b, "disabled")
    text = client.get(world.url("broker-value", "2026", "/export.csv")).data.decode("utf-8-sig")
    assert world.broker_b.display_name not in text
    assert world.broker_a.display_name in text


def test_the_public_speed_export_has_no_median_days_column(world, client):
    rows = _csv(client.get(world.url("institution-speed", "2026", "/export.csv")))
    assert len(rows[0]) == 3 and len(rows) == 3  # rank, name, contracts signed; two rows


def test_a_name_that_looks_like_a_formula_is_written_as_text(db_session, world, sign_in, admin):
    institution = world.deal_2.output.institution
    institution.name = "=HYPERLINK(\"http://example.com\")"
    db_session.flush()
    signed = sign_in(admin)
    book = _xlsx(signed.get(world.url("institution-value", "2026", "/export.xlsx")))
    names = [r[1] for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"http://example.com\")" in names
    rows = _csv(signed.get(world.url("institution-value", "2026", "/export.csv")))
    assert all(not r[1].startswith("=") for r in rows)
