"""Load seed_data/ into the database idempotently (records are keyed by their `key`).

Outputs and needs are written through profiles.services as permissions.SYSTEM, so the seed
gets the same validation, publishing rule, signals and version bumps as the forms and imports.
A record that did not change is not written again: a second load changes nothing.
"""
import hashlib
import json
import zlib
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker import signals
from matchmaker.auth.contact import BrokerContact
from matchmaker.auth.models import COMPETENCIES, Broker, User
from matchmaker.auth.services import update_broker_profile
from matchmaker.chains import services as chains
from matchmaker.chains.models import Chain, ChainSegment
from matchmaker.domain import (
    DEAL_SET_STATUSES,
    PUBLIC_NEED_STATUSES,
    PUBLIC_OUTPUT_STATUSES,
    AccountStatus,
    Role,
    Side,
)
from matchmaker.orgs import services as orgs
from matchmaker.orgs.models import Enterprise, Institution, Region
from matchmaker.permissions import SYSTEM
from matchmaker.profiles import services
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations import seen

DEMO_DOMAIN = "demo.example.com"
# Seeded records get stable, spread-out publication dates so that "newest first" means something.
SEED_EPOCH = datetime(2026, 10, 31, 9, 0, tzinfo=UTC)
# The demo institution and enterprise accounts last looked at their matches two months before
# that: the counterparts then on the market (in the listing's chain, where its matches come from)
# are seen; a match published since, or on a listing posted since, shows as new.
SEEN_BEFORE = SEED_EPOCH - timedelta(days=60)


def _read(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _read_all(folder: Path) -> list[dict]:
    """Return the records of every JSON file in folder: a file holds one record or a list."""
    rows = []
    for path in sorted(folder.glob("*.json")):
        data = _read(path)
        rows.extend(data if isinstance(data, list) else [data])
    return rows


def _money(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _published_at(key: str) -> datetime:
    return SEED_EPOCH - timedelta(days=zlib.crc32(key.encode()) % 420,
                                  minutes=zlib.crc32(key[::-1].encode()) % 600)


# A seed listing "transferred" (a status only a deal sets) is loaded as published and its seed
# deal's signed contract transfers it; once a deal has set one, the listings' loader leaves the
# status to the deals.


def _owner_part(status: str) -> str:
    """Return the status the owner's moves reach on the way to status (the deals do the rest)."""
    return "published" if status in DEAL_SET_STATUSES else status


def seed_digest(seed_dir: Path) -> str:
    """Return a digest of every seed file (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted(Path(seed_dir).rglob("*.json")):
        digest.update(str(path.relative_to(seed_dir)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def demo_email(key: str) -> str:
    """Return the demo account e-mail for a seed key."""
    return f"{key}@{DEMO_DOMAIN}"


class SeedLoader:
    """Upsert every seed file; counts() tells what was created and updated."""

    def __init__(self, session: Session, seed_dir: Path, *, password_hash: str,
                 with_accounts: bool = True):
        self.session = session
        self.dir = Path(seed_dir)
        self.password_hash = password_hash
        self.with_accounts = with_accounts
        self.created: Counter[str] = Counter()
        self.updated: Counter[str] = Counter()

    def _upsert(self, model, where, label: str):
        row = self.session.scalar(select(model).filter_by(**where))
        if row is None:
            row = model(**where)
            self.session.add(row)
            self.created[label] += 1
        else:
            self.updated[label] += 1
        return row

    def load(self) -> "SeedLoader":
        """Load all files in dependency order and flush (one bulk load: see signals)."""
        with signals.bulk_load(self.session):
            return self._load()

    def _load(self) -> "SeedLoader":
        self.regions = {r["name"]: self._region(r) for r in _read(self.dir / "regions.json")}
        self.chains = {c["key"]: self._chain(c) for c in _read_all(self.dir / "chains")}
        self.session.flush()
        self.institutions = {i["key"]: self._institution(i)
                             for i in _read(self.dir / "institutions.json")}
        self.enterprises = {e["key"]: self._enterprise(e)
                            for e in _read_all(self.dir / "enterprises")}
        self.session.flush()
        from matchmaker.dashboard.seed import load_targets

        targets = load_targets(self.session, self.dir)
        self.created["year targets"] += targets["created"]
        self.updated["year targets"] += targets["kept"]
        if self.with_accounts:
            self._accounts()
        for row in _read_all(self.dir / "outputs"):
            self._output(row)
        for row in _read_all(self.dir / "needs"):
            self._need(row)
        self.session.flush()
        if self.with_accounts:  # deals belong to the demo brokers
            from matchmaker.pipeline.seed import load_deals

            deals = load_deals(self.session, self.dir, email_of=demo_email)
            self.created.update(deals.created)
            self.updated.update(deals.updated)
            from matchmaker.events.seed import load_events

            events = load_events(self.session, self.dir, email_of=demo_email)
            self.created.update(events.created)
            self.updated.update(events.updated)
            from matchmaker.media.seed import load_stories

            pieces = load_stories(self.session, self.dir, email_of=demo_email)
            self.created.update(pieces.created)
            self.updated.update(pieces.updated)
            from matchmaker.showcase.seed import load_contact_requests

            requests = load_contact_requests(self.session, self.dir)
            self.created["contact requests"] += requests["created"]
            self.updated["contact requests"] += requests["kept"]
            self._seen_matches()
        return self

    def _region(self, data: dict) -> Region:
        region = self._upsert(Region, {"name": data["name"]}, "regions")
        region.name_en, region.province = data["name_en"], data["province"]
        return region

    def _chain(self, data: dict) -> Chain:
        """Create or update a chain and its segments through chains.services."""
        chain = self.session.scalar(select(Chain).filter_by(key=data["key"]))
        (self.created if chain is None else self.updated)["chains"] += 1
        values = {name: data.get(name, "") for name in ("key", "name_zh", "name_en",
                                                         "description_zh", "description_en")}
        values["synonyms"] = ["|".join(group) for group in data.get("synonyms", [])]
        values["core_terms"] = list(data.get("core_terms", []))
        chain = chains.save_chain(self.session, chain, values)
        existing = {s.key: s for s in chain.segments}
        for seg in data["segments"]:
            segment = existing.get(seg["key"])
            if segment is None:
                self.created["segments"] += 1
            chains.save_segment(self.session, chain, segment, {
                name: seg[name] for name in ("key", "name_zh", "name_en", "position",
                                             "keywords_zh", "keywords_en", "ipc_prefixes")})
        return chain

    def _organisation(self, model, data: dict, type_: str, label: str):
        """Find an organisation by its seed key, or create it with orgs.services (which has
        no update service yet: the loader sets the other fields itself)."""
        org = self.session.scalar(select(model).filter_by(ref=data["key"]))
        if org is None:
            org = orgs.create_organisation(self.session, model, name=data["name"], type_=type_,
                                           region=self.regions[data["region"]])
            org.ref = data["key"]
            self.created[label] += 1
        else:
            self.updated[label] += 1
        org.name, org.name_en, org.aliases = data["name"], data["name_en"], data["aliases"]
        org.region, org.description = self.regions[data["region"]], data.get("description", "")
        return org

    def _institution(self, data: dict) -> Institution:
        org = self._organisation(Institution, data, data["type"], "institutions")
        org.type = data["type"]
        return org

    def _enterprise(self, data: dict) -> Enterprise:
        org = self._organisation(Enterprise, data, data["tier"], "enterprises")
        org.tier, org.size, org.industry = data["tier"], data["size"], data["industry"]
        return org

    def _user(self, key: str, name: str, role: str, **org) -> User:
        user = self._upsert(User, {"email": demo_email(key)}, "users")
        user.display_name, user.role, user.status = name[:80], role, AccountStatus.ACTIVE
        user.password_hash = self.password_hash
        user.approved_at = user.approved_at or SEED_EPOCH
        user.institution, user.enterprise = org.get("institution"), org.get("enterprise")
        return user

    def _accounts(self) -> None:
        self._user("admin", "平台运营（演示）", Role.ADMIN)
        for key, org in self.institutions.items():
            self._user(key, f"{org.name}技术转移办公室", Role.INSTITUTION, institution=org)
        for key, org in self.enterprises.items():
            self._user(key, f"{org.name}技术部", Role.ENTERPRISE, enterprise=org)
        for data in _read(self.dir / "brokers.json"):
            user = self._user(data["key"], data["name"], Role.BROKER)
            user.broker = user.broker or Broker()
            # Through the service, as the profile form: the contact is checked and written
            # the same way.
            update_broker_profile(
                self.session, user.broker, actor=SYSTEM,
                chains=[self.chains[key] for key in data["chains"]],
                certificate_no=data["certificate_no"], organisation=data["organisation"],
                bio=data.get("bio", ""),
                competencies={name: data["competencies"][name] for name in COMPETENCIES},
                contact=BrokerContact(**data.get("contact", {})))

    def _seen_matches(self) -> None:
        """Record, through recommendations.seen, what the demo institution and enterprise
        accounts were shown when they last looked (SEEN_BEFORE); a second load adds nothing."""
        def before(listing) -> bool:
            return listing.status != "draft" and _published_at(listing.ref) < SEEN_BEFORE

        market = {side: [row for row in self.session.scalars(select(model)) if before(row)]
                  for side, model in ((Side.OUTPUT, ResearchOutput), (Side.NEED, TechNeed))}
        for user in self.session.scalars(select(User).where(User.email.in_(
                [demo_email(key) for key in (*self.institutions, *self.enterprises)]))):
            side = Side.OUTPUT if user.institution_id else Side.NEED
            for listing in market[side]:
                if (listing.institution_id if side == Side.OUTPUT else listing.enterprise_id) \
                        != (user.institution_id or user.enterprise_id):
                    continue
                shown = [other.id for other in market[side.other]
                         if other.chain_id == listing.chain_id]
                marked = seen.mark_matches_seen(self.session, user, listing, shown)
                self.created["seen matches"] += len(marked)

    def _segment(self, chain: Chain, key: str | None) -> ChainSegment | None:
        return next((s for s in chain.segments if s.key == key), None) if key else None

    def _output(self, data: dict) -> None:
        """Create or update one output through the services, as the forms and imports do."""
        chain = self.chains[data["chain"]]
        segment = self._segment(chain, data.get("segment"))
        wanted = services.OutputData(
            title=data["title"], abstract=data["abstract"], trl=data["trl"],
            modes=list(data["modes"]), keywords=data["keywords"], inventors=data["inventors"],
            chain_key=chain.key, segment_id=segment.id if segment else None,
            patents=[{"number": p["number"], "ipc": p["ipc"], "status": p["status"]}
                     for p in data["patents"]],
            price_min=_money(data["price_min"]), price_max=_money(data["price_max"]),
            reform_status=data["reform_status"], lang=data.get("lang", "zh"))
        institution = self.institutions[data["institution"]]
        output = self.session.scalar(select(ResearchOutput).filter_by(ref=data["key"]))
        if output is None:
            output = services.create_output(self.session, wanted, owner=SYSTEM,
                                            institution=institution, ref=data["key"])
            self.created["outputs"] += 1
        else:
            self.updated["outputs"] += 1
            if output.institution_id != institution.id:
                raise ValueError(f"seed output {data['key']} changed its institution")
            if _differs(services.output_data(output), wanted):
                self._before_edit(output, data["status"], services.move_output_to)
                services.update_output(self.session, output, wanted, editor=SYSTEM,
                                       version=None)
        if output.status not in DEAL_SET_STATUSES:
            services.move_output_to(self.session, output, _owner_part(data["status"]),
                                    editor=SYSTEM, published_at=_published_at(data["key"]))

    def _need(self, data: dict) -> None:
        """Create or update one need through the services (see _output)."""
        chain = self.chains[data["chain"]]
        segment = self._segment(chain, data.get("segment"))
        wanted = services.NeedData(
            title=data["title"], description=data["description"], modes=list(data["modes"]),
            keywords=data["keywords"], chain_key=chain.key,
            segment_id=segment.id if segment else None, min_trl=data["min_trl"],
            budget_min=_money(data["budget_min"]), budget_max=_money(data["budget_max"]),
            deadline=date.fromisoformat(data["deadline"]) if data.get("deadline") else None,
            region_name=data.get("region") or None, is_challenge=bool(data["is_challenge"]),
            prize=_money(data.get("prize")), lang=data.get("lang", "zh"))
        enterprise = self.enterprises[data["enterprise"]]
        need = self.session.scalar(select(TechNeed).filter_by(ref=data["key"]))
        if need is None:
            need = services.create_need(self.session, wanted, owner=SYSTEM,
                                        enterprise=enterprise, ref=data["key"])
            self.created["needs"] += 1
        else:
            self.updated["needs"] += 1
            if need.enterprise_id != enterprise.id:
                raise ValueError(f"seed need {data['key']} changed its enterprise")
            if _differs(services.need_data(need), wanted):
                self._before_edit(need, data["status"], services.move_need_to)
                services.update_need(self.session, need, wanted, editor=SYSTEM, version=None)
        if need.status not in DEAL_SET_STATUSES:
            services.move_need_to(self.session, need, _owner_part(data["status"]),
                                  editor=SYSTEM, published_at=_published_at(data["key"]))

    def _before_edit(self, listing, target: str, move) -> None:
        """A public listing may only be edited into a publishable one; when the seed will
        unpublish it anyway (withdraw, close), move it first so that the edit is allowed."""
        if target not in (PUBLIC_OUTPUT_STATUSES if listing.side == Side.OUTPUT
                          else PUBLIC_NEED_STATUSES):
            move(self.session, listing, target, editor=SYSTEM)


def _differs(current, wanted) -> bool:
    """Return whether wanted (OutputData/NeedData) would change what current holds."""
    def normal(data):
        values = dict(vars(data))
        values["modes"] = sorted(dict.fromkeys(values["modes"]))
        for name in ("title", "abstract", "description"):
            if name in values:
                values[name] = values[name].strip()
        return values

    return normal(current) != normal(wanted)


def load_seed(session: Session, seed_dir: Path, *, password_hash: str,
              with_accounts: bool = True) -> SeedLoader:
    """Load every seed file into session (flushed, not committed) and return the loader."""
    return SeedLoader(session, seed_dir, password_hash=password_hash,
                      with_accounts=with_accounts).load()
