"""The commands: flask backup writes the archive, flask restore migrates a blank database to
the archive's revision and loads it, refuses a full one, and --force asks before it erases."""
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.pipeline.models import DealHistory


def _history(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(DealHistory))


def test_backup_then_restore_into_a_blank_database(source, target, tmp_path):
    archive = tmp_path / "cli.zip"
    result = source["app"].test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output and archive.exists()
    blank = target(migrate_to=None)
    result = blank.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert "migrating it to revision" in result.output
    assert f"{len(source['rows']['deal_history']):8} rows" in result.output
    assert _history(blank) == len(source["rows"]["deal_history"])


def test_restore_refuses_a_full_database_and_force_asks_first(source, target):
    app = target()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["restore", str(source["archive"])]).exit_code == 0
    refused = runner.invoke(args=["restore", str(source["archive"])])
    assert refused.exit_code != 0 and "not empty" in refused.output
    declined = runner.invoke(args=["restore", "--force", str(source["archive"])], input="n\n")
    assert declined.exit_code != 0 and "WARNING" in declined.output
    forced = runner.invoke(args=["restore", "--force", "--yes", str(source["archive"])])
    assert forced.exit_code == 0, forced.output
    assert "Erased" in forced.output
    assert _history(app) == len(source["rows"]["deal_history"])


def test_backup_to_a_missing_folder_is_a_clear_error(source, tmp_path):
    result = source["app"].test_cli_runner().invoke(
        args=["backup", str(tmp_path / "no-such-folder" / "x.zip")])
    assert result.exit_code != 0 and "Error:" in result.output
    assert "Traceback" not in result.output
