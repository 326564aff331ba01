"""Ids and page numbers that cannot exist are 404 (or ignored filters), never a 500.

Ids are 32-bit INTEGER columns on PostgreSQL and SQLite refuses integers beyond 64 bits, so an
unchecked number from a URL used to reach the database and fail there.
"""
import pytest
from sqlalchemy import select

from matchmaker.profiles.models import TechNeed
from matchmaker.routing import ID_MAX, PAGE_MAX, bounded_int, parse_page
from tests.conftest import submit

HUGE = ["9223372036854775808", "2147483648", "99999999999999999999", "0", "-1", "00",
        "1e3", "１２"]


@pytest.mark.parametrize("value, page", [
    (None, 1), ("", 1), ("1", 1), ("2", 2), (str(PAGE_MAX), PAGE_MAX), (str(PAGE_MAX + 1), None),
    ("0", None), ("-3", None), ("99999999999999999999", None), ("abc", None), ("1.5", None),
    ("١٢", None), ("²", None),
])
def test_parse_page(value, page):
    assert parse_page(value) == page


@pytest.mark.parametrize("value, result", [
    ("5", 5), ("-4", None), ("abc", None), ("99999999999999999999", None), (None, None),
    ("9", 9), ("10", None), ("١", None),
])
def test_bounded_int(value, result):
    assert bounded_int(value, 1, 9) == result


@pytest.mark.parametrize("kind", ["outputs", "needs"])
@pytest.mark.parametrize("item_id", HUGE)
@pytest.mark.parametrize("suffix", ["", "/edit"])
def test_impossible_item_ids_are_not_found(login_as, kind, item_id, suffix):
    client = login_as("admin")
    assert client.get(f"/{kind}/{item_id}{suffix}").status_code == 404


@pytest.mark.parametrize("item_id", ["9223372036854775808", "2147483648", "-1", "0"])
def test_status_change_on_an_impossible_id_is_not_found(login_as, item_id):
    client = login_as("admin")
    response = submit(client, f"/outputs/{item_id}/status", {"status": "published"},
                      form_url="/outputs/")
    assert response.status_code == 404


def test_the_largest_possible_id_is_looked_up_and_not_found(login_as):
    client = login_as("admin")
    assert client.get(f"/outputs/{ID_MAX}").status_code == 404
    assert client.get(f"/needs/{ID_MAX}/edit").status_code == 404


@pytest.mark.parametrize("query", ["page=99999999999999999999", "page=-3", "page=0", "page=abc",
                                   f"page={PAGE_MAX + 1}", "page=5000"])
@pytest.mark.parametrize("kind", ["outputs", "needs"])
def test_impossible_page_numbers_are_not_found(login_as, kind, query):
    assert login_as("broker-zhangmin").get(f"/{kind}/?{query}").status_code == 404


@pytest.mark.parametrize("query", [
    "segment=99999999999999999999", "segment=-4", "segment=2147483648", "trl_from=abc",
    "trl_to=99999999999999999999", "trl_from=-1", "chain=nope", "mode=x", "status=deleted",
    "region=火星", "q=%25_%25", "mine=yes", "segment=abc", "per_page=abc",
])
@pytest.mark.parametrize("kind", ["outputs", "needs"])
def test_garbage_filters_are_ignored(login_as, kind, query):
    client = login_as("broker-zhangmin")
    everything = client.get(f"/{kind}/").get_data(as_text=True)
    response = client.get(f"/{kind}/?{query}")
    assert response.status_code == 200
    count = 'data-testid="result-count"'
    if not query.startswith("q="):
        assert (response.get_data(as_text=True).split(count)[1][:40]
                == everything.split(count)[1][:40])


@pytest.mark.parametrize("url", ["/admin/users?page=99999999999999999999", "/admin/users?page=-3",
                                 "/brokers?page=abc", "/?page=0"])
def test_every_page_refuses_impossible_page_numbers(login_as, url):
    assert login_as("admin").get(url).status_code == 404


@pytest.mark.parametrize("need_id, output_id", [
    ("9223372036854775808", "1"), ("1", "9223372036854775808"), ("2147483648", "1"),
    ("-1", "1"), ("99999999999999999999", "99999999999999999999"),
])
def test_feedback_urls_with_impossible_ids_are_not_found(login_as, need_id, output_id):
    client = login_as("broker-zhangmin")
    url = f"/recommendations/needs/{need_id}/outputs/{output_id}/feedback"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"verdict": "relevant"}).status_code in (400, 404)


@pytest.mark.parametrize("url", [
    "/admin/chains/9223372036854775808/edit", "/admin/chains/2147483648/edit",
    "/admin/chains/-1/edit", "/admin/chains/2147483648/segments/new",
    "/admin/segments/9223372036854775808/edit", "/admin/segments/2147483648/edit",
    "/institutions/9223372036854775808", "/enterprises/2147483648",
    "/brokers/99999999999999999999",
])
def test_admin_and_organisation_urls_with_impossible_ids_are_not_found(login_as, url):
    assert login_as("admin").get(url).status_code == 404


@pytest.mark.parametrize("url", ["/admin/users/9223372036854775808/status",
                                 "/admin/users/2147483648/status",
                                 "/admin/segments/9223372036854775808/delete"])
def test_admin_posts_with_impossible_ids_are_not_found(login_as, url):
    client = login_as("admin")
    response = submit(client, url, {"status": "active"}, form_url="/admin/chains")
    assert response.status_code == 404


def test_urls_are_still_built_and_matched_for_real_ids(login_as, db_session):
    need = db_session.scalar(select(TechNeed).where(TechNeed.ref == "h2-n-001"))
    client = login_as("broker-zhangmin")
    assert client.get(f"/needs/{need.id}").status_code == 200
    assert client.get("/needs/?page=2").status_code == 200
    assert f'href="/needs/{need.id}"' in client.get("/needs/?q=氧中氢").get_data(as_text=True)
