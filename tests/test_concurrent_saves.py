"""Two people save the same record at the same moment: one save wins, the other is refused as a
stale edit with the usual message; neither gets a 500 ("database is locked" on SQLite).

Runs against a database of its own (a SQLite file, or a PostgreSQL schema) with real commits,
because the race needs two connections that really commit.
"""
import threading

from sqlalchemy import select

from matchmaker.extensions import db, limiter
from matchmaker.profiles.models import ResearchOutput
from tests.conftest import login
from tests.profiles.test_views import output_form

STALE = "在您打开后，其他人已保存了这条记录"  # the stale-edit message, in Chinese


def _signed_in(app, key: str):
    limiter.reset()
    client = app.test_client()
    login(client, key)
    return client


def test_two_simultaneous_saves_of_one_record_give_one_save_and_one_stale_refusal(
        committed_app):
    app = committed_app
    with app.app_context():
        output = db.session.scalar(select(ResearchOutput).where(ResearchOutput.ref == "h2-o-001"))
        output_id, version, owner = output.id, output.version, output.institution.ref
        form_values = output_form(db.session)
        db.session.remove()
    clients = [_signed_in(app, owner) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def save(i: int) -> None:
        client = clients[i]
        page = client.get(f"/outputs/{output_id}/edit").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        barrier.wait()
        results[i] = client.post(f"/outputs/{output_id}/edit", data={
            **form_values, "title": f"同时保存的标题 {i}", "version": str(version),
            "csrf_token": token})

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 302], [r.get_data(as_text=True)[:300] for r in results]
    refused = next(r for r in results if r.status_code == 200)
    assert STALE in refused.get_data(as_text=True)
    with app.app_context():
        saved = db.session.get(ResearchOutput, output_id)
        winner = next(i for i, r in enumerate(results) if r.status_code == 302)
        assert saved.title == f"同时保存的标题 {winner}" and saved.version == version + 1
        db.session.remove()
