"""flask backup / flask restore: a seeded database with deal work round-trips exactly, on
SQLite and PostgreSQL and across them, and restore refuses what it must."""
import json
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from matchmaker import backup
from matchmaker.extensions import db
from matchmaker.pipeline import clock
from matchmaker.pipeline import services as pipeline
from matchmaker.pipeline.models import Deal, DealHistory
from matchmaker.profiles.models import ResearchOutput
from matchmaker.profiles.services import ListFilters, list_outputs_query
from tests.backup.conftest import search_vectors, snapshot


def _restore(app, archive, **options):
    with app.app_context():
        return backup.restore_backup(db.engine, db.metadata, archive,
                                     upload_dir=app.config["UPLOAD_DIR"], **options)


def _counts(app) -> dict[str, int]:
    with app.app_context(), db.engine.connect() as conn:
        return backup.row_counts(conn, db.metadata.sorted_tables)


def test_round_trip_restores_every_table_row_for_row(source, target):
    app = target()
    summary = _restore(app, source["archive"])
    restored = snapshot(app)
    assert sum(len(rows) for rows in source["rows"].values()) > 10_000
    assert source["rows"]["deal_history"] and source["rows"]["stage_changes"]
    for name, rows in source["rows"].items():
        assert restored[name] == rows, f"table {name} differs after the restore"
    assert summary.rows == {name: len(rows) for name, rows in source["rows"].items()}


def test_round_trip_keeps_the_deal_work_added_after_the_seed(source, target):
    app = target()
    _restore(app, source["archive"])
    with app.app_context():
        history = db.session.scalars(select(DealHistory.note)).all()
        assert "退回：需先确认专利状态" in history
        assert db.session.scalar(select(func.count()).select_from(Deal)) == \
            len(source["rows"]["deals"])
        kept = db.session.execute(select(Deal.match_score, Deal.match_quality)
                                  .where(Deal.next_step == "备份测试：由匹配创建")).one()
        assert kept.match_score is not None and kept.match_quality is not None


def test_round_trip_rebuilds_the_search_index(source, target):
    app = target()
    _restore(app, source["archive"])
    restored = search_vectors(app)
    if target.dialect == source["dialect"]:
        assert restored == source["search"]
    for name, rows in restored.items():
        assert all(value for _, value in rows), f"{name}: a listing lost its search entry"
    with app.app_context():  # a search finds on the restored database what it found before
        admin = _admin(app)
        first = db.session.scalar(select(ResearchOutput).order_by(ResearchOutput.id))
        found = db.session.scalars(list_outputs_query(ListFilters(q=first.keywords[0]),
                                                      viewer=admin)).all()
        assert first.id in [o.id for o in found]


def test_round_trip_restores_the_uploaded_files(source, target):
    app = target()
    summary = _restore(app, source["archive"])
    originals = sorted(p.relative_to(source["uploads"]) for p in source["uploads"].rglob("*")
                       if p.is_file())
    assert originals and summary.files == len(originals)
    for relative in originals:
        assert (app.config["UPLOAD_DIR"] / relative).read_bytes() == \
            (source["uploads"] / relative).read_bytes()


def _admin(app):
    from matchmaker.auth.models import User
    from matchmaker.seed import demo_email

    return db.session.scalar(select(User).where(User.email == demo_email("admin")))


def test_restored_database_gives_new_rows_fresh_ids(source, target):
    app = target()
    _restore(app, source["archive"])
    with app.app_context():
        broker = db.session.scalar(select(Deal.owner_id).order_by(Deal.id))
        deal = db.session.scalar(select(Deal).where(Deal.owner_id == broker).order_by(Deal.id))
        top_history = db.session.scalar(select(func.max(DealHistory.id)))
        top_deal = db.session.scalar(select(func.max(Deal.id)))
        owner = deal.owner
        activity = pipeline.add_activity(db.session, deal, "note", "恢复后的新记录",
                                         actor=owner)
        new = pipeline.create_deal(db.session, actor=owner, owner=owner, output=deal.output,
                                   need=None, next_step="恢复后新建",
                                   next_step_due=clock.today() + timedelta(days=1))
        db.session.commit()
        assert new.id > top_deal and activity.id is not None
        assert db.session.scalar(select(func.max(DealHistory.id))) > top_history
        db.session.remove()


def test_restore_refuses_a_database_that_holds_data(source, target):
    app = target()
    _restore(app, source["archive"])
    before = _counts(app)
    with pytest.raises(backup.NotEmptyError, match="not empty.*deal_history"):
        _restore(app, source["archive"])
    assert _counts(app) == before


def test_restore_with_force_wipes_history_and_restores(source, target):
    app = target()
    _restore(app, source["archive"])
    with app.app_context():  # a change the restore must undo
        deal = db.session.scalar(select(Deal).order_by(Deal.id))
        pipeline.add_activity(db.session, deal, "note", "将被覆盖", actor=deal.owner)
        db.session.commit()
        db.session.remove()
    summary = _restore(app, source["archive"], force=True)
    assert summary.wiped["deal_history"] == len(source["rows"]["deal_history"]) + 1
    assert snapshot(app) == source["rows"]


def test_restore_refuses_an_archive_of_another_revision(source, target, tmp_path):
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate  # noqa: F401  (the app's migration scripts)

    app = target(migrate_to=None)
    with app.app_context():
        script = ScriptDirectory.from_config(
            app.extensions["migrate"].migrate.get_config())
        previous = script.get_revision(script.get_current_head()).down_revision
        from flask_migrate import upgrade
        upgrade(revision=previous)
    with pytest.raises(backup.RevisionMismatchError) as refused:
        _restore(app, source["archive"])
    assert source["summary"].revision in str(refused.value) and previous in str(refused.value)


def _rewrite(archive, copy, change):
    with zipfile.ZipFile(archive) as old, zipfile.ZipFile(copy, "w") as new:
        for item in old.infolist():
            new.writestr(item.filename, change(item.filename, old.read(item.filename)))


def test_restore_refuses_a_tampered_archive_and_writes_nothing(source, target, tmp_path):
    tampered = tmp_path / "tampered.zip"
    _rewrite(source["archive"], tampered, lambda name, data: data.replace(
        "退回：需先确认专利状态".encode(), "退回：已确认专利状态".encode())
        if name == "tables/deal_history.jsonl" else data)
    app = target()
    before = _counts(app)
    with pytest.raises(backup.CorruptArchiveError, match="deal_history.jsonl.*checksum"):
        _restore(app, tampered)
    assert _counts(app) == before


def test_restore_refuses_an_archive_whose_row_count_was_changed(source, target, tmp_path):
    def change(name, data):
        if name != backup.MANIFEST:
            return data
        manifest = json.loads(data)
        next(t for t in manifest["tables"] if t["name"] == "deals")["rows"] += 1
        return json.dumps(manifest).encode()

    edited = tmp_path / "edited.zip"
    _rewrite(source["archive"], edited, change)
    app = target()
    before = _counts(app)
    with pytest.raises(backup.CorruptArchiveError, match="deals"):
        _restore(app, edited)
    assert _counts(app) == before


def test_restore_refuses_a_file_that_is_not_a_backup(target, tmp_path):
    app = target()
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(backup.CorruptArchiveError):
        _restore(app, junk)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"format": "something-else"}))
    with pytest.raises(backup.CorruptArchiveError, match="not a matchmaker backup"):
        _restore(app, other)


def test_restore_refuses_upload_paths_outside_the_upload_folder(source, target, tmp_path):
    def change(name, data):
        if name != backup.MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["uploads"][0]["path"] = "../../escaped.txt"
        return json.dumps(manifest).encode()

    edited = tmp_path / "escape.zip"
    _rewrite(source["archive"], edited, change)
    with pytest.raises(backup.CorruptArchiveError, match="outside the upload folder"):
        _restore(target(), edited)
    assert not (tmp_path / "escaped.txt").exists()


@pytest.mark.parametrize(("value", "codec"), [
    (datetime(2026, 12, 6, 8, 30, 15, 123456, tzinfo=UTC), "datetime_tz"),
    (datetime(2026, 12, 6, 8, 30), "datetime"),
    (date(2026, 2, 28), "date"),
    (Decimal("1234567890.12"), "decimal"),
    (b"\x00\xffbytes", "bytes"),
    ("秦创原 =cmd|' /C calc'!A0", "plain"),
    (None, "decimal"),
])
def test_values_survive_the_archive_encoding(value, codec):
    line = json.dumps([backup.encode(value, codec)])
    assert backup.decode(json.loads(line)[0], codec) == value


def test_aware_times_are_written_in_utc():
    beijing = timezone(timedelta(hours=8))
    encoded = backup.encode(datetime(2026, 12, 6, 16, 0, tzinfo=beijing), "datetime_tz")
    assert encoded == "2026-12-06T08:00:00"
    assert backup.decode(encoded, "datetime_tz") == datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def test_restore_refuses_a_malformed_manifest(source, target, tmp_path):
    def change(name, data):
        if name != backup.MANIFEST:
            return data
        manifest = json.loads(data)
        del manifest["tables"][0]["sha256"]
        return json.dumps(manifest).encode()

    edited = tmp_path / "malformed.zip"
    _rewrite(source["archive"], edited, change)
    with pytest.raises(backup.CorruptArchiveError, match="'tables' list is malformed"):
        _restore(target(), edited)


def test_rows_the_database_refuses_roll_the_whole_restore_back(source, target, tmp_path):
    """An archive whose checksums were recomputed after a row was doubled (so it passes the
    checks) still restores nothing: the duplicate id is refused and everything rolls back."""
    import hashlib

    with zipfile.ZipFile(source["archive"]) as old:
        member = "tables/deal_history.jsonl"
        lines = old.read(member).splitlines(keepends=True)
        doubled = b"".join(lines + lines[-1:])
        manifest = json.loads(old.read(backup.MANIFEST))
        entry = next(t for t in manifest["tables"] if t["name"] == "deal_history")
        entry["rows"] += 1
        entry["sha256"] = hashlib.sha256(doubled).hexdigest()
        forged = tmp_path / "forged.zip"
        with zipfile.ZipFile(forged, "w") as new:
            for item in old.infolist():
                data = {member: doubled,
                        backup.MANIFEST: json.dumps(manifest).encode()}.get(item.filename)
                new.writestr(item.filename, data if data is not None else old.read(item))
    app = target()
    before = _counts(app)
    with pytest.raises(backup.BackupError, match="refused the archive's rows"):
        _restore(app, forged)
    assert _counts(app) == before
