"""List endpoints: pagination, the chain / status / updated-since filters, sorting; and the
stored matches with their score and explanation."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from matchmaker.domain import Role
from matchmaker.recommendations.models import MatchGeneration, MatchSet
from matchmaker.types import utcnow


def _ids(response):
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_pagination_counts_and_pages_do_not_overlap(api_as):
    api, _ = api_as(Role.BROKER)
    first = api.get("/outputs/?per_page=5&page=1&sort=id").get_json()
    second = api.get("/outputs/?per_page=5&page=2&sort=id").get_json()
    assert first["total"] == second["total"] > 10
    assert (first["page"], first["per_page"], len(first["items"])) == (1, 5, 5)
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert ids == sorted(ids) and len(set(ids)) == 10
    beyond = api.get(f"/outputs/?per_page=100&page={first['total'] // 100 + 2}").get_json()
    assert beyond["items"] == [] and beyond["total"] == first["total"]
    too_many = api.get("/outputs/?per_page=1000")
    assert too_many.status_code == 422
    assert too_many.get_json()["errors"][0]["field"] == "per_page"


def test_filters_by_chain_and_status(api_as):
    api, _ = api_as(Role.ADMIN)
    hydrogen = api.get("/outputs/?chain=hydrogen&per_page=100").get_json()["items"]
    assert hydrogen and {i["chain"] for i in hydrogen} == {"hydrogen"}
    drafts = api.get("/needs/?status=published&per_page=100").get_json()["items"]
    assert drafts and {i["status"] for i in drafts} == {"published"}
    assert api.get("/outputs/?status=sold").status_code == 422
    assert _ids(api.get("/outputs/?chain=no-such-chain")) == []
    deals = api.get("/deals/?status=closed&per_page=100").get_json()["items"]
    assert {d["is_open"] for d in deals} <= {False}
    stage = api.get("/deals/?stage=negotiating&per_page=100").get_json()["items"]
    assert {d["stage"] for d in stage} <= {"negotiating"}


def test_updated_since_gives_what_changed_since(api_as, make_output):
    api, user = api_as(Role.INSTITUTION)
    mark = utcnow() - timedelta(seconds=1)
    item = make_output(owner=user, status="draft")
    recent = _ids(api.get("/outputs/", query_string={"updated_since": mark.isoformat(),
                                                     "per_page": 100}))
    assert item.id in recent
    assert all(datetime.fromisoformat(i["updated_at"]) >= mark for i in
               api.get("/outputs/", query_string={"updated_since": mark.isoformat()})
               .get_json()["items"])
    later = (utcnow() + timedelta(hours=1)).astimezone(UTC).isoformat()
    assert _ids(api.get("/outputs/", query_string={"updated_since": later})) == []
    naive = api.get("/outputs/", query_string={"updated_since": "2026-01-01T00:00:00"})
    assert naive.status_code == 422  # a moment without its zone is ambiguous


def test_sorting(api_as):
    api, _ = api_as(Role.ADMIN)
    for sort, key, reverse in (("id", "id", False), ("-id", "id", True),
                               ("-updated_at", "updated_at", True),
                               ("updated_at", "updated_at", False)):
        items = api.get(f"/needs/?sort={sort}&per_page=50").get_json()["items"]
        values = [i[key] for i in items]
        assert values == sorted(values, reverse=reverse), sort
    assert api.get("/needs/?sort=title;drop").status_code == 422
    names = [i["name"] for i in api.get("/institutions/?sort=name&per_page=100")
             .get_json()["items"]]
    assert names == sorted(names)


def test_organisations_search_and_detail(api_as, make_institution):
    api, _ = api_as(Role.ENTERPRISE)
    org = make_institution(name="测试检索研究院")
    found = api.get("/institutions/", query_string={"q": "检索研究"}).get_json()
    assert [i["id"] for i in found["items"]] == [org.id]
    detail = api.get(f"/institutions/{org.id}").get_json()
    assert detail["name"] == "测试检索研究院" and detail["region"]
    chain = api.get("/chains/hydrogen").get_json()
    assert chain["key"] == "hydrogen" and chain["segments"]
    assert api.get("/chains/no-such-chain").status_code == 404


def test_matches_come_from_the_stored_matches_with_score_and_explanation(api_as, db_session):
    stored = db_session.scalar(
        select(MatchSet).join(MatchGeneration).where(MatchGeneration.status == "current",
                                                     MatchSet.side == "need",
                                                     MatchSet.notice.is_(None))
        .order_by(MatchSet.profile_id))
    api, _ = api_as(Role.BROKER)
    body = api.get(f"/needs/{stored.profile_id}/matches").get_json()
    assert body["state"] in ("fresh", "updating") and body["items"]
    first = body["items"][0]
    assert first["need_id"] == stored.profile_id and first["rank"] == 1
    assert 0 < first["score"] <= 1 and first["parts"] and isinstance(first["explanation"], dict)
    expected = [m.output_id for m in stored.matches]
    assert [i["output_id"] for i in body["items"]] == [o for o in expected if o in
                                                       {i["output_id"] for i in body["items"]}]
    scores = [i["score"] for i in body["items"]]
    assert scores == sorted(scores, reverse=True)


def _stored_need_set(db_session):
    return db_session.scalar(
        select(MatchSet).join(MatchGeneration).where(MatchGeneration.status == "current",
                                                     MatchSet.side == "need",
                                                     MatchSet.notice.is_(None))
        .order_by(MatchSet.profile_id))


def test_matches_report_the_calibrated_quality_as_score_and_the_raw_score(api_as, db_session):
    from matchmaker.matching import calibration

    stored = _stored_need_set(db_session)
    ranked = sorted(stored.matches, key=lambda m: m.rank)
    raw = {m.output_id: (m.score, m.rank) for m in ranked}
    api, _ = api_as(Role.BROKER)
    body = api.get(f"/needs/{stored.profile_id}/matches").get_json()
    assert body["floor"] == 0.0 and body["good"] == len(body["items"]) and body["items"]
    for item in body["items"]:
        score, rank = raw[item["output_id"]]
        assert item["raw_score"] == pytest.approx(score)
        assert item["score"] == calibration.default().predict(score, ranked[0].score, rank)
        assert item["below_floor"] is False


def test_matches_leave_out_candidates_below_the_floor_unless_asked(api_as, app, db_session,
                                                                     monkeypatch):
    stored = _stored_need_set(db_session)
    api, _ = api_as(Role.BROKER)
    every = api.get(f"/needs/{stored.profile_id}/matches").get_json()["items"]
    assert len(every) >= 3
    floor = (every[1]["score"] + every[2]["score"]) / 2
    monkeypatch.setitem(app.config, "MATCH_FLOOR", floor)
    body = api.get(f"/needs/{stored.profile_id}/matches").get_json()
    assert [i["output_id"] for i in body["items"]] == [i["output_id"] for i in every[:2]]
    assert (body["floor"], body["good"], body["weaker"]) == (floor, 2, len(every) - 2)
    weaker = api.get(f"/needs/{stored.profile_id}/matches?weaker=true").get_json()
    assert [i["below_floor"] for i in weaker["items"]] == [False, False] + [True] * (
        len(every) - 2)
