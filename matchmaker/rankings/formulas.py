"""The rankings (打榜): every board's formula, its tie rule and the period maths, in plain Python.

No Flask, no ORM: queries.py turns database rows into the records below, and this module turns
records into ranked rows. The rules users argue about live here, once, and the pages show the
same words (`Board.formula`, `Board.tie_rule`, marked for translation with N_).

Decisions (README, "Rankings (打榜)"):
- **Only records count.** A contract counts once it is signed (an amount above zero, a signing
  date and both parties: pipeline.rules.ContractFacts.is_complete) in the period; a landing once
  its date is in the period; a service once its ticket is done (its closing time, in business
  time). Nobody's self-reported figure enters a board.
- **Co-brokers.** Every broker on a deal (the owner and each co-broker) is credited with the
  whole deal on the counting boards (deals landed, local conversions, services delivered, and
  the contracts column); the contract *value* is split equally between them, so the value board
  adds up to the platform's real turnover. Shares are kept as exact fractions so that equal
  shares tie exactly.
- **Ties.** The board's metrics are compared in order (the first ranks, the others break ties),
  then whoever reached the figure first (the date of the last record counted: earlier wins),
  then the name, then the id. So no two rows share a rank: ranks run 1, 2, 3, …
- **Periods** are months, quarters, years or all time in business time (Asia/Shanghai, UTC+8,
  no daylight saving): a period runs from 00:00 on its first day to 23:59:59.999… on its last.
  A contract signed at 23:59 on 31 March is in Q1; one at 00:00 on 1 April in Q2.
"""
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

# Asia/Shanghai: UTC+8 all year (China has kept no daylight saving since 1991).
BUSINESS_TZ = timezone(timedelta(hours=8), "CST")


def N_(text: str) -> str:
    """Mark text for translation; the pages translate it when they show it."""
    return text


# --- periods -------------------------------------------------------------------------------

class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    ALL = "all"


class PeriodError(ValueError):
    """Text that names no period."""


_PERIOD_RE = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|[Qq](?P<quarter>[1-4])))?$")
YEAR_MIN, YEAR_MAX = 2000, 2100


def business_date(moment: date | datetime) -> date:
    """Return the business day of a date or a time (a naive time is taken as UTC)."""
    if not isinstance(moment, datetime):
        return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BUSINESS_TZ).date()


@dataclass(frozen=True)
class Period:
    """A month (number 1–12), a quarter (1–4), a year, or all time."""

    kind: PeriodKind
    year: int | None = None
    number: int | None = None

    @classmethod
    def parse(cls, text: str) -> "Period":
        """Return the period of '2026-03', '2026-Q1', '2026' or 'all'; raise PeriodError."""
        text = (text or "").strip()
        if text == PeriodKind.ALL:
            return cls(PeriodKind.ALL)
        match = _PERIOD_RE.match(text)
        if match is None or not YEAR_MIN <= int(match["year"]) <= YEAR_MAX:
            raise PeriodError(text)
        year = int(match["year"])
        if match["month"]:
            if not 1 <= int(match["month"]) <= 12:
                raise PeriodError(text)
            return cls(PeriodKind.MONTH, year, int(match["month"]))
        if match["quarter"]:
            return cls(PeriodKind.QUARTER, year, int(match["quarter"]))
        return cls(PeriodKind.YEAR, year)

    @classmethod
    def containing(cls, kind: PeriodKind, day: date) -> "Period":
        """Return the period of that kind which holds the business day."""
        if kind == PeriodKind.MONTH:
            return cls(kind, day.year, day.month)
        if kind == PeriodKind.QUARTER:
            return cls(kind, day.year, (day.month - 1) // 3 + 1)
        if kind == PeriodKind.YEAR:
            return cls(kind, day.year)
        return cls(PeriodKind.ALL)

    @property
    def key(self) -> str:
        """The period as the pages' URLs write it (parse's inverse)."""
        if self.kind == PeriodKind.MONTH:
            return f"{self.year:04d}-{self.number:02d}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.year:04d}-Q{self.number}"
        if self.kind == PeriodKind.YEAR:
            return f"{self.year:04d}"
        return PeriodKind.ALL.value

    @property
    def first_day(self) -> date | None:
        if self.kind == PeriodKind.ALL:
            return None
        if self.kind == PeriodKind.MONTH:
            return date(self.year, self.number, 1)
        if self.kind == PeriodKind.QUARTER:
            return date(self.year, 3 * self.number - 2, 1)
        return date(self.year, 1, 1)

    @property
    def next_first_day(self) -> date | None:
        """The first day after the period (its end, exclusive)."""
        first = self.first_day
        if first is None:
            return None
        months = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[self.kind]
        month_index = first.year * 12 + first.month - 1 + months
        return date(month_index // 12, month_index % 12 + 1, 1)

    @property
    def last_day(self) -> date | None:
        """The period's last business day (inclusive, up to 23:59:59 of it)."""
        after = self.next_first_day
        return None if after is None else after - timedelta(days=1)

    def contains(self, moment: date | datetime) -> bool:
        """Return whether a date, or a time read in business time, falls in the period."""
        if self.kind == PeriodKind.ALL:
            return True
        return self.first_day <= business_date(moment) < self.next_first_day

    def utc_bounds(self) -> tuple[datetime | None, datetime | None]:
        """Return [start, end) of the period as UTC times (None: unbounded), for SQL."""
        if self.kind == PeriodKind.ALL:
            return None, None
        return tuple(datetime.combine(d, datetime.min.time(), BUSINESS_TZ).astimezone(UTC)
                     for d in (self.first_day, self.next_first_day))

    def shifted(self, steps: int) -> "Period":
        """Return the period steps months / quarters / years later (earlier if negative)."""
        if self.kind == PeriodKind.ALL:
            return self
        if self.kind == PeriodKind.YEAR:
            return Period(self.kind, self.year + steps)
        per_year = 12 if self.kind == PeriodKind.MONTH else 4
        index = self.year * per_year + self.number - 1 + steps
        return Period(self.kind, index // per_year, index % per_year + 1)


def recent_periods(kind: PeriodKind, today: date, count: int) -> list["Period"]:
    """Return the period of kind holding today and the count - 1 before it, newest first."""
    current = Period.containing(kind, today)
    if kind == PeriodKind.ALL:
        return [current]
    return [current.shifted(-i) for i in range(count)]


# --- records -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ContractRecord:
    """A signed technology contract, with what the boards need of its deal."""

    deal_id: int
    signed_on: date
    value: Decimal  # total amount, 万元
    owner_id: int  # the owning broker (a user id)
    co_broker_ids: tuple[int, ...] = ()
    institution_id: int | None = None
    enterprise_id: int | None = None
    output_id: int | None = None
    need_id: int | None = None
    chain_id: int | None = None
    is_challenge: bool = False  # the need is an open challenge (揭榜挂帅)
    listed_on: date | None = None  # the business day the output was first published


@dataclass(frozen=True)
class LandingRecord:
    """A deal that landed (落地): a company registered or a project started, where and when."""

    deal_id: int
    landed_on: date
    owner_id: int
    co_broker_ids: tuple[int, ...] = ()
    chain_id: int | None = None
    is_local: bool = False  # 就地转化: it landed in the home province


@dataclass(frozen=True)
class ServiceRecord:
    """A service ticket done for a landed team."""

    ticket_id: int
    deal_id: int
    done_at: date | datetime
    owner_id: int
    co_broker_ids: tuple[int, ...] = ()
    chain_id: int | None = None


@dataclass(frozen=True)
class Records:
    contracts: tuple[ContractRecord, ...] = ()
    landings: tuple[LandingRecord, ...] = ()
    services: tuple[ServiceRecord, ...] = ()

    def within(self, period: Period, chain_id: int | None = None) -> "Records":
        """Return the records of the period (and of one chain, when chain_id is given)."""
        def keep(record, moment) -> bool:
            return period.contains(moment) and (chain_id is None or record.chain_id == chain_id)

        return Records(
            contracts=tuple(c for c in self.contracts if keep(c, c.signed_on)),
            landings=tuple(landing for landing in self.landings
                           if keep(landing, landing.landed_on)),
            services=tuple(s for s in self.services if keep(s, s.done_at)))


def brokers_of(record) -> tuple[int, ...]:
    """Return the brokers a record credits: the owner, then the co-brokers (each once)."""
    return tuple(dict.fromkeys((record.owner_id, *record.co_broker_ids)))


def value_share(record: ContractRecord) -> Fraction:
    """Return each broker's share of a contract's value: split equally between them."""
    return Fraction(record.value) / len(brokers_of(record))


# --- tallies -------------------------------------------------------------------------------

@dataclass
class Tally:
    """One party's figures on a board, the day it reached them and the deals behind them."""

    values: dict[str, Fraction | float | int] = field(default_factory=dict)
    achieved_on: date | None = None
    deal_ids: set[int] = field(default_factory=set)

    def add(self, metric: str, amount, day: date, deal_id: int) -> None:
        self.values[metric] = self.values.get(metric, 0) + amount
        self.achieved_on = max(day, self.achieved_on or day)
        self.deal_ids.add(deal_id)


def _tallies() -> defaultdict[int, Tally]:
    return defaultdict(Tally)


def _broker_value(records: Records) -> dict[int, Tally]:
    out = _tallies()
    for c in records.contracts:
        for broker in brokers_of(c):
            out[broker].add("value", value_share(c), c.signed_on, c.deal_id)
            out[broker].add("contracts", 1, c.signed_on, c.deal_id)
    return out


def _broker_landed(records: Records) -> dict[int, Tally]:
    out = _tallies()
    for landing in records.landings:
        for broker in brokers_of(landing):
            out[broker].add("landed", 1, landing.landed_on, landing.deal_id)
            out[broker].add("local", int(landing.is_local), landing.landed_on, landing.deal_id)
    return out


def _broker_local(records: Records) -> dict[int, Tally]:
    out = _tallies()
    for landing in records.landings:
        if landing.is_local:
            for broker in brokers_of(landing):
                out[broker].add("local", 1, landing.landed_on, landing.deal_id)
    return out


def _broker_services(records: Records) -> dict[int, Tally]:
    out = _tallies()
    deals: defaultdict[int, set[int]] = defaultdict(set)
    for s in records.services:
        for broker in brokers_of(s):
            out[broker].add("services", 1, business_date(s.done_at), s.deal_id)
            deals[broker].add(s.deal_id)
    for broker, tally in out.items():
        tally.values["deals_served"] = len(deals[broker])
    return out


def _first_signing(contracts: Iterable[ContractRecord], listing: str) -> dict[int, ContractRecord]:
    """Return, per listing id (output_id or need_id), its earliest contract: a listing
    transferred or solved twice in a period counts once, on the day it first was."""
    first: dict[int, ContractRecord] = {}
    for c in sorted(contracts, key=lambda c: (c.signed_on, c.deal_id)):
        key = getattr(c, listing)
        if key is not None:
            first.setdefault(key, c)
    return first


def _party_contracts(records: Records, party: str, value_name: str) -> dict[int, Tally]:
    out = _tallies()
    for c in records.contracts:
        owner = getattr(c, party)
        if owner is not None:
            out[owner].add(value_name, Fraction(c.value), c.signed_on, c.deal_id)
            out[owner].add("contracts", 1, c.signed_on, c.deal_id)
    return out


def _institution_transferred(records: Records) -> dict[int, Tally]:
    out = _tallies()
    for c in _first_signing(records.contracts, "output_id").values():
        out[c.institution_id].add("outputs", 1, c.signed_on, c.deal_id)
    for institution, tally in _party_contracts(records, "institution_id", "value").items():
        if institution in out:
            out[institution].values["value"] = tally.values["value"]
            out[institution].deal_ids |= tally.deal_ids
    return out


def _institution_value(records: Records) -> dict[int, Tally]:
    return _party_contracts(records, "institution_id", "value")


def _institution_median_days(records: Records) -> dict[int, Tally]:
    days: defaultdict[int, list[int]] = defaultdict(list)
    out = _tallies()
    for c in records.contracts:
        if c.institution_id is None or c.listed_on is None:
            continue
        days[c.institution_id].append(max(0, (c.signed_on - c.listed_on).days))
        out[c.institution_id].add("contracts", 1, c.signed_on, c.deal_id)
    for institution, tally in out.items():
        tally.values["median_days"] = statistics.median(days[institution])
    return out


def _enterprise_counts(records: Records, *, challenges_only: bool) -> dict[int, Tally]:
    out = _tallies()
    for c in _first_signing(records.contracts, "need_id").values():
        if challenges_only and not c.is_challenge:
            continue
        tally = out[c.enterprise_id]
        tally.add("needs", 1, c.signed_on, c.deal_id)
        tally.values["challenges"] = tally.values.get("challenges", 0) + int(c.is_challenge)
    return out


# --- boards --------------------------------------------------------------------------------

class Party(StrEnum):
    BROKER = "broker"
    INSTITUTION = "institution"
    ENTERPRISE = "enterprise"


class Unit(StrEnum):
    COUNT = "count"
    MONEY = "money"  # 万元
    DAYS = "days"


@dataclass(frozen=True)
class Metric:
    key: str
    label: str  # msgid
    unit: Unit = Unit.COUNT
    ascending: bool = False  # True: fewer is better (days)

    @property
    def is_public(self) -> bool:
        """Counts are public; amounts and days come from contracts, which are not."""
        return self.unit == Unit.COUNT


@dataclass(frozen=True)
class Board:
    key: str
    party: Party
    title: str  # msgid
    metrics: tuple[Metric, ...]  # the first ranks; the others break ties, in order
    formula: str  # msgid: the formula in words
    tie_rule: str  # msgid: how ties are broken
    tally: Callable[[Records], Mapping[int, Tally]]


VALUE = Metric("value", N_("Contract value"), Unit.MONEY)
CONTRACTS = Metric("contracts", N_("Contracts signed"))
LANDED = Metric("landed", N_("Deals landed"))
LOCAL = Metric("local", N_("Local conversions"))
SERVICES = Metric("services", N_("Services delivered"))
DEALS_SERVED = Metric("deals_served", N_("Landed deals served"))
OUTPUTS = Metric("outputs", N_("Outputs transferred"))
MEDIAN_DAYS = Metric("median_days", N_("Median days from listing to contract"), Unit.DAYS,
                     ascending=True)
NEEDS = Metric("needs", N_("Needs solved"))
CHALLENGES = Metric("challenges", N_("Open challenges completed"))

_THEN_FIRST = N_("then whoever reached the figure first (the day of the last record counted), "
                 "then the name. No two positions share a rank.")

BOARDS: tuple[Board, ...] = (
    Board("broker-value", Party.BROKER, N_("Brokers by contract value"), (VALUE, CONTRACTS),
          N_("The total amount of the technology contracts signed in the period on the deals "
             "a broker owns or co-brokers. A contract's amount is split equally between the "
             "owning broker and the co-brokers."),
          N_("Equal value: more contracts signed ranks higher (each broker on a deal counts "
             "its contract once);"), _broker_value),
    Board("broker-landed", Party.BROKER, N_("Brokers by deals landed"), (LANDED, LOCAL),
          N_("The number of deals that landed in the period (a company registered or a "
             "project started, with its place and date), on the deals a broker owns or "
             "co-brokers; each broker on a deal is credited with it."),
          N_("Equal count: more local conversions among them ranks higher;"), _broker_landed),
    Board("broker-local", Party.BROKER, N_("Brokers by local conversions"), (LOCAL,),
          N_("The number of deals that landed in the period in Shaanxi province (local "
             "conversion, 就地转化), on the deals a broker owns or co-brokers; each broker on "
             "a deal is credited with it."),
          N_("Equal count:"), _broker_local),
    Board("broker-services", Party.BROKER, N_("Brokers by services delivered"),
          (SERVICES, DEALS_SERVED),
          N_("The number of service tickets (policy, registration, legal, IP, financing, "
             "space, talent, pilot) marked done in the period on the deals a broker owns or "
             "co-brokers; each broker on a deal is credited with them."),
          N_("Equal count: services spread over more landed deals rank higher;"),
          _broker_services),
    Board("institution-transferred", Party.INSTITUTION, N_("Institutions by outputs transferred"),
          (OUTPUTS, VALUE),
          N_("The number of an institution's research outputs with a technology contract "
             "signed in the period (an output signed twice counts once)."),
          N_("Equal count: the higher total contract value ranks higher;"),
          _institution_transferred),
    Board("institution-value", Party.INSTITUTION, N_("Institutions by contract value"),
          (VALUE, CONTRACTS),
          N_("The total amount of the technology contracts signed in the period on an "
             "institution's research outputs."),
          N_("Equal value: more contracts signed ranks higher;"), _institution_value),
    Board("institution-speed", Party.INSTITUTION,
          N_("Institutions by days from listing to contract"), (MEDIAN_DAYS, CONTRACTS),
          N_("The median number of days between an output's first publication on the "
             "platform and the signing of its technology contract, over the contracts signed "
             "in the period. Fewer days rank higher."),
          N_("Equal median: more contracts signed ranks higher;"), _institution_median_days),
    Board("enterprise-solved", Party.ENTERPRISE, N_("Enterprises by needs solved"),
          (NEEDS, CHALLENGES),
          N_("The number of an enterprise's technology needs with a technology contract "
             "signed in the period (a need signed twice counts once)."),
          N_("Equal count: more open challenges among them ranks higher;"),
          lambda records: _enterprise_counts(records, challenges_only=False)),
    Board("enterprise-challenges", Party.ENTERPRISE,
          N_("Enterprises by open challenges completed"), (CHALLENGES,),
          N_("The number of an enterprise's open challenges (揭榜挂帅) with a technology "
             "contract signed in the period with the team that took the challenge up."),
          N_("Equal count:"),
          lambda records: _enterprise_counts(records, challenges_only=True)),
)
BOARDS_BY_KEY = {board.key: board for board in BOARDS}
THEN_FIRST = _THEN_FIRST


@dataclass(frozen=True)
class Row:
    rank: int
    party_id: int
    name: str
    values: Mapping[str, Fraction | float | int]
    achieved_on: date | None
    deal_ids: frozenset[int]


def _sort_key(board: Board, names: Mapping[int, str]):
    def key(item: tuple[int, Tally]):
        party_id, tally = item
        figures = tuple(tally.values.get(m.key, 0) * (1 if m.ascending else -1)
                        for m in board.metrics)
        return (*figures, tally.achieved_on or date.max, names.get(party_id, ""), party_id)
    return key


def rank(board: Board, records: Records, names: Mapping[int, str]) -> list[Row]:
    """Return the board's rows for records already limited to a period and chain.

    Parameters
    ----------
    board : one of BOARDS.
    records : the period's records (Records.within).
    names : party id -> name, for the last tie-break (and the rows' names).

    Returns
    -------
    Rows ranked 1, 2, 3, … by the board's metrics, then the earliest achievement, then the
    name, then the id. Parties without a figure on the board are left out.
    """
    tallies = [(pid, t) for pid, t in board.tally(records).items()
               if board.metrics[0].key in t.values]
    tallies.sort(key=_sort_key(board, names))
    return [Row(rank=i, party_id=pid, name=names.get(pid, ""), values=dict(t.values),
                achieved_on=t.achieved_on, deal_ids=frozenset(t.deal_ids))
            for i, (pid, t) in enumerate(tallies, start=1)]


def as_decimal(value, places: int = 2) -> Decimal:
    """Return a figure (an exact fraction, a float or an int) as a Decimal of places decimals."""
    if isinstance(value, Fraction):
        number = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        number = Decimal(str(value))
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
