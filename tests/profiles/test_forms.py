"""Edit forms: segment selects follow the chain, a wrong pair is reported with every other error,
and a save without the version it was read at is refused."""
import json
import re

import pytest
from sqlalchemy import func, select

from matchmaker.chains.models import Chain
from matchmaker.profiles.models import ResearchOutput, TechNeed
from tests.conftest import submit
from tests.profiles.test_views import need_form, output_form


def _chain(db_session, key):
    return db_session.scalar(select(Chain).where(Chain.key == key))


def _segment_select(html: str) -> str:
    return re.search(r'<select[^>]*id="segment".*?</select>', html, re.DOTALL).group(0)


def _option_values(select_html: str) -> list[str]:
    return re.findall(r'<option value="(\d*)"', select_html)


@pytest.fixture
def own_output(institution, make_output, db_session):
    """A published hydrogen output of the signed-in institution, in one of its segments."""
    segment = _chain(db_session, "hydrogen").segments[1]
    return make_output(owner=institution, segment_id=segment.id)


# --- segment selects -----------------------------------------------------------------------

def test_edit_form_offers_only_the_segments_of_the_outputs_chain(institution_client,
                                                                  own_output):
    output = own_output
    html = institution_client.get(f"/outputs/{output.id}/edit").get_data(as_text=True)
    select_html = _segment_select(html)
    assert _option_values(select_html) == [""] + [str(s.id) for s in output.chain.segments]
    assert "<optgroup" not in select_html
    assert f'value="{output.segment_id}" selected' in select_html


def test_new_form_without_a_chain_groups_all_segments_by_chain(enterprise_client, db_session):
    html = enterprise_client.get("/needs/new").get_data(as_text=True)
    select_html = _segment_select(html)
    chains = db_session.scalars(select(Chain).where(Chain.is_active).order_by(Chain.id)).all()
    assert select_html.count("<optgroup") == len(chains)
    assert len(_option_values(select_html)) == 1 + sum(len(c.segments) for c in chains)
    # Two chains have a segment called 应用: each sits under its own chain's name.
    assert select_html.count(">应用</option>") == 2
    assert re.search(r'<optgroup label="氢能" data-chain="hydrogen">.*?>应用</option>',
                     select_html, re.DOTALL)


def test_segment_select_carries_the_catalogue_for_the_script(enterprise_client, db_session):
    html = enterprise_client.get("/needs/new").get_data(as_text=True)
    select_html = _segment_select(html)
    assert 'data-chain-select="chain"' in select_html
    catalogue = json.loads(re.search(r"data-segments='([^']*)'", select_html).group(1))
    hydrogen = next(c for c in catalogue if c["key"] == "hydrogen")
    assert hydrogen["name"] == "氢能"
    assert [s[0] for s in hydrogen["segments"]] == [
        str(s.id) for s in _chain(db_session, "hydrogen").segments]
    assert '<script src="/static/js/segments.js" defer></script>' in html


def test_segment_script_is_served_from_self(client):
    with client.get("/static/js/segments.js") as response:
        assert response.status_code == 200 and b"chainSelect" in response.data


def test_list_filter_narrows_segments_to_the_chosen_chain(make_broker, sign_in, db_session):
    html = sign_in(make_broker()).get("/outputs/?chain=photonics").get_data(as_text=True)
    photonics = _chain(db_session, "photonics")
    assert _option_values(_segment_select(html)) == [""] + [str(s.id) for s in photonics.segments]


def test_wrong_chain_and_segment_pair_is_reported_with_every_other_error(institution_client,
                                                                          db_session):
    client = institution_client
    before = db_session.scalar(select(func.count()).select_from(ResearchOutput))
    photonic_segment = _chain(db_session, "photonics").segments[0].id
    form = output_form(db_session, chain="hydrogen", segment=str(photonic_segment), title="",
                       trl="12", price_min="NaN")
    html = submit(client, "/outputs/new", form).get_data(as_text=True)
    errors = dict(re.findall(r'data-field="(\w+)">([^<]+)<', html))
    assert set(errors) == {"title", "trl", "price_min", "segment"}
    assert errors["segment"] == "所选环节不属于该产业链。"
    assert db_session.scalar(select(func.count()).select_from(ResearchOutput)) == before


def test_segment_without_chain_is_reported(enterprise_client, db_session):
    segment = _chain(db_session, "hydrogen").segments[0].id
    html = submit(enterprise_client, "/needs/new",
                  need_form(chain="", segment=str(segment))).get_data(as_text=True)
    assert re.search(r'data-field="segment">请选择该环节所属的产业链', html)


def test_matching_chain_and_segment_are_saved(enterprise_client, db_session):
    segment = _chain(db_session, "hydrogen").segments[2]
    client = enterprise_client
    response = submit(client, "/needs/new", need_form(title="加氢站压缩机膜片寿命提升",
                                                      segment=str(segment.id)))
    assert response.status_code == 302
    need = db_session.scalar(select(TechNeed).where(TechNeed.title == "加氢站压缩机膜片寿命提升"))
    assert need.segment_id == segment.id and need.chain.key == "hydrogen"


# --- the stale-edit check is always on ------------------------------------------------------

@pytest.mark.parametrize("version", [None, "", "abc", "-1", "1.5", "1e3", "٣",
                                     "99999999999999999999"])
def test_edit_without_a_valid_version_is_refused(institution_client, own_output, db_session,
                                                 version):
    output = own_output
    title = output.title
    form = output_form(db_session, title="无版本号的修改")
    if version is not None:
        form["version"] = version
    response = submit(institution_client, f"/outputs/{output.id}/edit", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-testid="form-errors"' in html and "缺少打开时的记录版本号" in html
    db_session.refresh(output)
    assert output.title == title


def test_need_edit_without_a_version_is_refused_in_english(enterprise, enterprise_client,
                                                           make_need, db_session):
    need = make_need(owner=enterprise)
    client = enterprise_client
    submit(client, "/auth/locale/en", {"next": "/"}, form_url="/")
    html = submit(client, f"/needs/{need.id}/edit", need_form(title="No version")).get_data(True)
    assert "This form lacks the version of the record" in html
    db_session.refresh(need)
    assert need.title != "No version"


def test_edit_form_carries_the_version_it_was_read_at(institution_client, own_output):
    output = own_output
    html = institution_client.get(f"/outputs/{output.id}/edit").get_data(as_text=True)
    assert f'name="version" type="hidden" value="{output.version}"' in html


def test_new_forms_need_no_version(institution_client, db_session):
    response = submit(institution_client, "/outputs/new", output_form(db_session))
    assert response.status_code == 302
