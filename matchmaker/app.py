"""matchmaker: a technology-transfer matchmaking platform."""
from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_login import current_user

from config import INSTANCE_DIR, get_config
from matchmaker import jobs
from matchmaker.extensions import babel, csrf, db, limiter, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: str | type | None = None) -> Flask:
    """Create the Flask application; config is a config class or a name from config.CONFIGS."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    app.config.from_object(config if isinstance(config, type) else get_config(config))
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in the environment for this configuration.")
    INSTANCE_DIR.mkdir(exist_ok=True)

    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    _init_extensions(app)
    from matchmaker import cli, errors, security, templating

    # Before the page-number check: a NUL byte anywhere in the query is a 400, whichever
    # parameter carries it (before_request functions run in the order they are registered).
    security.register(app)
    _register_converters(app)
    _register_blueprints(app)

    errors.register(app)
    templating.register(app)
    cli.register(app)
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    jobs.init_app(app)

    import matchmaker.models  # noqa: F401  (the whole schema, for Alembic)
    from matchmaker import personal_data
    from matchmaker.auth import login as auth_login
    from matchmaker.imports import jobs as import_jobs  # noqa: F401  (its tasks)
    from matchmaker.notifications import jobs as notification_jobs  # noqa: F401  (its tasks)
    from matchmaker.notifications import subscribers as notification_subscribers  # noqa: F401
    from matchmaker.pipeline import contacts as pipeline_contacts
    from matchmaker.pipeline import jobs as pipeline_jobs  # noqa: F401  (its tasks)
    from matchmaker.pipeline import subscribers  # noqa: F401  (deal history, listing notes)
    from matchmaker.showcase import jobs as showcase_jobs  # noqa: F401  (its tasks)

    auth_login.init_app(app)
    personal_data.register()
    pipeline_contacts.register()  # who sees a broker's contact details


def _register_converters(app: Flask) -> None:
    """Bound ids in URLs and page numbers to what the database can hold (before any route)."""
    from matchmaker import routing

    routing.register(app)


def _register_blueprints(app: Flask) -> None:
    from matchmaker.admin.views import bp as admin_bp
    from matchmaker.auth import recovery  # noqa: F401  (e-mailed links' routes on auth's bp)
    from matchmaker.auth.account import bp as account_bp
    from matchmaker.auth.brokers import bp as brokers_bp
    from matchmaker.auth.views import bp as auth_bp
    from matchmaker.dashboard.views import bp as dashboard_bp
    from matchmaker.events import request_views, schedule_views  # noqa: F401  (routes on events.bp)
    from matchmaker.events.views import bp as events_bp
    from matchmaker.main.views import bp as main_bp
    from matchmaker.media import views as media_views
    from matchmaker.notifications import views as notification_views
    from matchmaker.orgs.views import bp as orgs_bp
    from matchmaker.pipeline import (
        deal_views,  # noqa: F401  (the deal page's routes on bp)
        overview_views,  # noqa: F401  (the overview's routes on bp)
        stage_views,  # noqa: F401  (the stages page's routes on bp)
    )
    from matchmaker.pipeline import views as pipeline_views
    from matchmaker.profiles import views as profiles_views
    from matchmaker.profiles.views import needs_bp, outputs_bp
    from matchmaker.recommendations import services as recommendations
    from matchmaker.recommendations import views as recommendations_views
    from matchmaker.recommendations.views import bp as recommendations_bp

    for bp in (main_bp, auth_bp, account_bp, brokers_bp, admin_bp, orgs_bp, outputs_bp,
               needs_bp, recommendations_bp, pipeline_views.bp, events_bp, dashboard_bp):
        app.register_blueprint(bp)
    from matchmaker.rankings.views import bp as rankings_bp
    app.register_blueprint(rankings_bp)
    from matchmaker.exports.views import bp as exports_bp
    app.register_blueprint(exports_bp)
    recommendations.init_app(app)
    # Higher features add their blocks to lower features' pages (matchmaker.blocks).
    profiles_views.register_blocks(app)
    recommendations_views.register_blocks(app)
    pipeline_views.register_blocks(app)
    notification_views.register(app)
    media_views.register(app)  # attachments, stories and the views that serve their files
    from matchmaker.showcase import wiring as showcase

    showcase.register(app)  # the public showcase, /sitemap.xml, /robots.txt, its blocks
    from matchmaker import api

    api.register(app)  # the REST API (/api/v1), its OpenAPI document, the API tokens page
    from matchmaker.imports import views as import_views

    import_views.register(app)  # bulk import: templates, upload, dry run, confirm


def select_locale() -> str:
    """Pick the UI language: explicit choice in the session, the user's setting, else zh."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/"):  # the API speaks the client's Accept-Language
        return request.accept_languages.best_match(languages) or \
            current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]
