"""For search engines: /robots.txt and /sitemap.xml (a sitemap index past SITEMAP_MAX_URLS).

Every URL is absolute on BASE_URL, the listings' with their canonical slug. The sitemap reads
only ids, titles and dates, in pages, so that it stays cheap at 100k listings.
"""
import math
from datetime import datetime
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort, current_app, url_for
from sqlalchemy import func, select

from matchmaker.chains.models import Chain
from matchmaker.domain import Side
from matchmaker.events.models import Event
from matchmaker.extensions import db
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.showcase import public
from matchmaker.showcase.views import DETAIL_ENDPOINTS, absolute, slugify

seo_bp = Blueprint("seo", __name__)

# Areas for signed-in users, or that only answer forms: nothing there for an index.
DISALLOWED = ("/auth/", "/account", "/admin/", "/deals/", "/notifications", "/calendar/",
              "/outputs/", "/needs/", "/matches", "/brokers/me", "/showcase/contact",
              "/showcase/contact-requests/")
XML = "application/xml; charset=utf-8"


@seo_bp.route("/robots.txt")
def robots():
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), "Allow: /",
             f"Sitemap: {absolute(url_for('seo.sitemap'))}", ""]
    return Response("\n".join(lines), content_type="text/plain; charset=utf-8")


def _static_urls() -> list[tuple[str, datetime | None]]:
    pages = ["showcase.home", "showcase.outputs", "showcase.needs", "showcase.challenges",
             "showcase.calendar", "brokers.index", "account.privacy_notice"]
    urls = [(url_for(endpoint), None) for endpoint in pages]
    keys = db.session.scalars(select(Chain.key).where(Chain.is_active).order_by(Chain.id))
    urls += [(url_for("showcase.chain", key=key), None) for key in keys]
    events = db.session.scalars(select(Event.id).where(Event.is_public, Event.status != "draft")
                                .order_by(Event.id))
    urls += [(url_for("events.detail", event_id=event_id), None) for event_id in events]
    return urls


def _sources():
    return ((Side.OUTPUT, ResearchOutput, public.VISIBLE_OUTPUT_STATUSES),
            (Side.NEED, TechNeed, public.VISIBLE_NEED_STATUSES))


def _listing_count() -> int:
    return sum(db.session.scalar(select(func.count()).select_from(model)
                                 .where(model.status.in_(statuses))) or 0
               for _side, model, statuses in _sources())


def _listing_urls(offset: int, limit: int) -> list[tuple[str, datetime | None]]:
    """Return the listing URLs from offset (outputs first, then needs, by id)."""
    urls: list[tuple[str, datetime | None]] = []
    for side, model, statuses in _sources():
        if limit <= 0:
            break
        count = db.session.scalar(select(func.count()).select_from(model)
                                  .where(model.status.in_(statuses))) or 0
        if offset >= count:
            offset -= count
            continue
        rows = db.session.execute(select(model.id, model.title, model.updated_at)
                                  .where(model.status.in_(statuses)).order_by(model.id)
                                  .offset(offset).limit(limit)).all()
        urls += [(url_for(DETAIL_ENDPOINTS[side], item_id=row.id, slug=slugify(row.title)),
                  row.updated_at) for row in rows]
        limit -= len(rows)
        offset = 0
    return urls


def _urlset(urls) -> Response:
    body = ['<?xml version="1.0" encoding="UTF-8"?>',
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for path, modified in urls:
        lastmod = f"<lastmod>{modified.date().isoformat()}</lastmod>" if modified else ""
        body.append(f"<url><loc>{escape(absolute(path))}</loc>{lastmod}</url>")
    body.append("</urlset>")
    return Response("\n".join(body), content_type=XML)


def _page_count(limit: int) -> int:
    return max(1, math.ceil((len(_static_urls()) + _listing_count()) / limit))


@seo_bp.route("/sitemap.xml")
def sitemap():
    limit = current_app.config["SITEMAP_MAX_URLS"]
    pages = _page_count(limit)
    if pages == 1:
        return _sitemap_page(1, limit)
    body = ['<?xml version="1.0" encoding="UTF-8"?>',
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    body += [f"<sitemap><loc>{escape(absolute(url_for('seo.sitemap_page', number=n)))}</loc>"
             "</sitemap>" for n in range(1, pages + 1)]
    body.append("</sitemapindex>")
    return Response("\n".join(body), content_type=XML)


@seo_bp.route("/sitemap-<int:number>.xml")
def sitemap_page(number: int):
    limit = current_app.config["SITEMAP_MAX_URLS"]
    if number > _page_count(limit):
        abort(404)
    return _sitemap_page(number, limit)


def _sitemap_page(number: int, limit: int) -> Response:
    static = _static_urls()
    start = (number - 1) * limit
    urls = static[start:start + limit]
    rest = limit - len(urls)
    urls += _listing_urls(max(0, start - len(static)), rest)
    return _urlset(urls)
