"""The technology contracts sheet (技术合同认定登记 layout), read back with openpyxl."""
from datetime import date
from decimal import Decimal
from io import BytesIO

from flask_babel import force_locale
from openpyxl import load_workbook

from matchmaker.domain import Role
from matchmaker.pipeline import export, services
from tests.factories import sign_contract


def _sheet(data: bytes):
    return load_workbook(BytesIO(data)).active


def test_the_contract_sheet_lists_each_contract_in_the_register_layout(
        app, db_session, make_deal, broker, region, make_user):
    first = make_deal(owner=broker, stage_key="negotiating")
    second = make_deal(owner=broker, stage_key="negotiating")
    make_deal(owner=broker)  # no contract: not in the sheet
    sign_contract(db_session, first, broker, name="镍基电极技术许可合同",
                  registration_no="2026610113000123", registered_on=date(2026, 11, 25),
                  term_start=date(2026, 12, 1), term_end=date(2029, 11, 30))
    sign_contract(db_session, second, broker, contract_type="development",
                  total_amount=Decimal("80.5"), technical_amount=Decimal(60),
                  signed_on=date(2026, 10, 9))
    services.mark_landed(db_session, first, actor=broker, name="沣渭氢电", region=region,
                         landed_on=date(2026, 11, 28))
    with app.test_request_context(), force_locale("zh"):
        sheet = _sheet(export.export_contracts_xlsx(db_session, broker))
    assert sheet["A1"].value == "技术合同认定登记表"
    headers = [c.value for c in sheet[3]]
    assert headers[:9] == ["序号", "登记号", "合同名称", "合同类型", "卖方（技术转让方/受托方）",
                           "买方（技术受让方/委托方）", "合同总金额（万元）", "技术交易额（万元）",
                           "签订日期"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4, max_row=5)]
    # ordered by signing date: the development contract of 9 October first
    assert rows[0][:9] == [1, None, second.title, "技术开发", "测试大学", "测试企业有限公司", 80.5,
                           60, rows[0][8]]
    assert rows[0][8].date() == date(2026, 10, 9)
    assert rows[1][:8] == [2, "2026610113000123", "镍基电极技术许可合同", "技术许可", "测试大学",
                           "测试企业有限公司", 150, 140]
    assert [v.date() for v in rows[1][8:12]] == [date(2026, 11, 20), date(2026, 12, 1),
                                                date(2029, 11, 30), date(2026, 11, 25)]
    assert rows[1][15:] == [region.name, "是", broker.display_name]
    foot = [c.value for c in sheet[6]]
    assert foot[0] == "合计" and foot[6] == "=SUM(G4:G5)" and foot[7] == "=SUM(H4:H5)"
    assert sheet["G4"].number_format == export.MONEY_FORMAT


def test_the_sheet_has_english_headers_for_an_english_reader(app, db_session, make_deal,
                                                             broker):
    deal = make_deal(owner=broker, stage_key="negotiating")
    sign_contract(db_session, deal, broker)
    with app.test_request_context(), force_locale("en"):
        sheet = _sheet(export.export_contracts_xlsx(db_session, broker))
    assert sheet["C3"].value == "Contract name" and sheet["D4"].value == "Technology licence"


def test_only_contracts_of_deals_the_viewer_sees_are_exported(app, db_session, make_deal,
                                                              broker, make_user, chain):
    deal = make_deal(owner=broker, stage_key="negotiating")
    sign_contract(db_session, deal, broker)
    stranger = make_user(Role.BROKER, chains=[chain])
    with app.test_request_context():
        assert export.list_exportable_contracts(db_session, stranger) == []
        assert [c.deal_id for c in export.list_exportable_contracts(db_session, broker)] == [
            deal.id]
        sheet = _sheet(export.export_contracts_xlsx(db_session, stranger))
    assert sheet["A4"].value in ("合计", "Total") and sheet["G4"].value == 0
