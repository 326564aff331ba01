"""The seed's contracts and landings give boards that differ by period: this month, this year
and all time are three different boards (seed_data/deals/history.json adds the signings of
earlier years and of the last two days)."""
from datetime import timedelta

from matchmaker.pipeline import clock
from matchmaker.rankings import queries
from matchmaker.rankings.formulas import BOARDS_BY_KEY, Period, PeriodKind, rank


def _order(db_session, board_key: str, period: Period) -> list[int]:
    board = BOARDS_BY_KEY[board_key]
    records = queries.board_records(db_session, board, period).within(period)
    return [r.party_id for r in rank(board, records, {})]


def _reference_day():
    """Today, except in January, when this month is this year so far: then last December."""
    today = clock.today()
    return today if today.month > 1 else today.replace(day=1) - timedelta(days=1)


def test_the_seeded_month_year_and_all_time_boards_differ(db_session):
    day = _reference_day()
    for board in ("broker-value", "institution-value"):
        month = _order(db_session, board, Period.containing(PeriodKind.MONTH, day))
        year = _order(db_session, board, Period.containing(PeriodKind.YEAR, day))
        every = _order(db_session, board, Period.parse("all"))
        assert month, board  # the seed signs contracts in the last days
        assert month != year != every, board
        assert set(month) <= set(year) <= set(every)


def test_the_seeded_landing_boards_differ_between_this_year_and_all_time(db_session):
    year = _order(db_session, "broker-landed", Period.containing(PeriodKind.YEAR, clock.today()))
    every = _order(db_session, "broker-landed", Period.parse("all"))
    assert year and every != year
