"""Organisations: finding the one a new account names, creating a new one."""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.orgs.models import Enterprise, Institution, Region
from matchmaker.orgs.names import best_match

Organisation = Institution | Enterprise


@dataclass(frozen=True)
class OrgMatch:
    organisation: Organisation
    matched_name: str  # the name or alias that matched
    similarity: int  # 100: the same name once normalised; less: a look-alike

    @property
    def exact(self) -> bool:
        return self.similarity == 100


def organisation_key(org: Organisation) -> str:
    """Return "institution:5" or "enterprise:5": ids alone repeat across the two kinds."""
    return f"{type(org).__name__.lower()}:{org.id}"


def find_existing(session: Session, model: type[Organisation], name: str) -> OrgMatch | None:
    """Return the organisation of this kind whose name, English name or alias equals name
    (after normalisation) or looks like it, else None."""
    rows = session.execute(select(model.id, model.name, model.name_en, model.aliases)).all()
    found = best_match(name, ((r.id, [r.name, r.name_en, *r.aliases]) for r in rows))
    if found is None:
        return None
    return OrgMatch(session.get(model, found.key), found.name, found.score)


def create_organisation(session: Session, model: type[Organisation], *, name: str,
                        type_: str, region: Region) -> Organisation:
    """Create an institution (type_ = institution type) or an enterprise (type_ = tier)."""
    if model is Institution:
        org = Institution(name=name, type=type_, region=region, aliases=[])
    else:
        org = Enterprise(name=name, tier=type_, size="small", region=region, aliases=[])
    session.add(org)
    session.flush()
    return org
