"""Who may see and change what: one module for every kind of object, anonymous visitors included.

Views, templates (the `can` global), services, the coming API and the tests all ask here.
The rules read plain attributes only (a viewer's role, organisation and id; an object's owner
ids and status), so this module imports nothing above `domain`: every model names its kind in
a class attribute `permission_kind` ("output", "need", "deal", …). Services that list objects
write the same rule as a SQL condition; their tests compare the two.

A viewer is a User, flask-login's anonymous user, or None (a job, a script: no one).

Some rules need a fact only a higher feature knows ("does this viewer work with that broker on
a deal?"). That feature registers a check for it at start-up (register_relation); until one
is registered the fact is false, so a rule that depends on it refuses.
"""
from collections.abc import Callable
from enum import StrEnum

from werkzeug.local import LocalProxy

from matchmaker.domain import PUBLIC_NEED_STATUSES, PUBLIC_OUTPUT_STATUSES, Role
from matchmaker.errors import NotFoundError, PermissionDeniedError


class Action(StrEnum):
    VIEW = "view"            # open the object's page
    EDIT = "edit"            # change its fields or status
    COMMENT = "comment"      # add a comment (deals)
    SEE_MATCHES = "see_matches"  # see what the matcher recommends for a listing
    JUDGE = "judge"          # give feedback on a listing's matches (relevant / not)
    # be told which of a listing's matches are new (its own organisation's members: what a
    # broker or operator is shown does not clear the owner's "new")
    FOLLOW_MATCHES = "follow_matches"
    ASK_INTRODUCTION = "ask_introduction"  # ask a broker to introduce the other side of a match
    DECIDE = "decide"        # accept or decline a request (introduction, join, meeting)
    CONTACT = "contact"      # read a broker's contact details (phone, e-mail, WeChat, hours)
    REASSIGN = "reassign"    # give a deal to another owning broker
    REGISTER = "register"    # register one's organisation for an event


class _System:
    """The platform itself acting (the seed loader, the importer): an operator's rights.

    Only trusted code passes SYSTEM as a viewer or editor; a request's viewer never is.
    Listings it creates have no `created_by`.
    """

    is_authenticated = True
    is_active = True
    role = Role.ADMIN
    id = None
    institution_id = None
    enterprise_id = None

    def __repr__(self) -> str:
        return "permissions.SYSTEM"


SYSTEM = _System()


# --- facts from higher features ------------------------------------------------------------

Relation = Callable[[object, object], bool]
_relations: dict[str, Relation] = {}

# A viewer has a deal (as a party or as one of its brokers) or an introduction request with the
# broker whose profile is given: registered by the pipeline (pipeline/contacts.py).
WORKS_WITH_BROKER = "works_with_broker"
# A viewer is a broker working on a deal of the given listing: registered by media.
WORKS_ON_LISTING_DEAL = "works_on_listing_deal"
# A viewer belongs to the counterpart organisation of a deal on the given listing whose NDA is
# signed and in force: registered by media.
NDA_COUNTERPART_OF_LISTING = "nda_counterpart_of_listing"


def register_relation(name: str, check: Relation) -> None:
    """Let a higher feature answer check(viewer, obj) for the relation name."""
    _relations[name] = check


def related(name: str, viewer, obj) -> bool:
    """Return whether the registered check of name holds (False if none is registered)."""
    check = _relations.get(name)
    return check is not None and bool(check(viewer, obj))


def _unproxied(viewer):
    """Return the user behind current_user: through the proxy each attribute read looks the
    user up in the request again, and one check reads several (a page runs hundreds)."""
    return viewer._get_current_object() if type(viewer) is LocalProxy else viewer


def role_of(viewer) -> Role | None:
    """Return the role of a signed-in, active viewer; None for anonymous or inactive ones."""
    viewer = _unproxied(viewer)
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return None
    if not getattr(viewer, "is_active", False):
        return None
    return Role(viewer.role)


def is_admin(viewer) -> bool:
    """Return whether viewer is an active operator."""
    return role_of(viewer) == Role.ADMIN


def is_broker(viewer) -> bool:
    """Return whether viewer is an active broker."""
    return role_of(viewer) == Role.BROKER


def is_staff(viewer) -> bool:
    """Return whether viewer works the pipeline: a broker or an operator."""
    return role_of(viewer) in (Role.BROKER, Role.ADMIN)


def member_of_institution(viewer, institution_id: int | None) -> bool:
    """Return whether viewer is an active user of that institution."""
    return (institution_id is not None and role_of(viewer) == Role.INSTITUTION
            and viewer.institution_id == institution_id)


def member_of_enterprise(viewer, enterprise_id: int | None) -> bool:
    """Return whether viewer is an active user of that enterprise."""
    return (enterprise_id is not None and role_of(viewer) == Role.ENTERPRISE
            and viewer.enterprise_id == enterprise_id)


# --- listings ------------------------------------------------------------------------------

def _output(viewer, action: Action, output) -> bool:
    owner = is_admin(viewer) or member_of_institution(viewer, output.institution_id)
    if action == Action.VIEW:
        # Listing pages are for signed-in users; the public showcase has its own pages.
        return owner or (role_of(viewer) is not None
                         and output.status in PUBLIC_OUTPUT_STATUSES)
    if action == Action.SEE_MATCHES:
        return is_staff(viewer) or member_of_institution(viewer, output.institution_id)
    if action == Action.JUDGE:
        # A verdict is given on a (need, output) pair and checked against the need; from the
        # output's side only brokers judge (institutions see what enterprises said).
        return is_broker(viewer)
    if action in (Action.ASK_INTRODUCTION, Action.FOLLOW_MATCHES):
        return member_of_institution(viewer, output.institution_id)
    return action == Action.EDIT and owner


def _need(viewer, action: Action, need) -> bool:
    owner = is_admin(viewer) or member_of_enterprise(viewer, need.enterprise_id)
    if action == Action.VIEW:
        return owner or (role_of(viewer) is not None and need.status in PUBLIC_NEED_STATUSES)
    if action == Action.SEE_MATCHES:
        return is_staff(viewer) or member_of_enterprise(viewer, need.enterprise_id)
    if action == Action.JUDGE:
        return is_broker(viewer) or member_of_enterprise(viewer, need.enterprise_id)
    if action in (Action.ASK_INTRODUCTION, Action.FOLLOW_MATCHES):
        return member_of_enterprise(viewer, need.enterprise_id)
    return action == Action.EDIT and owner


# --- parties -------------------------------------------------------------------------------

def _institution(viewer, action: Action, institution) -> bool:
    if action == Action.VIEW:
        return True  # organisation pages are public
    return action == Action.EDIT and (is_admin(viewer)
                                      or member_of_institution(viewer, institution.id))


def _enterprise(viewer, action: Action, enterprise) -> bool:
    if action == Action.VIEW:
        return True
    return action == Action.EDIT and (is_admin(viewer)
                                      or member_of_enterprise(viewer, enterprise.id))


def _broker(viewer, action: Action, broker) -> bool:
    """A broker's profile is public; their contact details are not: operators, the broker
    and the people who work with them (a deal involving the viewer's organisation or worked
    on by the viewer, open or lost, or an introduction request the viewer made to them)."""
    if action == Action.VIEW:
        return True  # the broker directory is public
    oneself = is_broker(viewer) and viewer.id == broker.user_id
    if action == Action.CONTACT:
        return is_admin(viewer) or oneself or (
            role_of(viewer) is not None and related(WORKS_WITH_BROKER, viewer, broker))
    return action == Action.EDIT and (is_admin(viewer) or oneself)


def _join_request(viewer, action: Action, request) -> bool:
    """A sign-up's request to join an organisation: operators and the organisation's active
    members decide it, never its author."""
    signed_in = role_of(viewer) is not None
    decides = signed_in and viewer.id != request.user_id and (
        is_admin(viewer) or member_of_institution(viewer, request.institution_id)
        or member_of_enterprise(viewer, request.enterprise_id))
    if action == Action.VIEW:
        return decides or (signed_in and viewer.id == request.user_id)
    return action == Action.DECIDE and decides


def _chain(viewer, action: Action, chain) -> bool:
    if action == Action.VIEW:
        return bool(chain.is_active) or is_admin(viewer)
    return action == Action.EDIT and is_admin(viewer)


def _job(viewer, action: Action, job) -> bool:
    return action in (Action.VIEW, Action.EDIT) and is_admin(viewer)


# --- the pipeline --------------------------------------------------------------------------

def works_on_deal(viewer, deal) -> bool:
    """Return whether viewer is the deal's owning broker or one of its co-brokers."""
    return is_broker(viewer) and (viewer.id == deal.owner_id
                                  or viewer.id in deal.co_broker_ids)


def party_to_deal(viewer, deal) -> bool:
    """Return whether viewer belongs to the institution or enterprise a deal involves."""
    return (member_of_institution(viewer, deal.institution_id)
            or member_of_enterprise(viewer, deal.enterprise_id))


def _deal(viewer, action: Action, deal) -> bool:
    manages = is_admin(viewer) or works_on_deal(viewer, deal)
    if action in (Action.VIEW, Action.COMMENT):
        return manages or party_to_deal(viewer, deal)
    if action == Action.REASSIGN:
        return is_admin(viewer)  # not even the owner: the operators balance the loads
    return action == Action.EDIT and manages


def _introduction(viewer, action: Action, request) -> bool:
    """An introduction request: its author's side sees it; the broker it went to decides."""
    decides = is_admin(viewer) or (is_broker(viewer) and viewer.id == request.broker_id)
    if action == Action.VIEW:
        return decides or (role_of(viewer) is not None
                           and viewer.id == request.requested_by_id)
    return action == Action.DECIDE and decides


# --- matchmaking events ------------------------------------------------------------------------

def organises(viewer, obj) -> bool:
    """Return whether viewer organises the event obj belongs to (its broker, or an operator)."""
    return is_admin(viewer) or (is_broker(viewer) and viewer.id == obj.organiser_id)


def _event(viewer, action: Action, event) -> bool:
    """Drafts only for their organiser; an open event for the signed-in (public ones for all).
    Institutions and enterprises register while it is open or scheduled."""
    if action == Action.VIEW:
        return organises(viewer, event) or (event.status != "draft" and (
            bool(event.is_public) or role_of(viewer) is not None))
    if action == Action.REGISTER:
        return event.status in ("open", "scheduled") and role_of(viewer) in (
            Role.INSTITUTION, Role.ENTERPRISE)
    return action == Action.EDIT and organises(viewer, event)


def _event_participant(viewer, action: Action, participant) -> bool:
    """A participant: its organiser and its own members (who mark their blocked slots)."""
    own = (member_of_institution(viewer, participant.institution_id)
           or member_of_enterprise(viewer, participant.enterprise_id))
    return action in (Action.VIEW, Action.EDIT) and (organises(viewer, participant) or own)


def _event_meeting(viewer, action: Action, meeting) -> bool:
    """A meeting, its notes and outcome: the organiser and the two organisations meeting."""
    own = (member_of_institution(viewer, meeting.institution_id)
           or member_of_enterprise(viewer, meeting.enterprise_id))
    return action in (Action.VIEW, Action.EDIT) and (organises(viewer, meeting) or own)


def _event_meeting_request(viewer, action: Action, req) -> bool:
    """A meeting request: the organiser and both organisations see it; the asking side
    withdraws it (EDIT), the asked side accepts or declines it (DECIDE)."""
    def member(participant) -> bool:
        return (member_of_institution(viewer, participant.institution_id)
                or member_of_enterprise(viewer, participant.enterprise_id))

    asks, asked = member(req.requester), member(req.recipient)
    if action == Action.VIEW:
        return organises(viewer, req) or asks or asked
    if action == Action.EDIT:
        return asks
    return action == Action.DECIDE and asked


# --- the public showcase --------------------------------------------------------------------

def _contact_request(viewer, action: Action, request) -> bool:
    """A visitor's contact request: the broker it was routed to and operators read and
    handle it; nobody else, the visitor included (they have no account)."""
    return action in (Action.VIEW, Action.EDIT) and (
        is_admin(viewer) or (role_of(viewer) is not None and viewer.id == request.broker_id))


# --- notifications -------------------------------------------------------------------------

def _notification(viewer, action: Action, notification) -> bool:
    """A notification is its recipient's alone: nobody else reads or marks it, operators
    included."""
    return (action in (Action.VIEW, Action.EDIT) and role_of(viewer) is not None
            and viewer.id == notification.recipient_id)


# --- the operator's dashboard -----------------------------------------------------------------

def _dashboard(viewer, action: Action, page) -> bool:
    """The dashboard's pages (dashboard.views names them: "dashboard", "gaps", "report").
    Operators see all; brokers read the dashboard and the gaps (what to mine next), not the
    monthly report for the operators' superiors; everyone else is refused."""
    if action != Action.VIEW:
        return False
    return is_admin(viewer) or (is_broker(viewer) and page.name in ("dashboard", "gaps"))


def _year_target(viewer, action: Action, target) -> bool:
    """Yearly targets: brokers read them on the dashboard; operators alone set them."""
    if action == Action.VIEW:
        return is_staff(viewer)
    return action == Action.EDIT and is_admin(viewer)


# --- media: attachments and stories ----------------------------------------------------------

def _attachment(viewer, action: Action, attachment) -> bool:
    """A file on a listing: the owning organisation and operators always; a public one
    anyone (signed in or not) while the listing is public; an after-NDA one also the brokers
    of the listing's deals and a deal's counterpart whose NDA is in force; a private one
    nobody else. The owning organisation and operators add and delete them."""
    listing = attachment.listing
    owner = is_admin(viewer) or member_of_institution(
        viewer, getattr(listing, "institution_id", None)) or member_of_enterprise(
        viewer, getattr(listing, "enterprise_id", None))
    if action == Action.EDIT:
        return owner
    if action != Action.VIEW:
        return False
    if owner:
        return True
    if attachment.visibility == "public":
        return listing.status in (PUBLIC_OUTPUT_STATUSES if listing.permission_kind == "output"
                                  else PUBLIC_NEED_STATUSES)
    if attachment.visibility == "after_nda":
        return role_of(viewer) is not None and (
            related(WORKS_ON_LISTING_DEAL, viewer, listing)
            or related(NDA_COUNTERPART_OF_LISTING, viewer, listing))
    return False


def _story(viewer, action: Action, story) -> bool:
    """A story or exhibit: public once published; its broker and operators write it."""
    writes = is_admin(viewer) or (is_broker(viewer) and viewer.id == story.author_id)
    if action == Action.VIEW:
        return writes or story.status == "published"
    return action == Action.EDIT and writes


# --- bulk import ------------------------------------------------------------------------------

def may_import(viewer, kind: str) -> bool:
    """Return whether viewer may import listings of kind ("outputs" / "needs") from a file:
    operators for any organisation, members for their own (institutions their outputs,
    enterprises their needs). Brokers do not: they own no listings, and the services refuse
    to create one for them; an operator imports a broker's spreadsheet."""
    role = role_of(viewer)
    if kind == "outputs":
        return role in (Role.INSTITUTION, Role.ADMIN)
    if kind == "needs":
        return role in (Role.ENTERPRISE, Role.ADMIN)
    return False


def _import_batch(viewer, action: Action, batch) -> bool:
    """An uploaded import file, its dry run and result: the person who uploaded it, while
    they may still import that kind, and operators."""
    if is_admin(viewer):
        return action in (Action.VIEW, Action.EDIT)
    return (action in (Action.VIEW, Action.EDIT) and role_of(viewer) is not None
            and viewer.id == batch.created_by_id and may_import(viewer, batch.kind))


_RULES = {
    "output": _output,
    "need": _need,
    "institution": _institution,
    "enterprise": _enterprise,
    "broker": _broker,
    "join_request": _join_request,
    "chain": _chain,
    "job": _job,
    "deal": _deal,
    "introduction": _introduction,
    "event": _event,
    "event_participant": _event_participant,
    "event_meeting": _event_meeting,
    "event_meeting_request": _event_meeting_request,
    "notification": _notification,
    "dashboard": _dashboard,
    "year_target": _year_target,
    "attachment": _attachment,
    "story": _story,
    "contact_request": _contact_request,
    "import_batch": _import_batch,
}


def can(viewer, action: str, obj) -> bool:
    """Return whether viewer may do action on obj (an object with a `permission_kind`)."""
    rule = _RULES[obj.permission_kind]
    return rule(_unproxied(viewer), Action(action), obj)


def require(viewer, action: str, obj) -> None:
    """Raise unless viewer may do action on obj.

    What the viewer may not even see raises NotFoundError (its existence is not revealed);
    what they see but may not change raises PermissionDeniedError.
    """
    if can(viewer, action, obj):
        return
    if action != Action.VIEW and can(viewer, Action.VIEW, obj):
        raise PermissionDeniedError(getattr(obj, "id", None))
    raise NotFoundError(getattr(obj, "id", None))


def may_create(viewer, kind: str) -> bool:
    """Return whether viewer may create a new object of kind ("output", "need", "deal")."""
    role = role_of(viewer)
    if kind == "output":
        return role in (Role.INSTITUTION, Role.ADMIN)
    if kind == "need":
        return role in (Role.ENTERPRISE, Role.ADMIN)
    if kind in ("deal", "event", "story"):
        return role in (Role.BROKER, Role.ADMIN)
    return role == Role.ADMIN
