"""The stages page (/deals/stages): who reaches it (operators only; nothing changes for the
others), what it shows, adding a sub-step that then works on the board and the list, editing,
reordering without JavaScript, refusals shown on their field, stale saves, bad input."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from matchmaker.domain import Role
from matchmaker.pipeline import clock, services
from matchmaker.pipeline.models import DealStage, StageChange
from tests.conftest import csrf_token, submit

PAGES = ["/deals/stages", "/deals/stages/new", "/deals/stages/new?after=negotiating",
         "/deals/stages/landed/edit"]


def _text(response) -> str:
    return response.get_data(as_text=True)


def _snapshot(session) -> tuple:
    session.expire_all()
    stages = sorted((s.key, s.position, s.name_zh, s.name_en, s.default_probability,
                     s.stale_after_days, tuple(s.requirements), s.is_active, s.version)
                    for s in session.scalars(select(DealStage)))
    return stages, session.scalar(select(func.count()).select_from(StageChange))


def _posts(landed: DealStage) -> dict[str, dict]:
    """A valid submission of every form on the pages."""
    return {
        "/deals/stages/new": {"after": "introduced", "key": "due_diligence",
                              "name_zh": "尽职调查", "name_en": "Due diligence",
                              "default_probability": "35", "stale_after_days": "7"},
        "/deals/stages/landed/edit": {"version": str(landed.version), "name_zh": "已落地",
                                      "name_en": "Landed here", "default_probability": "90",
                                      "stale_after_days": "60", "requirements": "landing",
                                      "is_active": "y"},
        "/deals/stages/landed/move": {"version": str(landed.version), "direction": "up"},
    }


@pytest.fixture
def operator_client(operator, sign_in):
    return sign_in(operator)


def _add(client, **overrides):
    data = {"after": "introduced", "key": "due_diligence", "name_zh": "尽职调查",
            "name_en": "Due diligence", "default_probability": "35", "stale_after_days": "7",
            **overrides}
    return submit(client, "/deals/stages/new", data)


# --- who reaches it ---------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_sign_in_and_change_nothing(client, db_session):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    before = _snapshot(db_session)
    landed = services.get_stage(db_session, "landed")
    for url, data in _posts(landed).items():
        response = submit(client, url, data, form_url="/auth/login")
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert _snapshot(db_session) == before


@pytest.mark.parametrize("role", [Role.BROKER, Role.ENTERPRISE, Role.INSTITUTION])
def test_other_roles_are_refused_every_page_and_form_and_nothing_changes(
        db_session, make_user, sign_in, role):
    client = sign_in(make_user(role))
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    before = _snapshot(db_session)
    landed = services.get_stage(db_session, "landed")
    for url, data in _posts(landed).items():
        assert submit(client, url, data, form_url="/").status_code == 403, url
    assert _snapshot(db_session) == before


def test_the_stages_are_linked_from_the_operators_menus_only(operator_client, broker,
                                                             sign_in):
    board = _text(operator_client.get("/deals/board"))
    assert 'data-testid="stages-tab"' in board and 'data-testid="admin-stages-link"' in board
    broker_board = _text(sign_in(broker).get("/deals/board"))
    assert "/deals/stages" not in broker_board


# --- what it shows ------------------------------------------------------------------------------

def test_the_page_lists_every_stage_by_phase_with_its_figures_and_open_deals(
        operator_client, db_session, open_deal):
    open_deal("introduced")
    page = _text(operator_client.get("/deals/stages"))
    phases = re.findall(r'data-testid="phase" data-phase="(\w+)"', page)
    assert phases == ["mine", "land", "serve", "showcase", "lost"]
    rows = re.findall(r'data-testid="stage-row" data-stage="(\w+)"', page)
    assert rows == [s.key for s in services.list_stages(db_session, active_only=False)]
    counts = services.open_deal_counts(db_session)
    introduced = services.get_stage(db_session, "introduced")
    row = page[page.index('id="stage-introduced"'):]
    row = row[:row.index("</tr>")]
    assert re.search(rf'data-testid="stage-open-deals">\s*<a [^>]*>{counts[introduced.id]}</a>',
                     row)
    assert "25%" in row and "已引荐" in row and "Introduced" in row
    negotiating = page[page.index('id="stage-negotiating"'):]
    assert "谈判条件" in negotiating[:negotiating.index("</tr>")]  # its requirement's label


def test_the_page_reads_in_english_too(operator_client):
    submit(operator_client, "/auth/locale/en", {"next": "/deals/stages"}, form_url="/")
    page = _text(operator_client.get("/deals/stages"))
    assert "Deal stages" in page and "Terms: transfer mode, price, payment" in page


# --- an operator at work ----------------------------------------------------------------------

def test_an_operator_adds_a_sub_step_that_the_board_and_the_list_then_use(
        operator_client, db_session, open_deal, broker, sign_in):
    response = _add(operator_client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/deals/stages#stage-due_diligence")
    stage = services.get_stage(db_session, "due_diligence")
    assert (stage.phase, stage.name_en, stage.default_probability, stage.stale_after_days) == (
        "land", "Due diligence", 35, 7)
    broker_client = sign_in(broker)
    deal = open_deal("introduced")
    board = _text(broker_client.get("/deals/board"))
    columns = re.findall(r'data-testid="column" data-stage="(\w+)"', board)
    assert columns.index("due_diligence") == columns.index("introduced") + 1
    card = board[board.index(f'id="deal-{deal.id}"'):]
    assert '<option value="due_diligence"' in card[:card.index("</form>")]

    moved = submit(broker_client, f"/deals/{deal.id}/move",
                   {"stage": "due_diligence", "version": deal.version, "back": "board"},
                   form_url="/deals/board")
    assert moved.status_code == 302
    db_session.refresh(deal)
    assert deal.stage.key == "due_diligence"
    board = _text(broker_client.get("/deals/board"))
    column = board[board.index('data-testid="column" data-stage="due_diligence"'):]
    column = column[:column.index("</section>")]
    assert f'id="deal-{deal.id}"' in column
    assert re.search(r'data-testid="column-count">1<', column)
    listed = _text(broker_client.get("/deals/?stage=due_diligence"))
    assert f'/deals/{deal.id}"' in listed
    page = _text(broker_client.get(f"/deals/{deal.id}"))
    assert 'data-stage="due_diligence"' in page


def test_an_operator_renames_a_stage_and_the_change_is_recorded(operator_client, db_session,
                                                                 operator):
    landed = services.get_stage(db_session, "landed")
    data = _posts(landed)["/deals/stages/landed/edit"]
    response = submit(operator_client, "/deals/stages/landed/edit", data)
    assert response.status_code == 302
    db_session.refresh(landed)
    assert landed.name_en == "Landed here" and landed.default_probability == 90
    change = db_session.scalar(select(StageChange).where(StageChange.field == "name_en"))
    assert (change.old_value, change.new_value, change.actor_id) == (
        "Landed", "Landed here", operator.id)
    page = _text(operator_client.get("/deals/stages"))
    assert ('data-testid="stage-change" data-stage="landed" data-action="changed" '
            'data-field="name_en"') in page


def test_the_move_buttons_reorder_a_phase_without_javascript(operator_client, db_session):
    landed = services.get_stage(db_session, "landed")
    response = submit(operator_client, "/deals/stages/landed/move",
                      {"version": landed.version, "direction": "up"}, form_url="/deals/stages")
    assert response.status_code == 302
    order = [s.key for s in services.list_stages(db_session) if s.phase == "land"]
    assert order == ["introduced", "negotiating", "landed", "contract_signed"]


def test_a_refusal_is_shown_on_its_field_and_nothing_changes(operator_client, db_session):
    before = _snapshot(db_session)
    signed = services.get_stage(db_session, "contract_signed")
    response = submit(operator_client, "/deals/stages/contract_signed/edit", {
        "version": signed.version, "name_zh": "已签约", "name_en": "Contract signed",
        "default_probability": "80", "stale_after_days": "45", "requirements": "contract"})
    assert response.status_code == 200
    page = _text(response)
    assert re.search(r'class="invalid-feedback d-block" data-field="is_active">[^<]+<', page)
    response = _add(operator_client, key="Due Diligence")
    assert re.search(r'data-field="key">[^<]+<', _text(response))
    assert _snapshot(db_session) == before


def test_a_stage_holding_open_deals_is_not_switched_off_from_the_page(
        operator_client, db_session, open_deal, broker):
    _add(operator_client)
    deal = open_deal("introduced")
    services.move_deal(db_session, deal, "due_diligence", actor=broker)
    stage = services.get_stage(db_session, "due_diligence")
    response = submit(operator_client, "/deals/stages/due_diligence/edit", {
        "version": stage.version, "name_zh": "尽职调查", "name_en": "Due diligence",
        "default_probability": "35", "stale_after_days": "7"})
    assert response.status_code == 200 and 'data-field="is_active"' in _text(response)
    db_session.refresh(stage)
    assert stage.is_active


def test_of_two_operators_editing_one_stage_the_second_is_told_and_gets_a_fresh_form(
        operator_client, db_session):
    landed = services.get_stage(db_session, "landed")
    data = _posts(landed)["/deals/stages/landed/edit"]
    token = csrf_token(operator_client, "/deals/stages/landed/edit")
    first = operator_client.post("/deals/stages/landed/edit", data={**data, "csrf_token": token})
    assert first.status_code == 302
    second = operator_client.post("/deals/stages/landed/edit", data={
        **data, "name_en": "Landed (second)", "csrf_token": token})
    assert second.status_code == 302 and second.headers["Location"].endswith(
        "/deals/stages/landed/edit")
    db_session.refresh(landed)
    assert landed.name_en == "Landed here"
    fresh = _text(operator_client.get("/deals/stages/landed/edit"))
    assert 'value="Landed here"' in fresh and 'role="alert"' in fresh


def test_a_switched_off_stage_stays_readable_in_a_deals_history(
        operator_client, db_session, open_deal, broker, sign_in):
    _add(operator_client)
    deal = open_deal("introduced")
    with clock.at(clock.now() - timedelta(hours=1)):
        services.move_deal(db_session, deal, "due_diligence", actor=broker)
    services.move_deal(db_session, deal, "negotiating", actor=broker)
    stage = services.get_stage(db_session, "due_diligence")
    response = submit(operator_client, "/deals/stages/due_diligence/edit", {
        "version": stage.version, "name_zh": "尽职调查", "name_en": "Due diligence",
        "default_probability": "35", "stale_after_days": "7"})
    assert response.status_code == 302
    broker_client = sign_in(broker)
    assert 'data-stage="due_diligence"' not in _text(broker_client.get("/deals/board"))
    page = _text(broker_client.get(f"/deals/{deal.id}"))
    assert "尽职调查" in page  # the timeline still names it
    assert 'value="due_diligence"' not in page  # no move offers it


@pytest.mark.parametrize(("url", "data"), [
    ("/deals/stages/new", {"after": "nope", "key": "x_y", "name_zh": "x", "name_en": "x",
                           "default_probability": "1"}),
    ("/deals/stages/new", {"after": "introduced", "key": "k" * 400, "name_zh": "x",
                           "name_en": "x", "default_probability": "abc"}),
    ("/deals/stages/new", {"after": "introduced", "key": "big_one", "name_zh": "x",
                           "name_en": "x", "default_probability": "5",
                           "stale_after_days": "9" * 30}),
    ("/deals/stages/landed/edit", {"version": "x", "name_zh": "x" * 500, "name_en": "",
                                   "default_probability": "-5", "requirements": "bogus"}),
    ("/deals/stages/landed/move", {"version": "1", "direction": "sideways"}),
])
def test_bad_input_is_refused_with_reasons_never_a_500(operator_client, db_session, url, data):
    before = _snapshot(db_session)
    response = submit(operator_client, url, data, form_url="/deals/stages")
    assert response.status_code in (200, 302)
    assert _snapshot(db_session) == before


def test_an_unknown_stage_is_not_found(operator_client):
    assert operator_client.get("/deals/stages/nope/edit").status_code == 404
    response = submit(operator_client, "/deals/stages/nope/move",
                      {"version": "1", "direction": "up"}, form_url="/deals/stages")
    assert response.status_code == 404
