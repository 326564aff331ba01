"""A chain or segment form posted with fields missing is refused with messages, never a 500,
and never falls back to the stored values (found by the route fuzz: a chain edit without the
synonyms box handed the stored list of synonym lines to the text validator)."""
from sqlalchemy import select

from matchmaker.chains.models import Chain
from tests.conftest import submit


def test_a_chain_edit_without_the_synonyms_field_saves_no_synonyms(login_as, db_session):
    client = login_as("admin")
    chain = db_session.scalar(select(Chain).where(Chain.key == "hydrogen"))
    response = submit(client, f"/admin/chains/{chain.id}/edit",
                      {"key": "hydrogen", "name_zh": "氢能", "name_en": "Hydrogen"})
    assert response.status_code == 302
    db_session.refresh(chain)
    assert chain.synonyms == []


def test_a_chain_edit_without_its_names_asks_for_them(login_as, db_session):
    client = login_as("admin")
    chain = db_session.scalar(select(Chain).where(Chain.key == "hydrogen"))
    page = submit(client, f"/admin/chains/{chain.id}/edit", {"key": "hydrogen"})
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("请输入名称") == 2
    db_session.refresh(chain)
    assert chain.name_zh == "氢能"


def test_a_new_chain_without_descriptions_is_saved_with_empty_ones(login_as, db_session):
    client = login_as("admin")
    response = submit(client, "/admin/chains/new",
                      {"key": "quantum", "name_zh": "量子", "name_en": "Quantum"})
    assert response.status_code == 302
    chain = db_session.scalar(select(Chain).where(Chain.key == "quantum"))
    assert (chain.description_zh, chain.description_en, chain.synonyms) == ("", "", [])
