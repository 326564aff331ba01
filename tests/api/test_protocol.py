"""The API's HTTP contract: ETags and If-Match (428, 412), problem details in the caller's
language with the fields at fault, 404/405/400 as problems, per-token rate limits with
Retry-After, and the generated OpenAPI document with its documentation page."""
import re

import pytest

from matchmaker.domain import Role
from matchmaker.extensions import limiter


@pytest.fixture
def own_output(api_as, make_output):
    api, user = api_as(Role.INSTITUTION)
    return api, make_output(owner=user, status="draft")


def test_etag_is_the_version_and_if_match_guards_every_update(api_as, own_output):
    api, item = own_output
    read = api.get(f"/outputs/{item.id}")
    etag = read.headers["ETag"]
    assert etag == f'"{read.get_json()["version"]}"'
    missing = api.patch(f"/outputs/{item.id}", json={"trl": 7})
    assert missing.status_code == 428 and missing.get_json()["code"] == "if_match_required"
    star = api.patch(f"/outputs/{item.id}", json={"trl": 7}, headers={"If-Match": "*"})
    assert star.status_code == 428
    status_without = api.post(f"/outputs/{item.id}/status", json={"status": "withdrawn"})
    assert status_without.status_code == 428
    first = api.patch(f"/outputs/{item.id}", json={"trl": 7}, headers={"If-Match": etag})
    assert first.status_code == 200 and first.headers["ETag"] != etag
    # A second client that read before the first saved: refused, nothing overwritten.
    stale = api.patch(f"/outputs/{item.id}", json={"trl": 2}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.get_json()["code"] == "stale_version"
    assert api.get(f"/outputs/{item.id}").get_json()["trl"] == 7
    weak = api.patch(f"/outputs/{item.id}", json={"trl": 3},
                     headers={"If-Match": "W/" + first.headers["ETag"]})
    assert weak.status_code == 412  # If-Match compares strongly
    fresh = api.patch(f"/outputs/{item.id}", json={"trl": 3},
                      headers={"If-Match": f'"999", {first.headers["ETag"]}'})
    assert fresh.status_code == 200 and fresh.get_json()["trl"] == 3


def test_patch_keeps_the_fields_not_sent(own_output):
    api, item = own_output
    before = api.get(f"/outputs/{item.id}")
    after = api.patch(f"/outputs/{item.id}", json={"keywords": ["隔膜", "PPS"]},
                      headers={"If-Match": before.headers["ETag"]}).get_json()
    unchanged = {k: v for k, v in before.get_json().items()
                 if k not in ("keywords", "version", "updated_at")}
    assert {k: after[k] for k in unchanged} == unchanged
    assert after["keywords"] == ["隔膜", "PPS"]


def _problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["code"] and body["detail"] and body["title"]
    return body


def test_validation_names_each_field_in_the_callers_language(api_as, make_output):
    bodies = {}
    for lang in ("en", "zh-CN,zh;q=0.9"):
        api, user = api_as(Role.INSTITUTION, lang=lang)
        item = make_output(owner=user, status="draft")
        etag = api.get(f"/outputs/{item.id}").headers["ETag"]
        response = api.patch(f"/outputs/{item.id}", headers={"If-Match": etag},
                             json={"price_min": "300", "price_max": "100"})
        bodies[lang] = _problem(response, 422)
        assert response.headers["Content-Language"] == lang[:2]
    en, zh = (bodies[k]["errors"] for k in ("en", "zh-CN,zh;q=0.9"))
    assert [e["field"] for e in en] == [e["field"] for e in zh] == ["price_max"]
    assert en[0]["detail"] == "The lowest price is above the highest."
    assert zh[0]["detail"] != en[0]["detail"]
    assert re.search(r"[\u4e00-\u9fff]", zh[0]["detail"])


def test_schema_errors_are_per_field_too(api_as):
    api, _ = api_as(Role.INSTITUTION, lang="en")
    response = api.post("/outputs/", json={"title": 5, "trl": 12, "modes": ["gift"],
                                           "colour": "red"})
    body = _problem(response, 422)
    fields = {e["field"]: e["detail"] for e in body["errors"]}
    assert fields["title"] == "Invalid value: expected text."
    assert fields["trl"] == "Must be between 1 and 9."
    assert fields["abstract"] == "This field is required."
    assert fields["colour"] == "Unknown field."
    assert "modes.0" in fields
    zh, _ = api_as(Role.INSTITUTION)  # no Accept-Language: Chinese, the platform's default
    chinese = _problem(zh.post("/outputs/", json={"trl": 12}), 422)
    assert all(re.search(r"[\u4e00-\u9fff]", e["detail"]) for e in chinese["errors"])


def test_business_rules_come_back_as_field_errors(api_as):
    api, _ = api_as(Role.ENTERPRISE, lang="en")
    response = api.post("/needs/", json={"title": "双极板涂层", "description": "需要耐腐蚀涂层",
                                         "modes": ["licence"], "chain": "no-such-chain",
                                         "is_challenge": True, "deadline": "2001-01-01"})
    fields = {e["field"] for e in _problem(response, 422)["errors"]}
    assert {"chain", "deadline", "prize"} <= fields


def test_errors_outside_the_views_are_problems_too(api_as, client):
    api, _ = api_as(Role.BROKER, lang="en")
    assert _problem(api.get("/outputs/2147483647"), 404)["code"] == "not_found"
    assert _problem(api.get("/no-such-thing"), 404)["code"] == "not_found"
    not_allowed = _problem(api.open("PUT", "/outputs/"), 405)
    assert not_allowed["code"] == "method_not_allowed"
    broken = api.open("POST", "/outputs/", data="{not json", content_type="application/json")
    assert _problem(broken, 400)["code"] == "bad_request"
    nul = api.get("/outputs/?q=a%00b")
    assert _problem(nul, 400)
    assert client.get("/no-such-page").mimetype == "text/html"  # the site keeps its pages


def test_rate_limit_per_token_with_retry_after(app, api_as, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    limiter.reset()
    first, _ = api_as(Role.BROKER, lang="en")
    second, _ = api_as(Role.BROKER)
    for _ in range(3):
        assert first.get("/chains/").status_code == 200
    refused = first.get("/outputs/")  # one budget for every resource
    body = _problem(refused, 429)
    assert body["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert second.get("/chains/").status_code == 200  # another token has its own budget
    anonymous, _ = api_as("anonymous")
    for _ in range(3):
        assert anonymous.get("/chains/").status_code == 401
    assert anonymous.get("/chains/").status_code == 429  # no token: counted by address


def test_openapi_document_and_its_page(client):
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200  # public: it describes, it holds no data
    spec = document.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert {"/api/v1/outputs/", "/api/v1/needs/{item_id}", "/api/v1/deals/{deal_id}/stage",
            "/api/v1/outputs/{item_id}/matches", "/api/v1/chains/"} <= set(spec["paths"])
    patch = spec["paths"]["/api/v1/outputs/{item_id}"]["patch"]
    assert any(p["name"] == "If-Match" and p["required"] for p in patch["parameters"])
    problem = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert "application/problem+json" in problem
    page = client.get("/static/api-docs.html")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "script-src 'self'" in page.headers[
        "Content-Security-Policy"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert "//" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', html)).replace(
        "/api/v1/openapi.json", "")  # nothing from another site
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert 'data-spec-url="/api/v1/openapi.json"' in html
