"""The showcase's home figures, event calendar, sitemap, robots.txt and sharing tags."""
import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from matchmaker.blocks import PLACES
from matchmaker.domain import Role
from matchmaker.events import services as events
from matchmaker.events.outcomes import event_results
from matchmaker.pipeline import clock
from matchmaker.pipeline.models import Contract
from matchmaker.showcase import figures
from matchmaker.showcase.views import slugify
from tests.factories import sign_contract


def figure(page: str, name: str) -> int:
    return int(re.search(rf'data-testid="figure-{name}">(\d+)<', page).group(1))


def test_home_figures_count_public_records(client, make_output, make_need):
    before = client.get("/showcase/").get_data(as_text=True)
    make_output()
    make_output(status="draft")
    make_need()
    make_need(status="closed")
    after = client.get("/showcase/").get_data(as_text=True)
    assert figure(after, "outputs") == figure(before, "outputs") + 1
    assert figure(after, "needs") == figure(before, "needs") + 1


def test_contracts_this_year_and_their_value_only_past_the_threshold(
        app, db_session, make_deal, make_user, monkeypatch):
    today = clock.today()
    signed = db_session.scalars(select(Contract)).all()
    for contract in signed:  # the seed's: moved out of this year, so the test counts its own
        contract.signed_on = today.replace(year=today.year - 2)
    broker = make_user(Role.BROKER)
    for amount in (100, 250):
        deal = make_deal(owner=broker, stage_key="negotiating")
        sign_contract(db_session, deal, broker, total_amount=Decimal(amount),
                      technical_amount=Decimal(amount), signed_on=today)
    two = figures.headline(db_session, today=today, value_min_contracts=3)
    assert (two.contracts, two.contract_value) == (2, None)
    deal = make_deal(owner=broker, stage_key="negotiating")
    sign_contract(db_session, deal, broker, total_amount=Decimal(50),
                  technical_amount=Decimal(50), signed_on=today)
    three = figures.headline(db_session, today=today, value_min_contracts=3)
    assert (three.contracts, three.contract_value) == (3, Decimal(400))


def test_landed_projects_and_local_conversions(client, db_session, make_deal):
    before = figures.headline(db_session, today=clock.today(), value_min_contracts=3)
    deal = make_deal(stage_key="serving", chain_key="hydrogen")  # landed in the province
    after = figures.headline(db_session, today=clock.today(), value_min_contracts=3)
    assert after.local_conversions == before.local_conversions + 1
    projects = figures.landed_projects(db_session)
    assert projects[0].output_id == deal.output_id and projects[0].need_id == deal.need_id
    assert projects[0].year == clock.today().year


def test_home_shows_chains_and_the_showcase_home_block_place(client, app):
    page = client.get("/showcase/").get_data(as_text=True)
    assert 'href="/showcase/chains/hydrogen"' in page
    assert "showcase-home" in PLACES and "broker-today" in PLACES


def test_the_catalogue_filters_by_chain_and_searches(client, make_output):
    output = make_output(chain_key="photonics", title="飞秒激光玻璃内雕三维光波导制备工艺")
    in_chain = client.get("/showcase/outputs?chain=photonics&q=光波导").get_data(as_text=True)
    other = client.get("/showcase/outputs?chain=hydrogen&q=光波导").get_data(as_text=True)
    assert f'data-id="{output.id}"' in in_chain and f'data-id="{output.id}"' not in other


def test_challenges_list_only_open_challenges(client, make_need):
    challenge = make_need(is_challenge=True, prize=Decimal(200))
    plain = make_need()
    page = client.get("/showcase/challenges").get_data(as_text=True)
    assert f'data-id="{challenge.id}"' in page and f'data-id="{plain.id}"' not in page


def test_a_listing_url_with_an_old_slug_moves_to_the_canonical_one(app, client, make_output):
    output = make_output()
    canonical = f"/showcase/outputs/{output.id}/{slugify(output.title)}"
    response = client.get(f"/showcase/outputs/{output.id}/old-title")
    assert response.status_code == 301
    assert unquote(response.headers["Location"]).endswith(canonical)
    assert client.get(canonical).status_code == 200
    by_id = client.get(f"/showcase/outputs/{output.id}").get_data(as_text=True)
    assert unquote(re.search(r'<link rel="canonical" href="([^"]+)"', by_id).group(1)) == \
        app.config["BASE_URL"].rstrip("/") + canonical


def test_public_pages_carry_title_description_canonical_and_open_graph(app, client,
                                                                       make_output):
    output = make_output()
    path = f"/showcase/outputs/{output.id}/{slugify(output.title)}"
    page = client.get(path).get_data(as_text=True)
    base = app.config["BASE_URL"].rstrip("/")
    assert f"<title>{output.title} · " in page
    assert '<meta name="description" content="采用聚苯硫醚基复合隔膜' in page
    canonical = re.search(r'<link rel="canonical" href="([^"]+)"', page).group(1)
    assert canonical.startswith(base + "/showcase/outputs/")
    assert f'<meta property="og:title" content="{output.title}">' in page
    assert f'<meta property="og:url" content="{canonical}">' in page
    for url in ("/showcase/", "/showcase/outputs", "/showcase/chains/hydrogen",
                "/showcase/events"):
        assert 'property="og:title"' in client.get(url).get_data(as_text=True)


def test_robots_disallow_the_private_areas_and_name_the_sitemap(app, client):
    text = client.get("/robots.txt").get_data(as_text=True)
    for area in ("/deals/", "/admin/", "/account", "/auth/", "/outputs/", "/needs/"):
        assert f"Disallow: {area}" in text
    assert f"Sitemap: {app.config['BASE_URL'].rstrip('/')}/sitemap.xml" in text


def test_the_sitemap_lists_public_pages_on_base_url(app, client, make_output, make_need):
    output, need = make_output(), make_need()
    body = client.get("/sitemap.xml")
    text = body.get_data(as_text=True)
    base = app.config["BASE_URL"].rstrip("/")
    assert body.content_type.startswith("application/xml") and "<urlset" in text
    assert f"<loc>{base}/showcase/</loc>" in text
    assert f"/showcase/outputs/{output.id}/" in text and f"/showcase/needs/{need.id}/" in text
    assert "/deals/" not in text


def test_a_large_sitemap_becomes_an_index_of_bounded_files(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SITEMAP_MAX_URLS", 100)
    index = client.get("/sitemap.xml").get_data(as_text=True)
    assert "<sitemapindex" in index
    files = re.findall(r"<loc>[^<]+/(sitemap-\d+\.xml)</loc>", index)
    assert len(files) > 1
    counts = [client.get(f"/{name}").get_data(as_text=True).count("<url>") for name in files]
    assert all(0 < n <= 100 for n in counts)
    assert client.get(f"/sitemap-{len(files) + 1}.xml").status_code == 404
    all_urls = "".join(client.get(f"/{name}").get_data(as_text=True) for name in files)
    assert len(set(re.findall(r"<loc>([^<]+)</loc>", all_urls))) == sum(counts)


@pytest.fixture
def organiser(make_user):
    return make_user(Role.BROKER)


def _event(db_session, organiser, *, title, days, public, status="open"):
    day = clock.today() + timedelta(days=days)
    event = events.create_event(db_session, events.EventData(
        title=title, starts_on=day, ends_on=day, place="西咸新区秦创原总窗口路演中心",
        is_public=public), actor=organiser)
    events.set_event_status(db_session, event, "open", actor=organiser)
    if status != "open":
        event.status = status  # a held event, as its schedule and meetings would leave it
        db_session.flush()
    return event


def test_the_calendar_shows_public_events_only_with_registration(client, db_session,
                                                                 organiser):
    shown = _event(db_session, organiser, title="氢能装备路演（公开）", days=20, public=True)
    hidden = _event(db_session, organiser, title="氢能内部闭门对接会", days=21, public=False)
    page = client.get("/showcase/events").get_data(as_text=True)
    assert shown.title in page and hidden.title not in page
    assert f"/auth/login?next=/events/{shown.id}" in page


def test_past_public_events_show_their_outcomes(client, db_session, organiser):
    past = _event(db_session, organiser, title="光伏硅材料对接会（已举办）", days=-10,
                  public=True, status="held")
    page = client.get("/showcase/events").get_data(as_text=True)
    block = page[page.index(f'data-event="{past.id}"'):]
    results = event_results(db_session, past)
    assert re.search(rf"\b{results.held}\b", block[:600])
