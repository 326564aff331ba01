"""marshmallow schemas of the API: what flask-smorest parses and documents in OpenAPI.

Input schemas check types and shapes; the rules a person would argue about (required fields,
TRL range, amounts, a deadline in the past, a prize for a challenge, chain and segment) are the
web forms' and the services', applied to the API's input too (see listings.py).
"""
import copy
from datetime import UTC

from marshmallow import Schema, fields, validate

from matchmaker.domain import (
    KEYWORDS_MAX,
    TEXT_MAX,
    TITLE_MAX,
    TRL_MAX,
    TRL_MIN,
    NeedStatus,
    OutputStatus,
    PatentStatus,
    ReformStatus,
    TransferMode,
)
from matchmaker.routing import ID_MAX, PAGE_MAX

MODES = [m.value for m in TransferMode]


class Amount(fields.String):
    """An amount in 10k yuan (万元), as a decimal string ("120.5"); numbers are accepted too."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        return super()._deserialize(value, attr, data, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value)


class UtcDateTime(fields.DateTime):
    """A moment in ISO 8601 with its zone (SQLite gives naive datetimes; they are UTC)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


def _text(max_len: int, **kw):
    return fields.String(validate=validate.Length(max=max_len), **kw)


def _terms(**kw):
    return fields.List(fields.String(validate=validate.Length(min=1, max=40)),
                       validate=validate.Length(max=KEYWORDS_MAX), **kw)


# --- shared pieces -----------------------------------------------------------------------

class ProblemSchema(Schema):
    """RFC 9457 problem details: every error of the API."""

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    code = fields.String(required=True, metadata={
        "description": "Machine-readable: token_missing, token_invalid, token_read_only, "
                       "not_found, forbidden, invalid_input, stale_version, "
                       "if_match_required, rate_limited, invalid_transition, …"})
    detail = fields.String(required=True)
    errors = fields.List(fields.Dict(), metadata={
        "description": "Per field: {\"field\": name, \"detail\": message}"})


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, PAGE_MAX))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class ListingQuery(PageQuery):
    chain = fields.String(validate=validate.Length(max=40),
                          metadata={"description": "A chain's key, e.g. hydrogen"})
    updated_since = fields.AwareDateTime(default_timezone=None, metadata={
        "description": "Only records changed at or after this moment (ISO 8601 with zone)"})
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "Search"})
    sort = fields.String(load_default="-updated_at", validate=validate.OneOf(
        ["updated_at", "-updated_at", "published_at", "-published_at", "id", "-id"]))


class OutputQuery(ListingQuery):
    status = fields.String(validate=validate.OneOf([s.value for s in OutputStatus]))


class NeedQuery(ListingQuery):
    status = fields.String(validate=validate.OneOf([s.value for s in NeedStatus]))


class OrgRef(Schema):
    id = fields.Integer()
    name = fields.String()
    name_en = fields.String()


class Pagination(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


# --- listings ----------------------------------------------------------------------------

class PatentSchema(Schema):
    number = fields.String(required=True, validate=validate.Length(min=1, max=40))
    ipc = fields.List(fields.String(validate=validate.Length(max=30)), required=True,
                      validate=validate.Length(max=20))
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in PatentStatus]))


class ListingFields(Schema):
    title = _text(TITLE_MAX)
    keywords = _terms()
    modes = fields.List(fields.String(validate=validate.OneOf(MODES)),
                        validate=validate.Length(max=len(MODES)))
    chain = fields.String(allow_none=True, validate=validate.Length(max=40),
                          metadata={"description": "The chain's key"})
    segment = fields.Integer(allow_none=True, validate=validate.Range(1, ID_MAX),
                             metadata={"description": "A segment id of the chain"})


class OutputInput(ListingFields):
    abstract = _text(TEXT_MAX)
    trl = fields.Integer(validate=validate.Range(TRL_MIN, TRL_MAX))
    inventors = fields.List(fields.String(validate=validate.Length(min=1, max=40)),
                            validate=validate.Length(max=30))
    patents = fields.List(fields.Nested(PatentSchema), validate=validate.Length(max=20))
    price_min = Amount(allow_none=True, validate=validate.Length(max=20))
    price_max = Amount(allow_none=True, validate=validate.Length(max=20))
    reform_status = fields.String(validate=validate.OneOf([s.value for s in ReformStatus]))


class OutputCreate(OutputInput):
    institution_id = fields.Integer(validate=validate.Range(1, ID_MAX), metadata={
        "description": "Operators only: the institution the output belongs to"})


def _require(schema: type[Schema], *names: str) -> None:
    """Make names required in schema only (declared fields are shared with the parent)."""
    for name in names:
        field = copy.copy(schema._declared_fields[name])
        field.required = True
        schema._declared_fields[name] = field


_require(OutputCreate, "title", "abstract", "trl", "modes")


class NeedInput(ListingFields):
    description = _text(TEXT_MAX)
    min_trl = fields.Integer(allow_none=True, validate=validate.Range(TRL_MIN, TRL_MAX))
    budget_min = Amount(allow_none=True, validate=validate.Length(max=20))
    budget_max = Amount(allow_none=True, validate=validate.Length(max=20))
    deadline = fields.Date(allow_none=True)
    region = fields.String(allow_none=True, validate=validate.Length(max=40),
                           metadata={"description": "A region's name, where it should land"})
    is_challenge = fields.Boolean()
    prize = Amount(allow_none=True, validate=validate.Length(max=20))


class NeedCreate(NeedInput):
    enterprise_id = fields.Integer(validate=validate.Range(1, ID_MAX), metadata={
        "description": "Operators only: the enterprise the need belongs to"})


_require(NeedCreate, "title", "description", "modes")


class StatusChange(Schema):
    status = fields.String(required=True, validate=validate.Length(min=1, max=24))


class ListingOut(Schema):
    id = fields.Integer()
    ref = fields.String(allow_none=True)
    title = fields.String()
    keywords = fields.List(fields.String())
    modes = fields.List(fields.String())
    chain = fields.Function(lambda o: o.chain.key if o.chain else None, allow_none=True,
                            metadata={"type": "string"})
    segment = fields.Integer(attribute="segment_id", allow_none=True)
    status = fields.String()
    lang = fields.String()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    published_at = UtcDateTime(allow_none=True)
    version = fields.Integer()


class PatentOut(Schema):
    number = fields.String()
    ipc = fields.List(fields.String(), attribute="ipc_codes")
    status = fields.String()


class OutputOut(ListingOut):
    abstract = fields.String()
    inventors = fields.List(fields.String())
    institution = fields.Nested(OrgRef)
    trl = fields.Integer()
    patents = fields.List(fields.Nested(PatentOut))
    price_min = Amount(allow_none=True)
    price_max = Amount(allow_none=True)
    reform_status = fields.String()


class NeedOut(ListingOut):
    description = fields.String()
    enterprise = fields.Nested(OrgRef)
    min_trl = fields.Integer(allow_none=True)
    budget_min = Amount(allow_none=True)
    budget_max = Amount(allow_none=True)
    deadline = fields.Date(allow_none=True)
    region = fields.Function(lambda o: o.region.name if o.region else None, allow_none=True,
                             metadata={"type": "string"})
    is_challenge = fields.Boolean()
    prize = Amount(allow_none=True)


class OutputPage(Pagination):
    items = fields.List(fields.Nested(OutputOut))


class NeedPage(Pagination):
    items = fields.List(fields.Nested(NeedOut))


class MatchQuery(Schema):
    weaker = fields.Boolean(load_default=False, metadata={
        "description": "Also list the candidates below the quality floor (after the others)"})


class MatchOut(Schema):
    rank = fields.Integer()
    need_id = fields.Integer()
    output_id = fields.Integer()
    score = fields.Float(metadata={
        "description": "Match quality, 0-1: the calibrated probability that a broker finds "
                       "the candidate usable (comparable across records; README, matching)"})
    raw_score = fields.Float(metadata={
        "description": "The matcher's own score, 0-1 (orders one record's candidates; its "
                       "level differs from record to record)"})
    below_floor = fields.Boolean(metadata={
        "description": "Below the quality floor (listed only with weaker=true)"})
    parts = fields.Dict(keys=fields.String(), values=fields.Float())
    explanation = fields.Dict()


class MatchListOut(Schema):
    state = fields.String(metadata={"description": "fresh, updating, pending or unpublished"})
    computed_at = UtcDateTime(allow_none=True)
    notice = fields.String(allow_none=True)
    floor = fields.Float(metadata={"description": "The quality floor (MATCH_FLOOR)"})
    good = fields.Integer(metadata={"description": "Candidates at or above the floor"})
    weaker = fields.Integer(metadata={"description": "Candidates below the floor"})
    items = fields.List(fields.Nested(MatchOut))


# --- organisations and chains -------------------------------------------------------------

class OrgQuery(PageQuery):
    q = fields.String(validate=validate.Length(max=100),
                      metadata={"description": "Part of the name (Chinese or English)"})
    region = fields.String(validate=validate.Length(max=40))
    sort = fields.String(load_default="id", validate=validate.OneOf(["id", "-id", "name"]))


class OrgOut(Schema):
    id = fields.Integer()
    ref = fields.String(allow_none=True)
    name = fields.String()
    name_en = fields.String()
    aliases = fields.List(fields.String())
    region = fields.Function(lambda o: o.region.name if o.region else None, allow_none=True,
                             metadata={"type": "string"})
    description = fields.String()


class InstitutionOut(OrgOut):
    type = fields.String()


class EnterpriseOut(OrgOut):
    tier = fields.String()
    size = fields.String()
    industry = fields.String()


class InstitutionPage(Pagination):
    items = fields.List(fields.Nested(InstitutionOut))


class EnterprisePage(Pagination):
    items = fields.List(fields.Nested(EnterpriseOut))


class SegmentOut(Schema):
    id = fields.Integer()
    key = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    position = fields.Integer()


class ChainOut(Schema):
    id = fields.Integer()
    key = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    description_zh = fields.String()
    description_en = fields.String()
    is_active = fields.Boolean()
    segments = fields.List(fields.Nested(SegmentOut))


class ChainList(Schema):
    items = fields.List(fields.Nested(ChainOut))


# --- deals -------------------------------------------------------------------------------

class DealQuery(PageQuery):
    chain = fields.String(validate=validate.Length(max=40))
    stage = fields.String(validate=validate.Length(max=40),
                          metadata={"description": "A stage's key"})
    status = fields.String(validate=validate.OneOf(["open", "closed"]))
    updated_since = fields.AwareDateTime(default_timezone=None)
    sort = fields.String(load_default="-updated_at", validate=validate.OneOf(
        ["updated_at", "-updated_at", "id", "-id", "next_step_due"]))


class DealOut(Schema):
    id = fields.Integer()
    ref = fields.String(allow_none=True)
    title = fields.String()
    output_id = fields.Integer(allow_none=True)
    need_id = fields.Integer(allow_none=True)
    owner_id = fields.Integer()
    co_broker_ids = fields.Function(lambda d: sorted(d.co_broker_ids),
                                    metadata={"type": "array", "items": {"type": "integer"}})
    chain = fields.Function(lambda d: d.chain.key if d.chain else None, allow_none=True,
                            metadata={"type": "string"})
    stage = fields.Function(lambda d: d.stage.key, metadata={"type": "string"})
    phase = fields.Function(lambda d: d.stage.phase, metadata={"type": "string"})
    is_open = fields.Boolean()
    expected_value = Amount(allow_none=True)
    probability = fields.Integer(allow_none=True)
    transfer_mode = fields.String(allow_none=True)
    next_step = fields.String()
    next_step_due = fields.Date(allow_none=True)
    ip_checked = fields.Boolean()
    team_willing = fields.Boolean()
    reform_status = fields.String(allow_none=True)
    price = Amount(allow_none=True)
    payment_kind = fields.String(allow_none=True)
    terms_note = fields.String()
    showcase_material = fields.String()
    nda_status = fields.String()
    lost_reason = fields.String(allow_none=True)
    match_score = fields.Float(allow_none=True, metadata={
        "description": "The matcher's raw score of the match the deal started from (history)"})
    match_quality = fields.Float(allow_none=True, metadata={
        "description": "The match quality (0-1) of the match the deal started from, as its "
                       "match card showed it; null when the deal did not start from a match "
                       "or started before the quality was kept"})
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    stage_entered_at = UtcDateTime()
    version = fields.Integer()


class DealPage(Pagination):
    items = fields.List(fields.Nested(DealOut))


class DealUpdate(Schema):
    title = fields.String(validate=validate.Length(max=200))
    expected_value = Amount(allow_none=True, validate=validate.Length(max=20))
    probability = fields.Integer(allow_none=True, validate=validate.Range(0, 100))
    ip_checked = fields.Boolean()
    team_willing = fields.Boolean()
    reform_status = fields.String(allow_none=True, validate=validate.Length(max=24))
    transfer_mode = fields.String(allow_none=True, validate=validate.Length(max=24))
    price = Amount(allow_none=True, validate=validate.Length(max=20))
    payment_kind = fields.String(allow_none=True, validate=validate.Length(max=16))
    terms_note = fields.String(validate=validate.Length(max=5000))
    showcase_material = fields.String(validate=validate.Length(max=5000))
    next_step = fields.String(validate=validate.Length(max=300))
    next_step_due = fields.Date()


class StageMove(Schema):
    stage = fields.String(required=True, validate=validate.Length(min=1, max=40))
    reason = fields.String(load_default="", validate=validate.Length(max=1000))
    lost_reason = fields.String(allow_none=True, load_default=None,
                                validate=validate.Length(max=24))
