"""The match card names the shared terms, or says that no specific term is shared."""
from matchmaker.domain import Role
from tests.recommendations.conftest import settle_jobs


def _store(session, need, explained) -> None:
    """Store need's matches as a refresh does, each output with its explanation."""
    from matchmaker.matching import Match, Ranking
    from matchmaker.recommendations import store

    generation = store.current_generation(session)
    ranking = Ranking(need.id, tuple(Match(o.id, 0.8 - rank / 100, {"text": 0.5}, explanation)
                                     for rank, (o, explanation) in enumerate(explained)))
    store.write_sets(session, generation.id, need.side, [(ranking, need.version)],
                     limit=10, floor=0.05)


def test_a_match_with_no_specific_shared_term_says_so(app, db_session, sign_in, make_user,
                                                      make_need, make_output):
    owner = make_user(Role.ENTERPRISE)
    need, named, bare = make_need(owner=owner), make_output(), make_output()
    settle_jobs(app, db_session)
    _store(db_session, need, [(named, {"shared_terms": ["钛毡", "涂层 / coating"]}),
                              (bare, {"shared_terms": []})])
    page = sign_in(owner).get(f"/needs/{need.id}").get_data(as_text=True)
    assert page.count('data-testid="shared-term"') == 2
    assert page.count('data-testid="no-shared-terms"') == 1
    assert "No specific shared terms." in page or "没有具体的共同术语" in page
    card = page[page.index(f'data-candidate="{bare.id}"'):]
    assert 'data-testid="no-shared-terms"' in card.split('data-testid="match" ')[0]
