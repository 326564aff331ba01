"""Plan (dry run) and apply an import through the profiles' single write path.

plan_import reads every row as the web form would (the same form classes and validators),
resolves the organisation (names and aliases, then look-alikes), finds the record a row
updates (its ID) or likely duplicates (a close title at the same organisation), and says per
row: create, update, unchanged, likely duplicate or error, with the column and the reason in
the current language. Nothing is written.

apply_import plans again (the database may have moved since the dry run), then writes every
valid row through create_output / update_output / … (history, signals and match refresh as
for a form save), in the caller's transaction: the caller commits all of it or nothing.
Functions flush but never commit.
"""
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from matchmaker import labels, permissions
from matchmaker.chains.models import Chain
from matchmaker.domain import (
    DEAL_SET_STATUSES,
    NEED_TRANSITIONS,
    OUTPUT_TRANSITIONS,
    PUBLIC_NEED_STATUSES,
    PUBLIC_OUTPUT_STATUSES,
    Role,
)
from matchmaker.errors import InvalidTransitionError, NotFoundError, PermissionDeniedError
from matchmaker.imports import messages
from matchmaker.imports.columns import COLUMNS, MODE_VARIANTS, NEEDS, OUTPUTS
from matchmaker.imports.dedupe import Candidate, TitleIndex
from matchmaker.imports.models import ImportBatch
from matchmaker.imports.reading import FileProblem, Sheet, read_file
from matchmaker.imports.values import CellError, Vocabulary, fold, parse_cell, text_of
from matchmaker.money import plain_number
from matchmaker.orgs.models import Enterprise, Institution, Region
from matchmaker.orgs.names import best_match
from matchmaker.profiles import services as profiles
from matchmaker.profiles.forms import NeedForm, OutputForm
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.profiles.publishing import publish_shortfalls
from matchmaker.profiles.views import NEEDS as NEED_KIND
from matchmaker.profiles.views import OUTPUTS as OUTPUT_KIND
from matchmaker.profiles.views import shortfall_text
from matchmaker.types import utcnow

DECISIONS = ("skip", "merge", "keep")
_SPECIAL = {"ref", "organisation", "status"}
REF_MAX = 64
# What the web form sends for a new listing when nobody touches a field the file lacks.
_NEW_DEFAULTS = {OUTPUTS: {"reform_status": "none"}, NEEDS: {}}


@dataclass(frozen=True)
class Spec:
    """What differs between importing outputs and needs."""

    kind: str
    model: type
    org_model: type
    org_attr: str  # "institution" / "enterprise"
    form: type
    view_kind: object  # profiles.views.Kind: its to_data turns a valid form into data
    text_field: str
    transitions: dict
    public: tuple
    to_data: Callable  # record -> OutputData / NeedData
    create: Callable
    update: Callable
    move: Callable


SPECS = {
    OUTPUTS: Spec(OUTPUTS, ResearchOutput, Institution, "institution", OutputForm, OUTPUT_KIND,
                  "abstract", OUTPUT_TRANSITIONS, PUBLIC_OUTPUT_STATUSES, profiles.output_data,
                  profiles.create_output, profiles.update_output, profiles.move_output_to),
    NEEDS: Spec(NEEDS, TechNeed, Enterprise, "enterprise", NeedForm, NEED_KIND, "description",
                NEED_TRANSITIONS, PUBLIC_NEED_STATUSES, profiles.need_data,
                profiles.create_need, profiles.update_need, profiles.move_need_to),
}


class ImportAborted(Exception):
    """Applying stopped at a row (the caller rolls everything back): row and reason."""

    def __init__(self, row: int, message: str):
        super().__init__(f"row {row}: {message}")
        self.row = row
        self.message = message


class ListingsChanged(Exception):
    """The file means something else now than in the dry run the user confirmed: rows."""

    def __init__(self, rows: list[int]):
        super().__init__(f"rows {rows} changed since the dry run")
        self.rows = rows


# --- retention ---------------------------------------------------------------------------------

def erase_old_batches(session: Session, *, days: int, now: datetime | None = None) -> int:
    """Delete the import batches (file, report, result) created more than days ago, except
    those a job is still checking or writing; return how many went."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    return session.execute(delete(ImportBatch).where(
        ImportBatch.created_at < cutoff,
        ImportBatch.status.in_(("planned", "applied", "failed")))).rowcount


# --- who may import ----------------------------------------------------------------------------

def own_organisation(user, spec: Spec):
    """Return the organisation a member imports for, or None (operators name one per row)."""
    if permissions.role_of(user) == Role.ADMIN:
        return None
    return getattr(user, spec.org_attr, None)


# --- the vocabulary -------------------------------------------------------------------------

def _label_names(table: dict) -> dict[str, str]:
    names: dict[str, str] = {}
    for key, label in table.items():
        names[fold(key)] = str(key)
        for locale in ("zh", "en"):
            with force_locale(locale):
                names.setdefault(fold(str(label)), str(key))
    return names


def _shown(table: dict) -> list[str]:
    shown = []
    for key, label in table.items():
        with force_locale("zh"):
            zh = str(label)
        with force_locale("en"):
            en = str(label)
        shown.append(f"{zh} / {en} ({key})")
    return shown


def importable_statuses(spec: Spec) -> list[str]:
    """Return the statuses a file may set: the owner's, not those only a deal sets."""
    return [str(s) for s in spec.transitions if s not in DEAL_SET_STATUSES]


def build_vocabulary(session: Session, spec: Spec) -> tuple[Vocabulary, list[Chain]]:
    """Return the allowed values of every choice column, and the active chains."""
    chains = session.scalars(select(Chain).where(Chain.is_active)
                             .options(selectinload(Chain.segments)).order_by(Chain.id)).all()
    vocab = Vocabulary()
    for chain in chains:
        for name in (chain.key, chain.name_zh, chain.name_en):
            vocab.chains.setdefault(fold(name), chain.key)
        vocab.segments[chain.key] = {}
        for segment in chain.segments:
            for name in (str(segment.id), segment.key, segment.name_zh, segment.name_en):
                vocab.segments[chain.key].setdefault(fold(name), segment.id)
        vocab.shown[f"segment:{chain.key}"] = [f"{s.name_zh} / {s.name_en}"
                                               for s in chain.segments]
    vocab.shown["chain"] = [f"{c.name_zh} / {c.name_en} ({c.key})" for c in chains]
    vocab.shown["segment"] = [f"{c.name_zh}: " + "、".join(s.name_zh for s in c.segments)
                              for c in chains]
    vocab.modes = _label_names(labels.TRANSFER_MODE)
    for name, key in MODE_VARIANTS.items():
        vocab.modes.setdefault(fold(name), key)
    vocab.shown["modes"] = _shown(labels.TRANSFER_MODE)
    vocab.reform = _label_names(labels.REFORM_STATUS)
    vocab.shown["reform_status"] = _shown(labels.REFORM_STATUS)
    status_labels = labels.OUTPUT_STATUS if spec.kind == OUTPUTS else labels.NEED_STATUS
    allowed = {k: v for k, v in status_labels.items() if k in importable_statuses(spec)}
    vocab.statuses = _label_names(allowed)
    vocab.shown["status"] = _shown(allowed)
    if spec.kind == NEEDS:
        regions = session.scalars(select(Region).order_by(Region.id)).all()
        for region in regions:
            for name in (region.name, region.name_en):
                vocab.regions.setdefault(fold(name), region.name)
        vocab.shown["region"] = [f"{r.name} / {r.name_en}" for r in regions]
    vocab.shown["trl"] = vocab.shown["min_trl"] = ["1–9"]
    vocab.shown["is_challenge"] = ["是 / yes", "否 / no"]
    return vocab, list(chains)


def allowed_values(session: Session, kind: str) -> dict[str, list[str]]:
    """Return, per column, the values the template's guide lists."""
    vocab, _chains = build_vocabulary(session, SPECS[kind])
    return {key: values for key, values in vocab.shown.items() if ":" not in key}


# --- from records and rows to form data -----------------------------------------------------

def _formdata_of(spec: Spec, data) -> dict[str, object]:
    """Return a record's data as the form would have received it (the base of an update)."""
    values: dict[str, object] = {
        "title": data.title, "keywords": "，".join(data.keywords),
        "chain": data.chain_key or "", "segment": str(data.segment_id or ""),
        "modes": list(data.modes)}
    money = lambda v: "" if v is None else plain_number(v)
    if spec.kind == OUTPUTS:
        values.update(
            abstract=data.abstract, inventors="，".join(data.inventors), trl=str(data.trl),
            patents="\n".join(f"{p['number']}; {', '.join(p['ipc'])}; {p['status']}"
                              for p in data.patents),
            price_min=money(data.price_min), price_max=money(data.price_max),
            reform_status=data.reform_status)
    else:
        values.update(
            description=data.description, min_trl="" if data.min_trl is None else str(data.min_trl),
            budget_min=money(data.budget_min), budget_max=money(data.budget_max),
            deadline=data.deadline.isoformat() if data.deadline else "",
            region=data.region_name or "", is_challenge="y" if data.is_challenge else "",
            prize=money(data.prize))
    return values


def _multidict(values: dict[str, object]) -> MultiDict:
    formdata = MultiDict()
    for key, value in values.items():
        if isinstance(value, list):
            for item in value:
                formdata.add(key, item)
        elif key == "is_challenge" and not value:
            continue  # an unchecked box sends nothing
        else:
            formdata.add(key, value)
    return formdata


_FIELD_COLUMNS = {"chain_key": "chain", "segment_id": "segment", "region_name": "region"}


def _changes(spec: Spec, new, old) -> list[str]:
    """Return the columns whose value writing new over old would change (what the file can
    set: not the language or the confidential note, nor a prize without a challenge)."""
    # Modes are a set (stored in key order), whatever order the cell lists them in.
    new = dataclasses.replace(new, lang=old.lang, modes=sorted(set(new.modes)))
    old = dataclasses.replace(old, modes=sorted(set(old.modes)))
    if spec.kind == OUTPUTS:
        new = dataclasses.replace(new, confidential_note=old.confidential_note)
    else:
        new = dataclasses.replace(new, prize=new.prize if new.is_challenge else None)
        old = dataclasses.replace(old, prize=old.prize if old.is_challenge else None)
    return [_FIELD_COLUMNS.get(f.name, f.name) for f in dataclasses.fields(new)
            if getattr(new, f.name) != getattr(old, f.name)]


def _same(spec: Spec, new, old) -> bool:
    """Return whether writing new over old would change nothing the file can set."""
    return not _changes(spec, new, old)


# --- planning -----------------------------------------------------------------------------------

@dataclass
class RowPlan:
    row: int
    outcome: str = "create"  # create, update, unchanged, duplicate, error
    title: str = ""
    errors: list[dict] = field(default_factory=list)  # {"column": key or None, "message": …}
    notes: list[str] = field(default_factory=list)
    target: int | None = None  # the record updated, unchanged, or duplicated
    changes: list[str] = field(default_factory=list)  # the columns an update changes
    duplicate: dict | None = None  # {"id" or "row", "title", "organisation", "score"}
    # kept in memory for apply_import, not stored
    values: dict = field(default_factory=dict, repr=False)
    data: object = field(default=None, repr=False)
    organisation: object = field(default=None, repr=False)
    status: str = field(default="", repr=False)
    ref: str | None = field(default=None, repr=False)

    def error(self, column: str | None, message: str) -> None:
        self.errors.append({"column": column, "message": str(message)})
        self.outcome = "error"

    def stored(self) -> dict:
        """Return what the batch keeps of this row (JSON)."""
        return {"row": self.row, "outcome": self.outcome, "title": self.title[:200],
                "errors": self.errors, "notes": self.notes, "target": self.target,
                "changes": self.changes, "duplicate": self.duplicate}


@dataclass
class Plan:
    kind: str
    sheet: Sheet
    rows: list[RowPlan]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(messages.OUTCOMES, 0)
        for row in self.rows:
            counts[row.outcome] += 1
        return counts

    def stored(self) -> dict:
        headers = self.sheet.headers
        return {"kind": self.kind, "format": self.sheet.format, "encoding": self.sheet.encoding,
                "header_row": self.sheet.header_row,
                "columns": {key: headers.headers[i] for i, key in headers.columns.items()},
                "ignored": headers.ignored, "missing": headers.missing,
                "counts": self.counts(), "rows": [r.stored() for r in self.rows]}


class _Organisations:
    """Resolves the organisation a row names, once per distinct name."""

    def __init__(self, session: Session, spec: Spec):
        model = spec.org_model
        self.rows = session.execute(select(model.id, model.name, model.name_en,
                                           model.aliases)).all()
        self.session, self.model = session, model
        self.cache: dict[str, tuple] = {}

    def find(self, name: str):
        if name not in self.cache:
            found = best_match(name, ((r.id, [r.name, r.name_en, *(r.aliases or [])])
                                      for r in self.rows))
            org = self.session.get(self.model, found.key) if found else None
            self.cache[name] = (org, found)
        return self.cache[name]


def _label(org) -> str:
    return org.name if org is not None else ""


def plan_import(session: Session, sheet: Sheet, kind: str, user, *,
                progress: Callable[[int, int], None] | None = None) -> Plan:
    """Return the dry run of sheet for user (see the module docstring). Writes nothing."""
    spec = SPECS[kind]
    vocab, chains = build_vocabulary(session, spec)
    forms = _Forms(spec, chains, vocab)
    organisations = _Organisations(session, spec)
    own = own_organisation(user, spec)
    min_score = current_app.config["IMPORT_DUPLICATE_MIN_SCORE"]
    index = TitleIndex(min_score)
    org_column = getattr(spec.model, f"{spec.org_attr}_id")
    for record_id, title, org_id in session.execute(
            select(spec.model.id, spec.model.title, org_column)):
        index.add(org_id, Candidate(record_id, title))
    by_ref = _records_by_ref(session, spec, sheet)
    seen_refs: dict[str, int] = {}
    rows: list[RowPlan] = []
    total = len(sheet.rows)
    for done, (number, cells) in enumerate(sheet.rows):
        if progress is not None:
            progress(done, total)
        cell = {key: (cells[i] if i < len(cells) else None)
                for i, key in sheet.headers.columns.items()}
        plan = RowPlan(number)
        rows.append(plan)
        try:
            plan.title = text_of(cell.get("title"))
        except CellError:
            plan.title = ""
        _plan_row(session, spec, plan, cell, user=user, own=own, vocab=vocab, forms=forms,
                  organisations=organisations, index=index, by_ref=by_ref, seen_refs=seen_refs)
    if progress is not None:
        progress(total, total)
    return Plan(kind, sheet, rows)


def _records_by_ref(session: Session, spec: Spec, sheet: Sheet) -> dict:
    """Return the records whose ref an ID cell of the file names, by ref."""
    refs = set()
    for _number, cells in sheet.rows:
        for index, key in sheet.headers.columns.items():
            if key == "ref" and index < len(cells):
                try:
                    refs.add(text_of(cells[index]))
                except CellError:
                    continue  # reported on its row
    refs.discard("")
    found, ordered = {}, sorted(refs)
    for start in range(0, len(ordered), 1000):  # bound the statement's parameters
        chunk = ordered[start:start + 1000]
        found.update({r.ref: r for r in session.scalars(
            select(spec.model).where(spec.model.ref.in_(chunk)))})
    return found


def _plan_row(session, spec: Spec, plan: RowPlan, cell: dict, *, user, own, vocab, forms,
              organisations, index, by_ref, seen_refs) -> None:
    # The organisation: the member's own, or the one the row names.
    org_name = _text(plan, cell, "organisation")
    org = own
    if org_name:
        found, match = organisations.find(org_name)
        if found is None:
            plan.error("organisation", _("“%(name)s” is not an organisation on the platform. An "
                                         "operator can register it first.", name=org_name[:60]))
        elif own is not None and found.id != own.id:
            plan.error("organisation", _("You may import only your own organisation's records "
                                         "(%(own)s).", own=own.name))
        else:
            org = found
            if match.score < 100 or match.name != found.name:
                plan.notes.append(_("“%(name)s” read as %(org)s.", name=org_name[:60],
                                    org=found.name))
    elif own is None:
        plan.error("organisation", _("Name the organisation: operators import for any."))
    plan.organisation = org
    # The record this row's ID names, if any.
    existing = None
    ref = _text(plan, cell, "ref")
    if ref:
        if len(ref) > REF_MAX:
            plan.error("ref", _("The ID is too long (at most %(n)d characters).", n=REF_MAX))
        elif ref in seen_refs:
            plan.error("ref", _("The same ID is already used in row %(row)d.",
                                row=seen_refs[ref]))
        else:
            seen_refs[ref] = plan.row
            existing = by_ref.get(ref)
            if existing is not None and (
                    (org is not None and getattr(existing, f"{spec.org_attr}_id") != org.id)
                    or not permissions.can(user, permissions.Action.EDIT, existing)):
                plan.error("ref", _("This ID belongs to a record of another organisation."))
                existing = None
            plan.ref = ref
    # The cells, as the form would receive them.
    file_values: dict[str, object] = {}
    bad_columns = set()
    chain_key = None
    for column in COLUMNS[spec.kind]:
        key = column.key
        if key in _SPECIAL or key not in cell:
            continue
        try:
            value = parse_cell(key, cell[key], vocab, chain_key=chain_key)
        except CellError as error:
            plan.error(key, messages.cell_error(error))
            bad_columns.add(key)
            continue
        if key == "chain":
            chain_key = value or None
        file_values[key] = value
    status = ""
    if "status" in cell:
        try:
            status = parse_cell("status", cell["status"], vocab)
        except CellError as error:
            plan.error("status", messages.cell_error(error))
    base = (_formdata_of(spec, spec.to_data(existing)) if existing is not None
            else dict(_NEW_DEFAULTS[spec.kind]))
    plan.values = file_values
    form = forms.validate({**base, **file_values})
    for name, errors in form.errors.items():
        if name in bad_columns or not errors:
            continue
        for message in errors:
            plan.error(name, message)
    if plan.outcome == "error":
        return
    data = spec.view_kind.to_data(form)
    plan.data = data
    current = existing.status if existing is not None else "draft"
    plan.status = status  # "" leaves the status as it is (a new record: a draft)
    target = status or current
    try:
        profiles.status_path(spec.transitions, current, target)
    except InvalidTransitionError:
        plan.error("status", _("The status cannot go from “%(old)s” to “%(new)s”.",
                               old=current, new=target))
        return
    if target in spec.public:
        for shortfall in publish_shortfalls(data.title, getattr(data, spec.text_field),
                                            text_field=spec.text_field):
            plan.error(shortfall.field, shortfall_text(shortfall))
        if plan.outcome == "error":
            return
    if existing is not None:
        plan.target = existing.id
        plan.changes = _changes(spec, data, spec.to_data(existing))
        if target != existing.status:
            plan.changes.append("status")
        plan.outcome = "update" if plan.changes else "unchanged"
        return
    if org is None:
        return
    duplicate = index.best(org.id, data.title)
    if duplicate is not None and isinstance(duplicate.key, int):
        record = session.get(spec.model, duplicate.key)
        if (duplicate.score == 100 and _same(spec, data, spec.to_data(record))
                and (not status or status == record.status)):
            plan.outcome, plan.target = "unchanged", record.id
            return
        plan.outcome, plan.target = "duplicate", record.id
        plan.duplicate = {"id": record.id, "title": record.title, "score": duplicate.score,
                          "organisation": org.name, "status": record.status}
        return
    if duplicate is not None:
        plan.outcome = "duplicate"
        plan.duplicate = {"row": duplicate.key[1], "title": duplicate.title,
                          "score": duplicate.score, "organisation": org.name}
        return
    index.add(org.id, Candidate(("row", plan.row), data.title))


def _text(plan: RowPlan, cell: dict, key: str) -> str:
    try:
        return text_of(cell.get(key))
    except CellError as error:
        plan.error(key, messages.cell_error(error))
        return ""


class _Forms:
    """Builds the web form of a kind for one row after another.

    The choices (chains, segments, regions) are the same for every row: they are set up on
    the first form and handed to the next ones, which halves the dry run's time at 10,000 rows.
    """

    def __init__(self, spec: Spec, chains, vocab: Vocabulary):
        self.spec, self.chains = spec, chains
        self.regions = list(dict.fromkeys(vocab.regions.values()))
        self.shared: tuple | None = None

    def validate(self, values: dict):
        """Return the form filled with values, validated."""
        form = self.spec.form(formdata=_multidict(values), meta={"csrf": False})
        if self.shared is None:
            form.set_chain_choices(self.chains)
            if self.spec.kind == NEEDS:
                form.region.choices = [SelectChoice("", "")] + [
                    SelectChoice(n, n) for n in self.regions]
            self.shared = (form.chains, form.segment_chain, form.chain.choices,
                           form.segment.choices,
                           form.region.choices if self.spec.kind == NEEDS else None)
        else:
            (form.chains, form.segment_chain, form.chain.choices, form.segment.choices,
             regions) = self.shared
            if regions is not None:
                form.region.choices = regions
        form.validate()
        return form


# --- applying ---------------------------------------------------------------------------------

def changed_since(stored_rows: list[dict], plan: "Plan") -> list[int]:
    """Return the rows whose outcome or record differ between the dry run the user confirmed
    (stored_rows) and plan, the same file checked again at the write: the user's choices were
    made on the dry run (skip this duplicate of that record, merge into that one), so a row
    that now means something else must not be written on them."""
    then = {r["row"]: (r["outcome"], r.get("target")) for r in stored_rows}
    return [row.row for row in plan.rows if then.get(row.row) != (row.outcome, row.target)]


def decision_for(plan: RowPlan, decisions: dict, default: str) -> str:
    choice = decisions.get(str(plan.row), default)
    return choice if choice in DECISIONS else "skip"


def apply_import(session: Session, plan: Plan, user, *, decisions: dict | None = None,
                 default: str = "skip",
                 progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Write plan's valid rows; return the counts. Raises ImportAborted at the first row that
    cannot be written (the caller rolls the whole import back)."""
    spec = SPECS[plan.kind]
    decisions = decisions or {}
    counts = dict.fromkeys(messages.APPLIED, 0)
    total = len(plan.rows)
    vocab_chains = None
    for done, row in enumerate(plan.rows):
        if progress is not None:
            progress(done, total)
        try:
            outcome = row.outcome
            if outcome == "error":
                counts["errors"] += 1
                continue
            if outcome == "unchanged":
                counts["unchanged"] += 1
                continue
            if outcome == "duplicate":
                choice = decision_for(row, decisions, default)
                if choice == "skip" or (choice == "merge" and row.target is None):
                    counts["skipped"] += 1
                    continue
                if choice == "merge":
                    if vocab_chains is None:
                        vocab_chains = build_vocabulary(session, spec)
                    record = session.get(spec.model, row.target)
                    _write_update(session, spec, row, record, user, vocab_chains)
                    counts["updated"] += 1
                    continue
                outcome = "create"
            if outcome == "create":
                _write_create(session, spec, row, user)
                counts["created"] += 1
            else:
                record = session.get(spec.model, row.target)
                spec.update(session, record, row.data, editor=user, version=record.version)
                _move(session, spec, record, row.status, user)
                counts["updated"] += 1
        except ImportAborted:
            raise
        except Exception as error:
            raise ImportAborted(row.row, _describe(error)) from error
    if progress is not None:
        progress(total, total)
    return counts


def _write_create(session: Session, spec: Spec, row: RowPlan, user) -> None:
    org_arg = {spec.org_attr: row.organisation}
    record = spec.create(session, row.data, owner=user, ref=row.ref, **org_arg)
    _move(session, spec, record, row.status, user)


def _write_update(session, spec: Spec, row: RowPlan, record, user, vocab_chains) -> None:
    """Merge a duplicate row into record: the file's cells over the record's values, checked
    again by the form (the dry run checked the row alone)."""
    vocab, chains = vocab_chains
    base = _formdata_of(spec, spec.to_data(record))
    form = _Forms(spec, chains, vocab).validate({**base, **row.values})
    if form.errors:
        name, errors = next(iter(form.errors.items()))
        raise ImportAborted(row.row, f"{name}: {errors[0]}")
    spec.update(session, record, spec.view_kind.to_data(form), editor=user,
                version=record.version)
    _move(session, spec, record, row.status, user)


def _move(session: Session, spec: Spec, record, status: str, user) -> None:
    if status and status != record.status:
        spec.move(session, record, status, editor=user)


def _describe(error: Exception) -> str:
    if isinstance(error, profiles.NotPublishableError):
        return "; ".join(shortfall_text(s) for s in error.shortfalls)
    if isinstance(error, (PermissionDeniedError, NotFoundError)):
        return _("You may not change this record.")
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:300]


def read_upload(content: bytes, kind: str) -> Sheet:
    """Return the sheet of an uploaded file, within the configured limits (FileProblem)."""
    limit = current_app.config["IMPORT_MAX_BYTES"]
    if len(content) > limit:
        raise FileProblem("too_large", mb=max(1, limit // (1024 * 1024)))
    return read_file(content, kind, max_rows=current_app.config["IMPORT_MAX_ROWS"])


def run_dry(session: Session, content: bytes, kind: str, user, *, locale: str,
            progress=None) -> Plan:
    """Read and plan content in locale (the messages' language)."""
    with force_locale(locale):
        return plan_import(session, read_upload(content, kind), kind, user, progress=progress)
