"""Load seed_data/deals/*.json through the pipeline's services (the one write path).

Each record tells a deal's story as steps dated in days relative to the load day (`day`: -30
is thirty days before it), so the demo never goes stale: overdue deals stay a few days overdue,
stale deals stay idle just past their stage's limit. The loader replays every step with the
pipeline clock set to that moment, so stage entry times, activity times and history rows are
those of the story. Deals are keyed by `key` (Deal.ref): a second load creates nothing and
only re-applies the listing statuses the deals own (the listings' own loader sets them back
from their files). Format: seed_data/README.md, "deals/".
"""
import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.auth.models import User
from matchmaker.orgs.models import Region
from matchmaker.pipeline import clock, services
from matchmaker.pipeline.models import Deal, DealTask, ServiceTicket
from matchmaker.profiles.models import ResearchOutput, TechNeed


class DealSeeder:
    """Replay deal stories; created and updated count what was done."""

    def __init__(self, session: Session, seed_dir: Path, *, email_of: Callable[[str], str],
                 today: date | None = None):
        self.session = session
        self.email_of = email_of  # seed key -> the demo account's e-mail
        self.dir = Path(seed_dir) / "deals"
        self.today = today or clock.today()
        self.created: Counter[str] = Counter()
        self.updated: Counter[str] = Counter()
        self._users: dict[str, User] = {}

    # --- lookups -------------------------------------------------------------------------

    def user(self, key: str) -> User:
        if key not in self._users:
            user = self.session.scalar(select(User).where(User.email == self.email_of(key)))
            if user is None:
                raise LookupError(f"seed deals: no account for {key!r}")
            self._users[key] = user
        return self._users[key]

    def _listing(self, model, key: str | None):
        if key is None:
            return None
        row = self.session.scalar(select(model).where(model.ref == key))
        if row is None:
            raise LookupError(f"seed deals: no listing {key!r}")
        return row

    def _region(self, name: str) -> Region:
        return self.session.scalar(select(Region).where(Region.name == name))

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def moment(self, step: dict) -> datetime:
        hour, minute = (int(x) for x in step.get("at", "10:00").split(":"))
        local = datetime.combine(self.day(step["day"]), time(hour, minute), clock.BUSINESS_TZ)
        return local.astimezone(UTC)

    # --- loading -----------------------------------------------------------------------------

    def load(self) -> "DealSeeder":
        if not self.dir.is_dir():
            return self
        for path in sorted(self.dir.glob("*.json")):
            for record in json.loads(path.read_text(encoding="utf-8")):
                self._record(record)
        self.session.flush()
        return self

    def _record(self, record: dict) -> None:
        deal = self.session.scalar(select(Deal).where(Deal.ref == record["key"]))
        if deal is not None:
            services.sync_listing_statuses(self.session, deal)
            self.updated["deals"] += 1
            return
        owner = self.user(record["owner"])
        deal = None
        tickets: list[ServiceTicket] = []
        tasks: list[DealTask] = []
        for step in record["steps"]:
            actor = self.user(step["by"]) if "by" in step else owner
            with clock.at(self.moment(step)):
                if deal is None:
                    deal = self._start(record, step, owner)
                    continue
                self._step(deal, step, actor, tickets, tasks)
        self.created["deals"] += 1

    def _start(self, record: dict, step: dict, owner: User) -> Deal:
        output = self._listing(ResearchOutput, record.get("output"))
        need = self._listing(TechNeed, record.get("need"))
        if step["do"] == "introduction":
            asker = self.user(step["requested_by"])
            request = services.ask_introduction(self.session, need=need, output=output,
                                                actor=asker, message=step.get("message", ""))
            request.broker = owner  # the story names the broker who took it
            self.session.flush()
            deal = services.accept_introduction(
                self.session, request, actor=owner, next_step=step["next_step"],
                next_step_due=self.day(step["due"]))
            self.created["introductions"] += 1
        else:
            deal = services.create_deal(
                self.session, actor=owner, owner=owner, output=output, need=need,
                title=record.get("title", ""), next_step=step["next_step"],
                next_step_due=self.day(step["due"]), stage_key=step.get("stage", "discovered"),
                ref=record["key"])
        deal.ref = record["key"]
        fields = {name: record[name] for name in ("expected_value", "transfer_mode")
                  if record.get(name) is not None}
        if fields:
            services.update_deal(self.session, deal, actor=owner, version=None, **fields)
        return deal

    def _step(self, deal: Deal, step: dict, actor: User, tickets: list, tasks: list) -> None:
        s, do = self.session, step["do"]
        if do == "update":
            values = {k: (Decimal(str(v)) if k in ("price", "expected_value") and v is not None
                          else v) for k, v in step["fields"].items()}
            services.update_deal(s, deal, actor=actor, version=None, **values)
        elif do == "move":
            services.move_deal(s, deal, step["to"], actor=actor, reason=step.get("reason", ""),
                               lost_reason=step.get("lost_reason"))
        elif do in ("activity", "comment"):
            services.add_activity(s, deal, step.get("kind", "comment"), step["body"],
                                  actor=actor)
        elif do == "next_step":
            services.set_next_step(s, deal, step["text"], self.day(step["due"]), actor=actor)
        elif do == "nda":
            expires = self.day(step["expires"]) if "expires" in step else None
            services.set_nda(s, deal, step["status"], actor=actor, expires_on=expires)
        elif do == "contract":
            services.save_contract(s, deal, self._contract(step), actor=actor)
        elif do == "landed":
            services.mark_landed(s, deal, actor=actor, name=step["name"],
                                 region=self._region(step["region"]),
                                 landed_on=self.day(step["on"]),
                                 address=step.get("address", ""))
        elif do == "ticket":
            tickets.append(services.add_ticket(
                s, deal, step["kind"], step["title"], actor=actor,
                due_on=self.day(step["due"]) if "due" in step else None,
                status=step.get("status", "open"), outcome=step.get("outcome", ""),
                financing_kind=step.get("financing_kind"),
                amount_raised=Decimal(str(step["amount"])) if "amount" in step else None))
        elif do == "ticket_update":
            changes = {k: v for k, v in step.items() if k in ("status", "outcome")}
            if "amount" in step:
                changes["amount_raised"] = Decimal(str(step["amount"]))
            services.update_ticket(s, tickets[step["ticket"]], actor=actor, **changes)
        elif do == "task":
            tasks.append(services.add_task(s, deal, step["title"], self.day(step["due"]),
                                           actor=actor))
        elif do == "task_done":
            services.complete_task(s, tasks[step["task"]], actor=actor)
        elif do == "snooze":
            services.snooze_deal(s, deal, self.day(step["until"]), step["reason"], actor=actor)
        elif do == "co_broker":
            services.add_co_broker(s, deal, self.user(step["broker"]), actor=actor)
        elif do == "reassign":
            services.reassign_deal(s, deal, self.user(step["to"]), actor=actor,
                                   note=step.get("note", ""))
        else:
            raise ValueError(f"seed deals: unknown step {do!r} in {deal.ref}")

    def _contract(self, step: dict) -> services.ContractData:
        return services.ContractData(
            contract_type=step["type"], name=step.get("name", ""),
            seller_name=step["seller"], buyer_name=step["buyer"],
            total_amount=Decimal(str(step["total"])),
            technical_amount=Decimal(str(step.get("technical", step["total"]))),
            signed_on=self.day(step["signed"]),
            term_start=self.day(step["term_start"]) if "term_start" in step else None,
            term_end=self.day(step["term_end"]) if "term_end" in step else None,
            registration_no=step.get("registration_no", ""),
            registered_on=self.day(step["registered"]) if "registered" in step else None)


def load_deals(session: Session, seed_dir: Path, *, email_of: Callable[[str], str],
               today: date | None = None) -> DealSeeder:
    """Load seed_data/deals/ (needs the demo accounts, found by email_of(key)); the returned
    seeder's created and updated counters say what it did."""
    return DealSeeder(session, seed_dir, email_of=email_of, today=today).load()
