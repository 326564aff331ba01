"""Files on disk under UPLOAD_DIR, kept in step with the database transaction.

How a failed transaction leaves no orphan:

1. The bytes are written to a temporary name in UPLOAD_DIR/.tmp (same file system).
2. The service adds the row and flushes: the row exists in the transaction.
3. The temporary files are renamed into place (os.replace: atomic), and their final paths
   are remembered in session.info.
4. If the transaction rolls back (a later check fails, the commit fails), a session hook
   removes the placed files; when it commits, the hook forgets them.

A file is deleted the other way round: the row goes first, the file only after the commit.
What survives only a crash of the process between steps 3 and 4 (a file with no row, or a
stale temporary file) is removed by `flask media sweep`, which deletes files older than an
hour whose token no row holds.

Layout: UPLOAD_DIR/<first two characters of token>/<token>.<ext>, and the thumbnail of an
image beside it as <token>.thumb.<ext>. Tokens are 32 random hex characters; the extension
is the detected type's.
"""
import os
import secrets
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from matchmaker.media.files import CheckedFile

_PLACED = "media_placed_files"  # session.info: files to remove if the transaction rolls back
_DOOMED = "media_doomed_files"  # session.info: files to remove once the transaction commits
TMP = ".tmp"


def upload_dir() -> Path:
    """Return the upload folder of the current app."""
    return Path(current_app.config["UPLOAD_DIR"])


def new_token() -> str:
    """Return a fresh random file token."""
    return secrets.token_hex(16)


def path_of(token: str, extension: str, *, thumb: bool = False) -> Path:
    """Return where the file (or its thumbnail) of token is kept."""
    if not (len(token) == 32 and all(c in "0123456789abcdef" for c in token)):
        raise ValueError("not a file token")
    name = f"{token}.thumb.{extension}" if thumb else f"{token}.{extension}"
    return upload_dir() / token[:2] / name


def _write_temp(data: bytes) -> Path:
    folder = upload_dir() / TMP
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{new_token()}.part"
    with open(path, "xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    return path


def stage(checked: CheckedFile) -> list[tuple[Path, bool]]:
    """Write checked's files to temporary names; return [(temporary path, is_thumb)]."""
    staged = [(_write_temp(checked.main.data), False)]
    if checked.thumb is not None:
        staged.append((_write_temp(checked.thumb.data), True))
    return staged


def discard(staged: list[tuple[Path, bool]]) -> None:
    """Remove temporary files that will not be placed (the row could not be written)."""
    for path, _thumb in staged:
        path.unlink(missing_ok=True)


def place(session: Session, staged: list[tuple[Path, bool]], token: str,
          extension: str) -> None:
    """Move staged files into place for token, once its row is flushed; a rollback of
    session's transaction removes them again."""
    placed = session.info.setdefault(_PLACED, [])
    for temp, thumb in staged:
        final = path_of(token, extension, thumb=thumb)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, final)
        placed.append(final)


def remove_after_commit(session: Session, token: str, extension: str) -> None:
    """Delete token's files once session's transaction commits (its row is deleted)."""
    doomed = session.info.setdefault(_DOOMED, [])
    doomed.extend([path_of(token, extension), path_of(token, extension, thumb=True)])


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(_PLACED, None)
    for path in session.info.pop(_DOOMED, []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_DOOMED, None)
    for path in session.info.pop(_PLACED, []):
        path.unlink(missing_ok=True)


def sweep(session: Session, models, *, older_than: float = 3600.0,
          now: float | None = None) -> list[Path]:
    """Delete files under UPLOAD_DIR older than older_than seconds that no row of models
    holds (a crash between placing and committing), and stale temporary files."""
    root = upload_dir()
    if not root.is_dir():
        return []
    known = set()
    for model in models:
        known.update(session.scalars(select(model.token)))
    cutoff = (now if now is not None else time.time()) - older_than
    removed = []
    for path in root.rglob("*"):
        if not path.is_file() or path.stat().st_mtime > cutoff:
            continue
        token = path.name.split(".", 1)[0]
        if path.parent.name == TMP or token not in known:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
