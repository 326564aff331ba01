"""Wire the showcase into the app: its blueprints and its blocks on other features' pages
(create_app calls register)."""
from flask import Flask

from matchmaker import permissions
from matchmaker.blocks import register_block
from matchmaker.extensions import db
from matchmaker.showcase import bp, contact
from matchmaker.showcase import views as _views  # noqa: F401  (the routes on bp)
from matchmaker.showcase.seo import seo_bp


def today_block(viewer) -> dict | None:
    """The open contact requests routed to viewer, for their today page."""
    if not permissions.is_staff(viewer):
        return None
    requests, total = contact.list_open_requests(db.session, viewer)
    return {"contact_requests": requests, "contact_total": total,
            "contact_limit": contact.TODAY_LIMIT}


def register(app: Flask) -> None:
    """Add the showcase's pages, its sitemap and robots.txt, and its today-page block."""
    app.register_blueprint(bp)
    app.register_blueprint(seo_bp)
    register_block(app, "showcase-contact-requests", "broker-today",
                   "showcase/_today_requests.html", today_block)


