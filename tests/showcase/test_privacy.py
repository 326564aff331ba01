"""The public showcase shows nothing private: one test per private field and per hidden
status, on every public page that could carry it (list, chain page, detail, sitemap)."""
from decimal import Decimal

import pytest

from matchmaker.domain import Role
from matchmaker.pipeline import services as pipeline
from matchmaker.showcase.views import slugify
from tests.conftest import submit

UNIQUE_TITLE = "石墨烯增强质子交换膜低温启动技术示范"


def public_pages(client, item, side: str) -> str:
    """Return the text of every public page the listing appears on."""
    plural = "outputs" if side == "output" else "needs"
    pages = [client.get(f"/showcase/{plural}/{item.id}/{slugify(item.title)}"),
             client.get(f"/showcase/{plural}?q={item.title}"),
             client.get(f"/showcase/chains/{item.chain.key}"),
             client.get("/showcase/")]
    assert pages[0].status_code == 200
    assert f"/showcase/{plural}/{item.id}/" in pages[1].get_data(as_text=True)
    return "\n".join(page.get_data(as_text=True) for page in pages)


def test_the_public_page_shows_the_public_fields(client, make_output):
    output = make_output(title=UNIQUE_TITLE, keywords=["低温启动"])
    page = public_pages(client, output, "output")
    assert UNIQUE_TITLE in page and "低温启动" in page and "C25B 1/04" in page


def test_confidential_note_is_not_public(client, db_session, make_output):
    output = make_output(title=UNIQUE_TITLE)
    output.confidential_note = "工艺窗口：烧结温度 1375 ℃ 保温 47 分钟"
    db_session.flush()
    assert "1375" not in public_pages(client, output, "output")


def test_asking_price_is_not_public(client, make_output):
    output = make_output(title=UNIQUE_TITLE, price_min=Decimal("987.65"),
                         price_max=Decimal("1234.5"))
    page = public_pages(client, output, "output")
    assert "987.65" not in page and "1,234.5" not in page and "1234.5" not in page


def test_inventors_are_not_public(client, make_output):
    output = make_output(title=UNIQUE_TITLE, inventors=["欧阳策明", "司马晓岚"])
    page = public_pages(client, output, "output")
    assert "欧阳策明" not in page and "司马晓岚" not in page


def test_reform_status_is_not_public(client, make_output):
    output = make_output(title=UNIQUE_TITLE, reform_status="ownership_granted")
    page = public_pages(client, output, "output")
    assert "赋权" not in page


def test_owner_contact_details_are_not_public(client, make_user, make_output):
    owner = make_user(Role.INSTITUTION, email="prof.secret-7731@lab.example.com")
    output = make_output(title=UNIQUE_TITLE, owner=owner)
    assert "prof.secret-7731" not in public_pages(client, output, "output")


def test_need_budget_is_not_public(client, make_need):
    need = make_need(title=UNIQUE_TITLE, budget_min=Decimal("876.54"),
                     budget_max=Decimal("987.65"))
    page = public_pages(client, need, "need")
    assert "876.54" not in page and "987.65" not in page


def test_need_author_contact_is_not_public(client, make_user, make_need):
    owner = make_user(Role.ENTERPRISE, email="cto.secret-5523@corp.example.com")
    need = make_need(title=UNIQUE_TITLE, owner=owner)
    assert "cto.secret-5523" not in public_pages(client, need, "need")


def test_challenge_prize_is_public(client, make_need):
    need = make_need(title=UNIQUE_TITLE, is_challenge=True, prize=Decimal(500))
    page = client.get(f"/showcase/needs/{need.id}").get_data(as_text=True)
    assert 'data-testid="public-prize"' in page and "500" in page


def test_broker_contact_on_a_deal_is_not_public(client, db_session, make_deal, make_broker):
    broker = make_broker(chains=["hydrogen"])
    pipeline_contact = {"phone": "138 0029 7741", "contact_email": "broker.priv@x.example.com"}
    for name, value in pipeline_contact.items():
        setattr(broker.broker, name, value)
    deal = make_deal(owner=broker, stage_key="landed", chain_key="hydrogen")
    db_session.flush()
    page = "\n".join(client.get(url).get_data(as_text=True) for url in (
        "/showcase/", "/showcase/chains/hydrogen",
        f"/showcase/outputs/{deal.output_id}/{slugify(deal.output.title)}"))
    assert "0029 7741" not in page and "broker.priv" not in page
    assert pipeline.get_deal(db_session, deal.id, viewer=broker).title not in page


@pytest.mark.parametrize("status", ["draft", "withdrawn"])
def test_hidden_output_status_is_not_public(client, make_output, status):
    output = make_output(title=UNIQUE_TITLE, status=status)
    assert client.get(f"/showcase/outputs/{output.id}/{slugify(output.title)}").status_code \
        == 404
    assert client.get(f"/showcase/outputs/{output.id}").status_code == 404
    lists = "".join(client.get(url).get_data(as_text=True) for url in (
        "/showcase/outputs", "/showcase/chains/hydrogen", "/sitemap.xml"))
    assert UNIQUE_TITLE not in lists and f"/showcase/outputs/{output.id}/" not in lists
    form = {"name": "张三", "email": "a@example.com", "message": "请介绍一下这项技术的情况",
            "accept_privacy": "y"}
    assert submit(client, f"/showcase/contact/output/{output.id}", form,
                  form_url="/showcase/").status_code == 404


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_hidden_need_status_is_not_public(client, make_need, status):
    need = make_need(title=UNIQUE_TITLE, status=status, is_challenge=True, prize=Decimal(80))
    assert client.get(f"/showcase/needs/{need.id}/{slugify(need.title)}").status_code == 404
    lists = "".join(client.get(url).get_data(as_text=True) for url in (
        "/showcase/needs", "/showcase/challenges",
        "/showcase/chains/hydrogen", "/sitemap.xml"))
    assert UNIQUE_TITLE not in lists and f"/showcase/needs/{need.id}/" not in lists


@pytest.mark.parametrize("status", ["transferred", "under_negotiation"])
def test_deal_statuses_keep_the_public_page(client, make_output, status):
    output = make_output(title=UNIQUE_TITLE, status=status)
    page = client.get(f"/showcase/outputs/{output.id}/{slugify(output.title)}")
    assert page.status_code == 200


def test_transferred_output_is_not_listed_as_available(client, make_output):
    output = make_output(title=UNIQUE_TITLE, status="transferred")
    page = client.get(f"/showcase/outputs?q={UNIQUE_TITLE}").get_data(as_text=True)
    assert f"/showcase/outputs/{output.id}/" not in page
    assert f"/showcase/outputs/{output.id}/" in client.get("/sitemap.xml").get_data(as_text=True)


def test_landed_project_hides_a_listing_that_is_no_longer_public(client, db_session,
                                                                   make_deal, make_output,
                                                                   make_need):
    hidden = make_need(title="某企业内部未公开的冷启动改造需求项目")
    deal = make_deal(stage_key="serving", need=hidden, chain_key="hydrogen",
                     output=make_output(title=UNIQUE_TITLE))
    hidden.status = "closed"  # the enterprise closed it after the deal landed
    db_session.flush()
    page = client.get("/showcase/chains/hydrogen").get_data(as_text=True)
    assert UNIQUE_TITLE in page and deal.need.title not in page
