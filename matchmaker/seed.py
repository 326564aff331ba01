"""Load seed_data/ into the database idempotently (records are keyed by their `key`)."""
import hashlib
import json
import zlib
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.auth.models import COMPETENCIES, Broker, User
from matchmaker.chains.models import Chain, ChainSegment
from matchmaker.domain import AccountStatus, OutputStatus, Role
from matchmaker.orgs.models import Enterprise, Institution, Region
from matchmaker.profiles.models import Patent, ResearchOutput, TechNeed
from matchmaker.types import utcnow

DEMO_DOMAIN = "demo.example.com"
# Seeded records get stable, spread-out publication dates so that "newest first" means something.
SEED_EPOCH = datetime(2026, 10, 31, 9, 0, tzinfo=UTC)


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
        """Load all files in dependency order and flush."""
        self.regions = {r["name"]: self._region(r) for r in _read(self.dir / "regions.json")}
        self.chains = {c["key"]: self._chain(c) for c in _read_all(self.dir / "chains")}
        self.session.flush()
        self.institutions = {i["key"]: self._institution(i)
                             for i in _read(self.dir / "institutions.json")}
        self.enterprises = {e["key"]: self._enterprise(e)
                            for e in _read_all(self.dir / "enterprises")}
        self.session.flush()
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
        return self

    def _region(self, data: dict) -> Region:
        region = self._upsert(Region, {"name": data["name"]}, "regions")
        region.name_en, region.province = data["name_en"], data["province"]
        return region

    def _chain(self, data: dict) -> Chain:
        chain = self._upsert(Chain, {"key": data["key"]}, "chains")
        for name in ("name_zh", "name_en", "description_zh", "description_en"):
            setattr(chain, name, data.get(name, ""))
        chain.synonyms = ["|".join(group) for group in data.get("synonyms", [])]
        chain.core_terms = list(data.get("core_terms", []))
        existing = {s.key: s for s in chain.segments}
        for seg in data["segments"]:
            segment = existing.get(seg["key"])
            if segment is None:
                segment = ChainSegment(key=seg["key"])
                chain.segments.append(segment)
                self.created["segments"] += 1
            for name in ("name_zh", "name_en", "position", "keywords_zh", "keywords_en",
                         "ipc_prefixes"):
                setattr(segment, name, seg[name])
        return chain

    def _institution(self, data: dict) -> Institution:
        org = self._upsert(Institution, {"ref": data["key"]}, "institutions")
        org.name, org.name_en, org.aliases = data["name"], data["name_en"], data["aliases"]
        org.type, org.region = data["type"], self.regions[data["region"]]
        org.description = data.get("description", "")
        return org

    def _enterprise(self, data: dict) -> Enterprise:
        org = self._upsert(Enterprise, {"ref": data["key"]}, "enterprises")
        org.name, org.name_en, org.aliases = data["name"], data["name_en"], data["aliases"]
        org.tier, org.size, org.industry = data["tier"], data["size"], data["industry"]
        org.region, org.description = self.regions[data["region"]], data.get("description", "")
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
            broker = user.broker or Broker()
            user.broker = broker
            broker.certificate_no, broker.organisation = data["certificate_no"], data["organisation"]
            broker.bio = data.get("bio", "")
            for name in COMPETENCIES:
                setattr(broker, name, data["competencies"][name])
            broker.chains = [self.chains[key] for key in data["chains"]]

    def _segment(self, chain: Chain, key: str | None) -> ChainSegment | None:
        return next((s for s in chain.segments if s.key == key), None) if key else None

    def _output(self, data: dict) -> None:
        output = self._upsert(ResearchOutput, {"ref": data["key"]}, "outputs")
        chain = self.chains[data["chain"]]
        output.title, output.abstract = data["title"], data["abstract"]
        output.keywords, output.inventors = data["keywords"], data["inventors"]
        output.institution = self.institutions[data["institution"]]
        output.chain, output.segment = chain, self._segment(chain, data.get("segment"))
        output.trl, output.reform_status = data["trl"], data["reform_status"]
        output.price_min, output.price_max = _money(data["price_min"]), _money(data["price_max"])
        output.status, output.lang = data["status"], data.get("lang", "zh")
        old_modes = sorted(output.modes) if output.id is not None else None
        output.modes = data["modes"]
        current = [(p.number, p.ipc_codes, p.status) for p in output.patents]
        wanted = [(p["number"], p["ipc"], p["status"]) for p in data["patents"]]
        if current != wanted:
            output.patents = [Patent(number=n, ipc_codes=i, status=s) for n, i, s in wanted]
        if old_modes is not None and (old_modes != sorted(data["modes"]) or current != wanted):
            # modes and patents live in other tables: touch the row so that version moves
            # (the match index and optimistic locking follow version and updated_at)
            output.updated_at = utcnow()
        if output.status != OutputStatus.DRAFT:
            output.published_at = output.published_at or _published_at(data["key"])

    def _need(self, data: dict) -> None:
        need = self._upsert(TechNeed, {"ref": data["key"]}, "needs")
        chain = self.chains[data["chain"]]
        need.title, need.description, need.keywords = (data["title"], data["description"],
                                                       data["keywords"])
        need.enterprise = self.enterprises[data["enterprise"]]
        need.chain, need.segment = chain, self._segment(chain, data.get("segment"))
        if need.id is not None and sorted(need.modes) != sorted(data["modes"]):
            need.updated_at = utcnow()  # modes live in another table, see _output
        need.min_trl, need.modes = data["min_trl"], data["modes"]
        need.budget_min, need.budget_max = _money(data["budget_min"]), _money(data["budget_max"])
        need.deadline = date.fromisoformat(data["deadline"]) if data.get("deadline") else None
        need.region = self.regions[data["region"]] if data.get("region") else None
        need.is_challenge, need.prize = bool(data["is_challenge"]), _money(data.get("prize"))
        need.status, need.lang = data["status"], data.get("lang", "zh")
        if need.status != "draft":
            need.published_at = need.published_at or _published_at(data["key"])


def load_seed(session: Session, seed_dir: Path, *, password_hash: str,
              with_accounts: bool = True) -> SeedLoader:
    """Load every seed file into session (flushed, not committed) and return the loader."""
    return SeedLoader(session, seed_dir, password_hash=password_hash,
                      with_accounts=with_accounts).load()
