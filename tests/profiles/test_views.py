"""Research output and technology need pages: lists, search, filters, forms and ownership."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from matchmaker.chains.models import Chain
from matchmaker.domain import Role
from matchmaker.profiles.models import ResearchOutput, TechNeed
from tests.conftest import submit


def _output(db_session, ref):
    return db_session.scalar(select(ResearchOutput).where(ResearchOutput.ref == ref))


def _need(db_session, ref):
    return db_session.scalar(select(TechNeed).where(TechNeed.ref == ref))


def _first_published_output(db_session, institution_ref):
    return db_session.scalar(select(ResearchOutput).join(ResearchOutput.institution)
                             .where(ResearchOutput.status == "published")
                             .where(ResearchOutput.institution.has(ref=institution_ref))
                             .order_by(ResearchOutput.id))


def _count(db_session, model):
    return db_session.scalar(select(func.count()).select_from(model))


def _hydrogen_segment_id(db_session, key="production"):
    chain = db_session.scalar(select(Chain).where(Chain.key == "hydrogen"))
    return next(s.id for s in chain.segments if s.key == key)


OUTPUT_ABSTRACT = ("采用聚苯硫醚基复合隔膜，面电阻降低30%，在 80 ℃、30% KOH 电解液中连续运行 3000 小时"
                   "无明显衰减，氢中氧含量低于 0.2%，适用于兆瓦级碱性电解槽。")
NEED_DESCRIPTION = ("金属双极板在 0.6 V 工况下腐蚀电流偏高，接触电阻随运行时间上升，需要新的防腐涂层，"
                    "要求在 80 ℃ 酸性环境中耐久 5000 小时，适合不锈钢冲压板批量喷涂。")


def output_form(db_session, **overrides):
    return {"title": "兆瓦级碱性电解槽复合隔膜", "abstract": OUTPUT_ABSTRACT,
            "keywords": "碱性电解，隔膜", "inventors": "王立新，赵敏", "chain": "hydrogen",
            "segment": str(_hydrogen_segment_id(db_session)), "trl": "5", "modes": ["licence"],
            "price_min": "50", "price_max": "120", "reform_status": "none",
            "patents": "ZL202110345678.2; C25B 1/04, C25B 13/08; granted"} | overrides


def need_form(**overrides):
    return {"title": "氢燃料电池双极板防腐涂层", "description": NEED_DESCRIPTION,
            "keywords": "双极板，涂层", "chain": "hydrogen", "segment": "", "min_trl": "6",
            "modes": ["licence", "pay_later"], "budget_min": "30", "budget_max": "80",
            "deadline": (date.today() + timedelta(days=200)).isoformat(), "region": "西咸新区",
            "prize": ""} | overrides


# --- lists, search, filters --------------------------------------------------------------

def test_lists_require_sign_in(client):
    assert client.get("/outputs/").status_code == 302
    assert client.get("/needs/").status_code == 302


def test_output_list_shows_published_outputs_with_pagination(login_as):
    client = login_as("broker-zhangmin")
    page1 = client.get("/outputs/").get_data(as_text=True)
    page2 = client.get("/outputs/?page=2").get_data(as_text=True)
    titles1 = set(re.findall(r'data-testid="title" lang="\w+">(.*?)</span>', page1))
    titles2 = set(re.findall(r'data-testid="title" lang="\w+">(.*?)</span>', page2))
    assert len(titles1) == 20 and len(titles2) == 20 and not titles1 & titles2


def _result_count(page: str) -> int:
    return int(re.search(r'data-testid="result-count">\D*(\d+)', page).group(1))


def test_chinese_search_finds_outputs_by_abstract_words_and_their_synonyms(login_as,
                                                                           db_session):
    client = login_as("broker-zhangmin")
    total = _result_count(client.get("/outputs/?q=双极板").get_data(as_text=True))
    group = ("双极板", "bipolar plate", "bpp", "流场板")  # the hydrogen chain's synonym group
    visible = db_session.scalars(select(ResearchOutput).where(
        ResearchOutput.status.in_(["published", "under_negotiation", "transferred"]))).all()
    expected = [o for o in visible
                if any(term in f"{o.title} {o.abstract} {' '.join(o.keywords)}".lower()
                       for term in group)]
    assert total == len(expected) > 0


def test_a_term_finds_listings_written_with_another_term_of_its_synonym_group(login_as,
                                                                              db_session):
    institution = _output(db_session, "h2-o-001").institution
    english = ResearchOutput(title="Low-iridium anode for proton exchange membrane electrolysis",
                             abstract="Iridium loading cut to 0.2 mg/cm2 at 2 A/cm2.", trl=5,
                             institution=institution, status="published", lang="en")
    db_session.add(english)
    db_session.commit()
    client = login_as("broker-zhangmin")
    for query in ("质子交换膜", "PEM", "ＰＥＭ", "質子交換膜"):
        page = client.get("/outputs/", query_string={"q": query}).get_data(as_text=True)
        assert f'href="/outputs/{english.id}"' in page, query
    page = client.get("/outputs/", query_string={"q": "碱性电解槽"}).get_data(as_text=True)
    assert f'href="/outputs/{english.id}"' not in page


def test_search_with_two_words_requires_both(login_as):
    client = login_as("broker-zhangmin")
    one = client.get("/outputs/?q=电解").get_data(as_text=True)
    both = client.get("/outputs/?q=电解 PEM").get_data(as_text=True)
    count = lambda page: int(re.search(r'result-count">\D*(\d+)', page).group(1))
    assert 0 < count(both) < count(one)


def test_filters_by_chain_trl_mode_and_region_narrow_the_list(login_as, db_session):
    client = login_as("broker-zhangmin")
    page = client.get("/outputs/?chain=photovoltaics&trl_from=6&mode=licence&region=西安市")
    ids = [int(i) for i in re.findall(r'href="/outputs/(\d+)"', page.get_data(as_text=True))]
    assert ids
    for output in (db_session.get(ResearchOutput, i) for i in ids):
        assert output.chain.key == "photovoltaics" and output.trl >= 6
        assert "licence" in output.modes and output.institution.region.name == "西安市"


def test_need_filters_by_segment_and_status(login_as, db_session):
    client = login_as("broker-liuyang")
    segment = _hydrogen_segment_id(db_session, "fuel_cell")
    page = client.get(f"/needs/?segment={segment}&status=published").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'href="/needs/(\d+)"', page)]
    assert ids and all(db_session.get(TechNeed, i).segment_id == segment for i in ids)


def test_full_width_english_and_chinese_terms_find_the_same_records(login_as):
    client = login_as("broker-zhangmin")
    pages = {q: client.get(f"/outputs/?q={q}").get_data(as_text=True)
             for q in ("PEM", "ＰＥＭ", "pem", "质子交换膜", "proton+exchange+membrane")}
    counts = {q: _result_count(page) for q, page in pages.items()}
    assert len(set(counts.values())) == 1 and counts["PEM"] > 0, counts
    ids = {q: set(re.findall(r'href="/outputs/(\d+)"', page)) for q, page in pages.items()}
    assert len({frozenset(v) for v in ids.values()}) == 1


def test_search_finds_traditional_characters_single_characters_and_prefixes(login_as):
    client = login_as("broker-zhangmin")
    simplified = _result_count(client.get("/outputs/?q=电解槽").get_data(as_text=True))
    assert _result_count(client.get("/outputs/?q=電解槽").get_data(as_text=True)) == simplified
    assert _result_count(client.get("/outputs/?q=氢").get_data(as_text=True)) > simplified > 0
    assert _result_count(client.get("/outputs/?q=electroly").get_data(as_text=True)) > 0


@pytest.mark.parametrize("query", ["!!!", "，。", "%_%", "' OR 1=1 --", "a:* & b", "<->", "\\"])
def test_search_queries_with_nothing_or_odd_characters_answer_normally(login_as, query):
    response = login_as("broker-zhangmin").get("/outputs/", query_string={"q": query})
    assert response.status_code == 200


def test_garbage_filter_values_are_ignored_not_crashing(login_as):
    client = login_as("broker-zhangmin")
    response = client.get("/outputs/?trl_from=abc&segment=-4&page=99999&q=%25_%25")
    assert response.status_code in (200, 404)


def test_drafts_are_private_to_their_owner(make_user, make_output, sign_in):
    owner = make_user(Role.INSTITUTION)
    draft = make_output(owner=owner, status="draft")
    assert sign_in(make_user(Role.INSTITUTION)).get(f"/outputs/{draft.id}").status_code == 404
    assert sign_in(owner).get(f"/outputs/{draft.id}").status_code == 200


# --- creating and editing ----------------------------------------------------------------

def _own(db_session, model, org_column, org_id):
    return db_session.scalars(select(model).where(org_column == org_id)).all()


def test_institution_lists_an_output_as_draft_then_publishes_it(institution, sign_in,
                                                                 db_session):
    client = sign_in(institution)
    response = submit(client, "/outputs/new", output_form(db_session))
    assert response.status_code == 302
    [output] = _own(db_session, ResearchOutput, ResearchOutput.institution_id,
                    institution.institution_id)
    assert output.status == "draft" and output.title == "兆瓦级碱性电解槽复合隔膜"
    assert output.created_by == institution
    assert output.patents[0].ipc_codes == ["C25B 1/04", "C25B 13/08"]
    assert sorted(output.modes) == ["licence"]
    submit(client, f"/outputs/{output.id}/status", {"status": "published"},
           form_url=f"/outputs/{output.id}")
    db_session.refresh(output)
    assert output.status == "published" and output.published_at is not None


@pytest.mark.parametrize("overrides, message", [
    ({"title": ""}, "请输入标题"),
    ({"title": "长" * 201}, "标题过长"),
    ({"trl": "12"}, "TRL 必须在 1 到 9 之间"),
    ({"trl": ""}, "请输入 1 到 9 的 TRL"),
    ({"price_min": "200", "price_max": "100"}, "最低价格高于最高价格"),
    ({"chain": "quantum_cooking"}, "不是有效的选择"),
    ({"abstract": "字" * 5001}, "内容过长"),
    ({"patents": "ZL2021103; X99Z 1/04; granted"}, "不是 IPC 分类号"),
    ({"patents": "ZL2021103 C25B 1/04"}, "第 1 行"),
    ({"modes": []}, "请至少选择一种方式"),
    ({"price_min": "abc"}, "意向价格下限（万元）须为以万元计的数字"),
])
def test_bad_output_input_shows_a_message_and_saves_nothing(institution, sign_in, db_session,
                                                            overrides, message):
    client = sign_in(institution)
    before = _count(db_session, ResearchOutput)
    response = submit(client, "/outputs/new", output_form(db_session, **overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _count(db_session, ResearchOutput) == before


def test_segment_of_another_chain_is_refused(institution, sign_in, db_session):
    client = sign_in(institution)
    before = _count(db_session, ResearchOutput)
    response = submit(client, "/outputs/new", output_form(db_session, chain="photonics"))
    assert "所选环节不属于该产业链" in response.get_data(as_text=True)
    assert _count(db_session, ResearchOutput) == before


@pytest.mark.parametrize("overrides, message", [
    ({"budget_min": "100", "budget_max": "20"}, "最低预算高于最高预算"),
    ({"min_trl": "0"}, "TRL 必须在 1 到 9 之间"),
    ({"deadline": "2020-01-01"}, "截止日期已过"),
    ({"deadline": "31/02/2027"}, "不是有效的日期值"),
    ({"is_challenge": "y", "prize": ""}, "揭榜挂帅需要设定奖金"),
    ({"description": ""}, "请描述需要解决的问题"),
    ({"region": "火星"}, "不是有效的选择"),
    ({"keywords": "，".join(f"词{i}" for i in range(13))}, "最多 12 项"),
])
def test_bad_need_input_shows_a_message_and_saves_nothing(enterprise, sign_in, db_session,
                                                          overrides, message):
    client = sign_in(enterprise)
    before = _count(db_session, TechNeed)
    response = submit(client, "/needs/new", need_form(**overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _count(db_session, TechNeed) == before


def test_enterprise_posts_an_open_challenge(enterprise, sign_in, db_session):
    client = sign_in(enterprise)
    submit(client, "/needs/new", need_form(is_challenge="y", prize="150"))
    [need] = _own(db_session, TechNeed, TechNeed.enterprise_id, enterprise.enterprise_id)
    assert need.is_challenge and need.prize == 150 and need.region.name == "西咸新区"
    assert need.title == "氢燃料电池双极板防腐涂层" and need.status == "draft"


def test_owner_edits_an_output_and_the_change_is_saved(institution, make_output, sign_in,
                                                       db_session):
    output = make_output(owner=institution)
    client = sign_in(institution)
    form = output_form(db_session, title="新的标题：高温质子交换膜", version=str(output.version))
    assert submit(client, f"/outputs/{output.id}/edit", form).status_code == 302
    db_session.refresh(output)
    assert output.title == "新的标题：高温质子交换膜"


def test_a_save_that_changes_only_the_modes_moves_the_version(institution, make_output,
                                                              sign_in, db_session):
    """The modes live in another table; the listing's version (the lock) must move anyway."""
    output = make_output(owner=institution)
    form = output_form(db_session, title=output.title, abstract=output.abstract,
                       keywords="，".join(output.keywords), inventors="，".join(output.inventors),
                       segment="", patents="ZL202110345678.2; C25B 1/04; granted",
                       version=str(output.version))
    submit(sign_in(institution), f"/outputs/{output.id}/edit", form)
    db_session.refresh(output)
    version = output.version
    form |= {"modes": ["licence", "joint_rd"], "version": str(version)}
    assert submit(sign_in(institution), f"/outputs/{output.id}/edit", form).status_code == 302
    db_session.refresh(output)
    assert sorted(output.modes) == ["joint_rd", "licence"] and output.version == version + 1


def test_a_stale_edit_does_not_overwrite_a_newer_one(institution, make_output, sign_in,
                                                     db_session):
    output = make_output(owner=institution)
    client = sign_in(institution)
    stale = str(output.version)
    submit(client, f"/outputs/{output.id}/edit",
           output_form(db_session, title="第一位编辑的标题", version=stale))
    response = submit(client, f"/outputs/{output.id}/edit",
                      output_form(db_session, title="第二位编辑的标题", version=stale))
    assert "其他人已保存" in response.get_data(as_text=True)
    db_session.refresh(output)
    assert output.title == "第一位编辑的标题"


def test_transferred_output_cannot_be_published_again(institution, make_output, sign_in,
                                                      db_session):
    output = make_output(owner=institution, status="transferred")
    client = sign_in(institution)
    response = submit(client, f"/outputs/{output.id}/status", {"status": "published"},
                      form_url=f"/outputs/{output.id}", follow_redirects=True)
    assert "当前无法变更为该状态" in response.get_data(as_text=True)
    db_session.refresh(output)
    assert output.status == "transferred"


# --- refusals ----------------------------------------------------------------------------

def test_enterprise_cannot_edit_another_enterprises_need(enterprise, make_user, make_need,
                                                         sign_in, db_session):
    need = make_need(owner=enterprise)
    client = sign_in(make_user(Role.ENTERPRISE))
    assert client.get(f"/needs/{need.id}/edit").status_code == 403
    title = need.title
    response = submit(client, f"/needs/{need.id}/edit", need_form(title="篡改"),
                      form_url=f"/needs/{need.id}")
    assert response.status_code == 403
    response = submit(client, f"/needs/{need.id}/status", {"status": "closed"},
                      form_url=f"/needs/{need.id}")
    assert response.status_code == 403
    db_session.refresh(need)
    assert need.title == title and need.status == "published"


def test_institution_cannot_edit_another_institutions_output(institution, make_user,
                                                            make_output, sign_in, db_session):
    output = make_output(owner=institution)
    client = sign_in(make_user(Role.INSTITUTION))
    response = submit(client, f"/outputs/{output.id}/edit",
                      output_form(db_session, title="篡改"), form_url=f"/outputs/{output.id}")
    assert response.status_code == 403
    response = submit(client, f"/outputs/{output.id}/status", {"status": "withdrawn"},
                      form_url=f"/outputs/{output.id}")
    assert response.status_code == 403
    db_session.refresh(output)
    assert output.title != "篡改" and output.status == "published"


@pytest.mark.parametrize("role, url", [
    (Role.BROKER, "/outputs/new"), (Role.BROKER, "/needs/new"),
    (Role.ENTERPRISE, "/outputs/new"), (Role.INSTITUTION, "/needs/new"),
    (Role.ADMIN, "/outputs/new"), (Role.ADMIN, "/needs/new"),  # the form needs an organisation
])
def test_roles_that_do_not_own_a_kind_cannot_create_it(make_user, sign_in, db_session, role,
                                                       url):
    client = sign_in(make_user(role))
    before = (_count(db_session, ResearchOutput), _count(db_session, TechNeed))
    assert client.get(url).status_code == 403
    assert client.post(url, data={"title": "x"}).status_code in (400, 403)
    assert (_count(db_session, ResearchOutput), _count(db_session, TechNeed)) == before


@pytest.mark.parametrize("role, shown", [(Role.INSTITUTION, True), (Role.ENTERPRISE, False),
                                         (Role.BROKER, False), (Role.ADMIN, False)])
def test_only_who_may_list_an_output_sees_the_button(make_user, sign_in, role, shown):
    page = sign_in(make_user(role)).get("/outputs/").get_data(as_text=True)
    assert ('href="/outputs/new"' in page) is shown


def test_broker_reads_published_items_but_has_no_edit_button(make_broker, make_need, sign_in):
    need = make_need()
    page = sign_in(make_broker()).get(f"/needs/{need.id}").get_data(as_text=True)
    assert need.title in page and 'data-testid="owner-actions"' not in page


def test_the_owner_and_an_operator_see_the_owner_actions(enterprise, make_user, make_need,
                                                         sign_in):
    need = make_need(owner=enterprise)
    for viewer in (enterprise, make_user(Role.ADMIN)):
        page = sign_in(viewer).get(f"/needs/{need.id}").get_data(as_text=True)
        assert 'data-testid="owner-actions"' in page


def test_form_without_csrf_token_is_rejected(institution, sign_in, db_session):
    client = sign_in(institution)
    before = _count(db_session, ResearchOutput)
    response = client.post("/outputs/new", data=output_form(db_session))
    assert response.status_code == 400
    assert _count(db_session, ResearchOutput) == before


@pytest.mark.parametrize("role, url, shown", [
    (Role.INSTITUTION, "/outputs/", True), (Role.ENTERPRISE, "/needs/", True),
    (Role.ENTERPRISE, "/outputs/", False), (Role.BROKER, "/needs/", False),
    (Role.ADMIN, "/outputs/", False),
])
def test_only_ours_is_offered_to_the_accounts_that_own_listings_of_the_list(
        make_user, sign_in, role, url, shown):
    page = sign_in(make_user(role)).get(url).get_data(as_text=True)
    assert ('id="mine"' in page) is shown
