"""Configuration classes; every secret and location comes from the environment."""
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _sqlite_default() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'matchmaker.sqlite3'}"


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def _stage_days(value: str) -> dict[str, int]:
    """Parse "stage_key=days,stage_key=days" (ESCALATION_GRACE_BY_STAGE)."""
    pairs = (item.split("=", 1) for item in value.split(",") if "=" in item)
    return {key.strip(): int(days) for key, days in pairs if key.strip()}


def _index_path() -> Path | None:
    """MATCH_INDEX_PATH from the environment ("none" disables saving), else instance/."""
    value = os.environ.get("MATCH_INDEX_PATH")
    if value is None:
        return INSTANCE_DIR / "match-index.pickle"
    return None if value.lower() in ("", "none") else Path(value)


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or _sqlite_default()
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Sign-in sessions live on the server (auth/sessions.py). One without "keep me signed in"
    # ends after SESSION_IDLE_TIMEOUT without a request; a remembered one after
    # REMEMBER_COOKIE_DURATION, which is also the longest any session lives.
    SESSION_IDLE_TIMEOUT = timedelta(hours=12)
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    SESSION_TOUCH_INTERVAL = timedelta(minutes=5)  # how often last_seen_at is written
    # Redis: the job queue (RQ) and the rate limiter's counters, shared by every process.
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # rq (with REDIS_URL), thread (in-process fallback, the default without Redis) or sync.
    JOBS_MODE = os.environ.get("JOBS_MODE") or None
    # Extra modules that register tasks (comma-separated), e.g. a deployment's own jobs.
    JOB_MODULES = tuple(m for m in os.environ.get("MATCHMAKER_JOB_MODULES", "").split(",") if m)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or (
        os.environ.get("REDIS_URL") or "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    SIGNUP_RATE_LIMIT = os.environ.get("SIGNUP_RATE_LIMIT", "5 per hour;20 per day")
    PAGE_SIZE = 20
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto (0: none): the rate
    # limits then count the visitor's address, not the proxy's (werkzeug's ProxyFix).
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    # Shown in the privacy notice as the address for questions about personal information.
    PRIVACY_CONTACT = os.environ.get("PRIVACY_CONTACT", "")
    SEED_DIR = BASE_DIR / "seed_data"
    # Demo accounts created by `flask seed` share this password; it is demo data, not a secret.
    DEMO_PASSWORD = os.environ.get("MATCHMAKER_DEMO_PASSWORD", "demo-pass-2026")
    # The fitted matcher saved by `flask match rebuild` and loaded at start (None: never saved).
    MATCH_INDEX_PATH = _index_path()
    MATCH_WEIGHTS = None  # None keeps the engine's defaults (matchmaker/matching/config.py)
    MATCH_MIN_SCORE = 0.05
    MATCH_LIMIT = 10
    # Match quality (the calibrated probability that a broker finds a candidate usable,
    # matching/calibration.py) below which listing pages and the API leave a candidate out
    # unless weaker ones are asked for. 0.3: on the development judgments about two of three
    # candidates shown are usable and 58 % of the usable ones are shown (bench/README.md,
    # "Match quality").
    MATCH_FLOOR = float(os.environ.get("MATCH_FLOOR", "0.3"))
    # The absolute address of the site, for links in e-mails and the calendar feed (never
    # taken from a request's Host header).
    BASE_URL = os.environ.get("BASE_URL", "http://localhost:5000")
    # E-mail (SMTP). Without MAIL_SERVER e-mail is off and only the in-app notifications
    # work; the log says so.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _flag("MAIL_USE_TLS")  # STARTTLS (port 587)
    MAIL_USE_SSL = _flag("MAIL_USE_SSL")  # TLS from the start (port 465)
    MAIL_FROM = os.environ.get("MAIL_FROM", "")
    # WeCom (企业微信) group robots: a person's notifications may also be posted to their
    # team's group. The address is this prefix plus the robot's key (users only give the key);
    # empty turns the channel off.
    WECOM_WEBHOOK_URL = os.environ.get("WECOM_WEBHOOK_URL",
                                       "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=")
    WECOM_TIMEOUT = _int("WECOM_TIMEOUT", 5)  # seconds per post
    # Reminders and escalations (notifications/rules.py): a next step overdue longer than
    # ESCALATION_GRACE_DAYS goes to the operators, ESCALATION_SECOND_LEVEL_DAYS later to the
    # leads (ESCALATION_LEADS: comma-separated operator e-mails; every operator when empty).
    ESCALATION_GRACE_DAYS = _int("ESCALATION_GRACE_DAYS", 3)
    ESCALATION_GRACE_BY_STAGE = _stage_days(os.environ.get("ESCALATION_GRACE_BY_STAGE", ""))
    ESCALATION_SECOND_LEVEL_DAYS = _int("ESCALATION_SECOND_LEVEL_DAYS", 4)
    ESCALATION_LEADS = tuple(e.strip().lower() for e in
                             os.environ.get("ESCALATION_LEADS", "").split(",") if e.strip())
    NDA_EXPIRY_WARNING_DAYS = _int("NDA_EXPIRY_WARNING_DAYS", 14)
    # The weekly digest of new matches (notifications/digest.py) lists only good matches:
    # those at or above MATCH_FLOOR, the matches the listings' pages list (it has no threshold
    # of its own; DIGEST_MIN_SCORE, a raw-score threshold, is gone).
    # The dashboard's gaps: needs whose best candidate's match quality is below this (0–1).
    # Unset: MATCH_FLOOR, "no good match" as the pages mean it.
    DASHBOARD_GAP_QUALITY = (_float("DASHBOARD_GAP_QUALITY", 0.0)
                             if os.environ.get("DASHBOARD_GAP_QUALITY", "").strip() else None)
    # E-mailed links: a password reset works for an hour and once; a verification link a week.
    PASSWORD_RESET_MAX_AGE = timedelta(hours=1)
    EMAIL_VERIFY_MAX_AGE = timedelta(days=7)
    # The forgotten-password form: per visitor address, and per e-mail address asked for.
    PASSWORD_RESET_RATE_LIMIT = os.environ.get("PASSWORD_RESET_RATE_LIMIT",
                                               "5 per hour;20 per day")
    PASSWORD_RESET_PER_ADDRESS_LIMIT = os.environ.get("PASSWORD_RESET_PER_ADDRESS_LIMIT",
                                                      "3 per hour")
    # Uploaded files (media/): attachments on listings and the images of stories. They live
    # on disk under UPLOAD_DIR (never served as static files); one file at most
    # UPLOAD_MAX_BYTES, an image at most UPLOAD_MAX_PIXELS (width x height, against
    # decompression bombs). A request body beyond MAX_CONTENT_LENGTH is refused before it is
    # read (the form's own fields need a little room beside the file).
    UPLOAD_DIR = Path(os.environ.get("UPLOAD_DIR") or INSTANCE_DIR / "uploads")
    UPLOAD_MAX_BYTES = _int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
    UPLOAD_MAX_PIXELS = _int("UPLOAD_MAX_PIXELS", 40_000_000)
    MAX_CONTENT_LENGTH = UPLOAD_MAX_BYTES + 1024 * 1024
    # Bulk import (matchmaker/imports; README "Bulk import"): the largest file and row count
    # accepted, and how close (rapidfuzz ratio of the folded titles, 0-100) a row's title must
    # be to a record of the same organisation to be flagged as a likely duplicate.
    IMPORT_MAX_BYTES = _int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
    IMPORT_MAX_ROWS = _int("IMPORT_MAX_ROWS", 20_000)
    IMPORT_DUPLICATE_MIN_SCORE = _int("IMPORT_DUPLICATE_MIN_SCORE", 80)
    # Days an import's file, dry-run report and result are kept (imports.erase_old_batches):
    # the file holds people's names (inventors, contacts) and is only needed while it is
    # checked and written; what was written keeps its own history.
    IMPORT_RETENTION_DAYS = _int("IMPORT_RETENTION_DAYS", 90)
    # The public showcase: contact requests per client address; the fewest signed contracts
    # whose total value the home page shows (fewer could reveal one contract's amount); URLs
    # per sitemap file (the protocol's maximum; past it /sitemap.xml becomes an index).
    CONTACT_RATE_LIMIT = os.environ.get("CONTACT_RATE_LIMIT", "5 per hour;20 per day")
    # A handled contact request (a visitor's name, contact details and message) is erased
    # this many days after its broker handled it; open ones stay until handled.
    CONTACT_REQUEST_RETENTION_DAYS = _int("CONTACT_REQUEST_RETENTION_DAYS", 365)
    SHOWCASE_VALUE_MIN_CONTRACTS = _int("SHOWCASE_VALUE_MIN_CONTRACTS", 3)
    SITEMAP_MAX_URLS = _int("SITEMAP_MAX_URLS", 50_000)
    # The REST API (matchmaker/api): requests per personal token (per address without one),
    # and the longest a token may be valid.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120 per minute;3000 per hour")
    API_TOKEN_MAX_DAYS = _int("API_TOKEN_MAX_DAYS", 365)


class DevConfig(Config):
    """Local development on the embedded SQLite database."""

    DEBUG = True
    # A fixed development key keeps sessions across restarts; production refuses to start without one.
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")


class TestConfig(Config):
    """The test suite: TEST_DATABASE_URL selects the database, in-memory SQLite otherwise."""

    TESTING = True
    SECRET_KEY = "test-only-not-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"
    REDIS_URL = None
    JOBS_MODE = "sync"  # queued jobs run at the end of each request, in the test's transaction
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing keeps the suite quick
    MATCH_INDEX_PATH = None  # tests never read or write instance/
    # Tests of other features make matches with whatever scores they need; the floor's own
    # tests (tests/recommendations/test_quality.py) set it.
    MATCH_FLOOR = 0.0
    MAIL_SERVER = None  # e-mail tests point it at their own local SMTP server
    WECOM_WEBHOOK_URL = ""  # WeCom tests point it at their own local HTTP server
    BASE_URL = "http://matchmaker.test"
    UPLOAD_DIR = Path(tempfile.gettempdir()) / "matchmaker-test-uploads"  # never instance/


class ProdConfig(Config):
    """Production: PostgreSQL through DATABASE_URL, SECRET_KEY required, HTTPS only: secure
    cookies (with the __Host- prefix: this host, path /, never sent over plain HTTP) and HSTS
    (security.py sends it whenever SESSION_COOKIE_SECURE is on)."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_NAME = "__Host-remember_token"
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {"development": DevConfig, "testing": TestConfig, "production": ProdConfig}


def get_config(name: str | None = None) -> type[Config]:
    """Return the config class named by name or by MATCHMAKER_ENV (default development)."""
    return CONFIGS[name or os.environ.get("MATCHMAKER_ENV", "development")]
