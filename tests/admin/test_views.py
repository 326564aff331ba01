"""Operator pages: the chain editor and account approval; nobody else may use them."""
import pytest
from sqlalchemy import func, select

from matchmaker.auth.models import User
from matchmaker.chains.models import Chain, ChainSegment
from matchmaker.recommendations.index import chain_dicts
from tests.conftest import submit

CHAIN = {"key": "low_altitude", "name_zh": "低空经济", "name_en": "Low-altitude economy",
         "description_zh": "无人机与通用航空", "description_en": "Drones and general aviation",
         "synonyms": "无人机 | UAV | drone\neVTOL | 电动垂直起降", "core_terms": "低空经济，无人机, drone",
         "is_active": "y"}


def test_operator_adds_a_chain_with_synonyms_and_a_segment(login_as, db_session):
    client = login_as("admin")
    assert submit(client, "/admin/chains/new", CHAIN).status_code == 302
    chain = db_session.scalar(select(Chain).where(Chain.key == "low_altitude"))
    assert chain.synonym_groups == [["无人机", "UAV", "drone"], ["eVTOL", "电动垂直起降"]]
    assert chain.core_terms == ["低空经济", "无人机", "drone"]
    edit_page = client.get(f"/admin/chains/{chain.id}/edit").get_data(as_text=True)
    assert "低空经济，无人机，drone" in edit_page
    # the matcher is built from chain_dicts: the new core terms reach it
    assert {c["key"]: c for c in chain_dicts(db_session)}["low_altitude"]["core_terms"] == \
        ["低空经济", "无人机", "drone"]
    response = submit(client, f"/admin/chains/{chain.id}/segments/new", {
        "key": "airframes", "name_zh": "整机", "name_en": "Airframes", "position": "1",
        "keywords_zh": "多旋翼，复合翼", "keywords_en": "multirotor, VTOL",
        "ipc_prefixes": "b64c 39/02, B64U"})
    assert response.status_code == 302
    segment = db_session.scalar(select(ChainSegment).where(ChainSegment.key == "airframes"))
    assert segment.ipc_prefixes == ["B64C 39/02", "B64U"]
    assert segment.keywords_en == ["multirotor", "VTOL"]
    assert "低空经济" in client.get("/admin/chains").get_data(as_text=True)


@pytest.mark.parametrize("overrides, message", [
    ({"key": "hydrogen"}, "已有其他产业链使用该标识"),
    ({"key": "Bad Key!"}, "小写字母"),
    ({"name_zh": ""}, "请输入名称"),
    ({"synonyms": "孤单的词"}, "至少需要两个词"),
])
def test_bad_chain_input_is_refused_with_a_message(login_as, db_session, overrides, message):
    client = login_as("admin")
    before = db_session.scalar(select(func.count()).select_from(Chain))
    page = submit(client, "/admin/chains/new", CHAIN | overrides).get_data(as_text=True)
    assert message in page
    assert db_session.scalar(select(func.count()).select_from(Chain)) == before


def test_malformed_ipc_prefix_is_refused(login_as, db_session):
    client = login_as("admin")
    chain = db_session.scalar(select(Chain).where(Chain.key == "hydrogen"))
    page = submit(client, f"/admin/chains/{chain.id}/segments/new", {
        "key": "newseg", "name_zh": "新环节", "name_en": "New", "position": "7",
        "keywords_zh": "", "keywords_en": "", "ipc_prefixes": "C25B 1/04, 12345"})
    assert "“12345”不是 IPC 分类号或前缀" in page.get_data(as_text=True)
    assert db_session.scalar(select(ChainSegment).where(ChainSegment.key == "newseg")) is None


def test_segment_in_use_cannot_be_deleted(login_as, db_session):
    client = login_as("admin")
    chain = db_session.scalar(select(Chain).where(Chain.key == "hydrogen"))
    segment = chain.segments[0]
    response = submit(client, f"/admin/segments/{segment.id}/delete", {},
                      form_url="/admin/chains", follow_redirects=True)
    assert "仍有成果或需求使用该环节" in response.get_data(as_text=True)
    assert db_session.get(ChainSegment, segment.id) is not None


@pytest.mark.parametrize("account", ["qcut", "h2-ent-01", "broker-zhangmin"])
def test_only_operators_reach_the_operator_pages(login_as, db_session, account):
    client = login_as(account)
    chain = db_session.scalar(select(Chain).where(Chain.key == "hydrogen"))
    name = chain.name_zh
    for url in ("/admin/users", "/admin/chains", "/admin/chains/new",
                f"/admin/chains/{chain.id}/edit"):
        assert client.get(url).status_code == 403, url
    response = submit(client, f"/admin/chains/{chain.id}/edit", CHAIN | {"key": "hydrogen",
                                                                         "name_zh": "改名"},
                      form_url="/")
    assert response.status_code == 403
    user = db_session.scalar(select(User).where(User.role == "enterprise"))
    response = submit(client, f"/admin/users/{user.id}/status", {"status": "disabled"},
                      form_url="/")
    assert response.status_code == 403
    db_session.refresh(chain)
    db_session.refresh(user)
    assert chain.name_zh == name and user.status == "active"


def test_operator_rejects_and_disables_accounts(login_as, db_session):
    client = login_as("admin")
    user = db_session.scalar(select(User).where(User.email == "xjju@demo.example.com"))
    submit(client, f"/admin/users/{user.id}/status", {"status": "disabled"},
           form_url="/admin/users?status=active")
    db_session.refresh(user)
    assert user.status == "disabled"
    page = client.get("/admin/users?status=disabled").get_data(as_text=True)
    assert "xjju@demo.example.com" in page


def test_a_synonym_group_that_clashes_with_another_chain_is_refused(login_as, db_session):
    """SoC is a system-on-chip in the vehicles chain: a group must not fold it into 荷电状态."""
    client = login_as("admin")
    page = submit(client, "/admin/chains/new", CHAIN | {
        "synonyms": "荷电状态 | SoC | state of charge"}).get_data(as_text=True)
    assert "“soc”会被归入“荷电状态”" in page and "智能网联汽车" in page
    assert db_session.scalar(select(Chain).where(Chain.key == "low_altitude")) is None


def test_a_segment_keyword_another_chain_folds_in_another_sense_is_refused(login_as, db_session):
    client = login_as("admin")
    chain = db_session.scalar(select(Chain).where(Chain.key == "hydrogen"))
    page = submit(client, f"/admin/chains/{chain.id}/segments/new", {
        "key": "newseg", "name_zh": "新环节", "name_en": "New", "position": "7",
        "keywords_zh": "", "keywords_en": "LFP, stack", "ipc_prefixes": ""})
    assert "“lfp”会被归入“磷酸铁锂”" in page.get_data(as_text=True)
    assert db_session.scalar(select(ChainSegment).where(ChainSegment.key == "newseg")) is None
