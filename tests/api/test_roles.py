"""Every endpoint as every role: anonymous visitors (no token), enterprise and institution
members, brokers and operators get what matchmaker.permissions gives them on the site, and
404 for what they may not see."""
from datetime import date, timedelta

import pytest

from matchmaker.domain import Role
from tests.api.conftest import ROLES
from tests.factories import NEED_DESCRIPTION, NEED_TITLE, OUTPUT_ABSTRACT, OUTPUT_TITLE


@pytest.fixture
def world(make_user, make_output, make_need, make_deal, make_broker, db_session):
    """One account of each role, each organisation with a draft of its own, others' public
    listings, a deal worked by the broker and another broker's deal."""
    people = {role: make_user(role) for role in ROLES if role != "anonymous"}
    broker = people[Role.BROKER]
    rows = {
        "own_output": make_output(owner=people[Role.INSTITUTION], status="draft"),
        "own_need": make_need(owner=people[Role.ENTERPRISE], status="draft"),
        "public_output": make_output(),
        "public_need": make_need(),
        "deal": make_deal(owner=broker),
        "other_deal": make_deal(owner=make_broker()),
    }
    rows["institution"] = people[Role.INSTITUTION].institution
    rows["enterprise"] = people[Role.ENTERPRISE].enterprise
    db_session.flush()
    return people, rows


def _call(api_as, world, role, method, path, **kwargs):
    people, _rows = world
    api, _user = api_as(people.get(role, "anonymous"))
    return api.open(method, path, **kwargs)


# (path template, expected status for: anonymous, enterprise, institution, broker, operator)
READS = [
    ("/outputs/", (401, 200, 200, 200, 200)),
    ("/needs/", (401, 200, 200, 200, 200)),
    ("/outputs/{own_output}", (401, 404, 200, 404, 200)),
    ("/needs/{own_need}", (401, 200, 404, 404, 200)),
    ("/outputs/{public_output}", (401, 200, 200, 200, 200)),
    ("/needs/{public_need}", (401, 200, 200, 200, 200)),
    ("/outputs/{own_output}/matches", (401, 404, 200, 404, 200)),
    ("/outputs/{public_output}/matches", (401, 404, 404, 200, 200)),
    ("/needs/{public_need}/matches", (401, 404, 404, 200, 200)),
    ("/needs/{own_need}/matches", (401, 200, 404, 404, 200)),
    ("/institutions/", (401, 200, 200, 200, 200)),
    ("/institutions/{institution}", (401, 200, 200, 200, 200)),
    ("/enterprises/", (401, 200, 200, 200, 200)),
    ("/enterprises/{enterprise}", (401, 200, 200, 200, 200)),
    ("/chains/", (401, 200, 200, 200, 200)),
    ("/chains/hydrogen", (401, 200, 200, 200, 200)),
    ("/deals/", (401, 403, 403, 200, 200)),
    ("/deals/{deal}", (401, 403, 403, 200, 200)),
    ("/deals/{other_deal}", (401, 403, 403, 404, 200)),
]


def _path(template: str, rows) -> str:
    return template.format(**{k: getattr(v, "id", v) for k, v in rows.items()})


@pytest.mark.parametrize(("template", "expected"), READS, ids=[r[0] for r in READS])
def test_reads_by_role(api_as, world, template, expected):
    _people, rows = world
    for role, status in zip(ROLES, expected, strict=True):
        response = _call(api_as, world, role, "GET", _path(template, rows))
        assert response.status_code == status, (role, response.get_json())
        if status == 200 and "{" in template and "matches" not in template:
            assert response.get_json()["id"] == int(_path(template, rows).rsplit("/", 1)[1]) \
                or template.startswith("/chains")


def test_lists_hold_only_what_each_role_may_see(api_as, world):
    people, rows = world
    own, foreign = rows["own_output"].id, rows["public_output"].id
    seen = {}
    for role in (Role.ENTERPRISE, Role.INSTITUTION, Role.BROKER, Role.ADMIN):
        api, _ = api_as(people[role])
        ids = {item["id"] for item in
               api.get("/outputs/?status=draft&per_page=100").get_json()["items"]}
        seen[role] = own in ids
        assert foreign in {i["id"] for i in api.get("/outputs/?per_page=100&sort=-id")
                           .get_json()["items"]}
    assert seen == {Role.ENTERPRISE: False, Role.INSTITUTION: True, Role.BROKER: False,
                    Role.ADMIN: True}
    deals = {role: {d["id"] for d in api_as(people[role])[0].get("/deals/?per_page=100")
                    .get_json()["items"]} for role in (Role.BROKER, Role.ADMIN)}
    assert rows["deal"].id in deals[Role.BROKER]
    assert rows["other_deal"].id not in deals[Role.BROKER]
    assert {rows["deal"].id, rows["other_deal"].id} <= deals[Role.ADMIN]


def _output_body(**extra):
    return {"title": OUTPUT_TITLE, "abstract": OUTPUT_ABSTRACT, "trl": 5, "modes": ["licence"],
            "keywords": ["碱性电解", "隔膜"], "chain": "hydrogen",
            "patents": [{"number": "ZL202110345678.2", "ipc": ["C25B 1/04"],
                         "status": "granted"}], "price_min": "50", "price_max": 120, **extra}


def _need_body(**extra):
    return {"title": NEED_TITLE, "description": NEED_DESCRIPTION, "modes": ["licence"],
            "chain": "hydrogen", "min_trl": 6, "budget_min": "30", "budget_max": "80",
            "deadline": (date.today() + timedelta(days=100)).isoformat(), **extra}


def test_create_output_by_role(api_as, world):
    _people, rows = world
    expected = (401, 403, 201, 403, 422)  # operators must name the institution
    for role, status in zip(ROLES, expected, strict=True):
        response = _call(api_as, world, role, "POST", "/outputs/", json=_output_body())
        assert response.status_code == status, (role, response.get_json())
    made = _call(api_as, world, Role.INSTITUTION, "POST", "/outputs/", json=_output_body())
    body = made.get_json()
    assert body["status"] == "draft" and body["institution"]["id"] == rows["institution"].id
    assert body["patents"] == [{"number": "ZL202110345678.2", "ipc": ["C25B 1/04"],
                                "status": "granted"}]
    assert (body["price_min"], body["price_max"]) == ("50.00", "120.00")
    assert made.headers["ETag"] == '"1"'
    assert made.headers["Location"] == f"/api/v1/outputs/{body['id']}"
    by_operator = _call(api_as, world, Role.ADMIN, "POST", "/outputs/",
                        json=_output_body(institution_id=rows["institution"].id))
    assert by_operator.status_code == 201
    assert by_operator.get_json()["institution"]["id"] == rows["institution"].id


def test_create_need_by_role(api_as, world):
    _people, rows = world
    expected = (401, 201, 403, 403, 422)
    for role, status in zip(ROLES, expected, strict=True):
        response = _call(api_as, world, role, "POST", "/needs/", json=_need_body())
        assert response.status_code == status, (role, response.get_json())
    by_operator = _call(api_as, world, Role.ADMIN, "POST", "/needs/",
                        json=_need_body(enterprise_id=rows["enterprise"].id))
    assert by_operator.status_code == 201
    assert by_operator.get_json()["enterprise"]["id"] == rows["enterprise"].id


@pytest.mark.parametrize(("target", "expected"), [
    ("own_output", (401, 404, 200, 404, 200)),
    ("public_output", (401, 403, 403, 403, 200)),
])
def test_update_output_by_role(api_as, world, target, expected):
    people, rows = world
    item = rows[target]
    for role, status in zip(ROLES, expected, strict=True):
        api, _ = api_as(people.get(role, "anonymous"))
        etag = f'"{item.version}"'
        response = api.patch(f"/outputs/{item.id}", json={"trl": 6},
                             headers={"If-Match": etag})
        assert response.status_code == status, (role, response.get_json())
        if status == 200:
            assert response.get_json()["trl"] == 6
            assert response.headers["ETag"] == f'"{response.get_json()["version"]}"' != etag


@pytest.mark.parametrize(("target", "expected"), [
    ("own_need", (401, 200, 404, 404, 200)),
    ("public_need", (401, 403, 403, 403, 200)),
])
def test_update_need_by_role(api_as, world, target, expected):
    people, rows = world
    item = rows[target]
    for role, status in zip(ROLES, expected, strict=True):
        api, _ = api_as(people.get(role, "anonymous"))
        response = api.patch(f"/needs/{item.id}", json={"min_trl": 4},
                             headers={"If-Match": f'"{item.version}"'})
        assert response.status_code == status, (role, response.get_json())


def test_status_changes_by_role_and_rule(api_as, world):
    people, rows = world
    item = rows["own_output"]
    for role, status in zip(ROLES, (401, 404, None, 404, None), strict=True):
        if status is not None:
            response = _call(api_as, world, role, "POST", f"/outputs/{item.id}/status",
                             json={"status": "published"}, headers={"If-Match": '"1"'})
            assert response.status_code == status, role
    api, _ = api_as(people[Role.INSTITUTION])
    published = api.post(f"/outputs/{item.id}/status", json={"status": "published"},
                         headers={"If-Match": f'"{item.version}"'})
    assert published.status_code == 200, published.get_json()
    assert published.get_json()["status"] == "published"
    assert published.get_json()["published_at"] is not None
    # A deal owns "transferred"; draft is not reachable from published: both 409.
    for status in ("transferred", "draft"):
        refused = api.post(f"/outputs/{item.id}/status", json={"status": status},
                           headers={"If-Match": published.headers["ETag"]})
        assert refused.status_code == 409, refused.get_json()
        assert refused.get_json()["code"] == "invalid_transition"
    unknown = api.post(f"/outputs/{item.id}/status", json={"status": "flying"},
                       headers={"If-Match": published.headers["ETag"]})
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["field"] == "status"


def test_publishing_a_thin_need_names_what_is_missing(api_as, world):
    people, _rows = world
    api, _ = api_as(people[Role.ENTERPRISE], lang="en")
    made = api.post("/needs/", json={"title": "涂层", "description": "短", "modes": ["licence"]})
    assert made.status_code == 201, made.get_json()
    refused = api.post(f"/needs/{made.get_json()['id']}/status", json={"status": "published"},
                       headers={"If-Match": made.headers["ETag"]})
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["code"] == "not_publishable"
    assert {e["field"] for e in body["errors"]} == {"title", "description"}


def test_deal_stage_moves_by_role(api_as, world):
    people, rows = world
    deal = rows["deal"]
    move = {"stage": "lost", "lost_reason": "no_budget", "reason": "企业预算取消"}
    for role, status in zip(ROLES, (401, 403, 403, None, None), strict=True):
        if status is not None:
            response = _call(api_as, world, role, "POST", f"/deals/{deal.id}/stage", json=move,
                             headers={"If-Match": f'"{deal.version}"'})
            assert response.status_code == status, role
    broker, _ = api_as(people[Role.BROKER])
    other = broker.post(f"/deals/{rows['other_deal'].id}/stage", json=move,
                        headers={"If-Match": f'"{rows["other_deal"].version}"'})
    assert other.status_code == 404
    read = broker.get(f"/deals/{deal.id}")
    skipped = broker.post(f"/deals/{deal.id}/stage", json={"stage": "contract_signed"},
                          headers={"If-Match": read.headers["ETag"]})
    assert skipped.status_code == 422 and skipped.get_json()["code"] == "refused"
    assert skipped.get_json()["errors"]
    moved = broker.post(f"/deals/{deal.id}/stage", json=move,
                        headers={"If-Match": read.headers["ETag"]})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["stage"] == "lost" and moved.get_json()["is_open"] is False
    assert moved.get_json()["lost_reason"] == "no_budget"
    from matchmaker.extensions import db
    from matchmaker.pipeline.services import list_history
    history = list_history(db.session, db.session.get(type(deal), deal.id))
    assert any(h.kind == "stage" for h in history)
    operator, _ = api_as(people[Role.ADMIN])
    assert operator.get(f"/deals/{deal.id}").get_json()["stage"] == "lost"


def test_deal_field_changes_by_role_with_history(api_as, world, db_session):
    from matchmaker.extensions import db
    from matchmaker.pipeline.services import list_history

    people, rows = world
    deal = rows["deal"]
    change = {"probability": 40, "transfer_mode": "licence", "ip_checked": True,
              "next_step": "约企业技术总监看样品", "next_step_due": "2031-03-02"}
    for role, status in zip(ROLES, (401, 403, 403, None, None), strict=True):
        if status is not None:
            response = _call(api_as, world, role, "PATCH", f"/deals/{deal.id}", json=change,
                             headers={"If-Match": f'"{deal.version}"'})
            assert response.status_code == status, role
    broker, _ = api_as(people[Role.BROKER], lang="en")
    other = rows["other_deal"]
    assert broker.patch(f"/deals/{other.id}", json=change,
                        headers={"If-Match": f'"{other.version}"'}).status_code == 404
    etag = broker.get(f"/deals/{deal.id}").headers["ETag"]
    bad = broker.patch(f"/deals/{deal.id}", json={"transfer_mode": "gift", "title": ""},
                       headers={"If-Match": etag})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"transfer_mode", "title"}
    changed = broker.patch(f"/deals/{deal.id}", json=change, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert (body["probability"], body["transfer_mode"], body["ip_checked"]) == (40, "licence",
                                                                               True)
    assert (body["next_step"], body["next_step_due"]) == (change["next_step"], "2031-03-02")
    assert body["title"] == deal.title and body["expected_value"] == "120.00"  # kept
    kinds = [h.kind for h in list_history(db.session, db.session.get(type(deal), deal.id))]
    assert "field" in kinds and "next_step" in kinds
    stale = broker.patch(f"/deals/{deal.id}", json={"probability": 10},
                         headers={"If-Match": etag})
    assert stale.status_code == 412
    operator, _ = api_as(people[Role.ADMIN])
    assert operator.patch(f"/deals/{deal.id}", json={"probability": 55},
                          headers={"If-Match": changed.headers["ETag"]}).status_code == 200
