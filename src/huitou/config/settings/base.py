"""Settings shared by every environment; everything that differs comes from the environment."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Every environment variable is read through these (strict: a value they do not understand
# stops the start), and every one is in the README's configuration table.
from .env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_str,
    env_time_range,
    env_time_zone,
    env_url,
    rate_pair,
)

PACKAGE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(env_str("HUITOU_VAR_DIR", str(Path.cwd() / "var"))).resolve()

DEFAULT_SECRET_KEY = "insecure-huitou-development-key-change-me"

SECRET_KEY = env_str("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
    "channels",  # WebSockets over ASGI: live chat and live staff screens (huitou.chat)
    "ninja",  # serves the API docs' Swagger UI from our own static files, not a CDN
    "huitou.core",
    "huitou.sms",
    "huitou.accounts",
    "huitou.customers",
    "huitou.tickets",
    "huitou.complaints",
    "huitou.sla",
    "huitou.knowledge",
    "huitou.mail",
    "huitou.notify",
    "huitou.portal",
    "huitou.chat",
    "huitou.wechat",
    "huitou.surveys",
    "huitou.quality",
    "huitou.demo",  # `huitou demo`; above every other app, nothing imports it
    "axes",  # failed-login lockouts, audited in the admin (访问尝试 / 访问失败)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "huitou.config.api.ApiErrorMiddleware",  # every error under /api/ is JSON
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "huitou.accounts.middleware.StaffSessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a lockout flagged during the request into the lockout page / 429 JSON.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "huitou.config.urls"
WSGI_APPLICATION = "huitou.config.wsgi.application"

# A request body beyond this is refused (413 under /api/). JSON and form posts are small: the
# longest text field is 20,000 characters. Uploaded files (customer imports) do not count.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("HUITOU_MAX_REQUEST_BYTES", 1024 * 1024, minimum=1)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "huitou.web.context_processors.navigation",
            ],
        },
    }
]


def database_from_url(url: str) -> dict:
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of
        # failing with "database is locked" half-way through a transaction.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'huitou.sqlite3'}")
try:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
except ValueError as error:  # the message, not the URL: that may hold a password
    raise ImproperlyConfigured(f"DATABASE_URL is not a database address: {error}") from None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "tickets:inbox"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 10, minimum=1)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "huitou.accounts.passwords.VarietyValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out client before the password
    "django.contrib.auth.backends.ModelBackend",
]

# Behind a reverse proxy: how many proxies in front of the app append to X-Forwarded-For.
# 0 (the default) trusts no forwarded header: the client is REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Lockouts after failed sign-ins (django-axes). A username is locked only for the address
# it failed from, so a stranger cannot lock a colleague out of the office; an address that
# fails for many usernames is locked for all of them; bearer-token guesses count per address.
HUITOU_LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
HUITOU_IP_FAILURE_LIMIT = env_int("LOGIN_IP_FAILURE_LIMIT", 20, minimum=1)
HUITOU_API_TOKEN_FAILURE_LIMIT = env_int("API_TOKEN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = "huitou.accounts.lockout.failure_limit"
AXES_HANDLER = "huitou.accounts.lockout.LockoutHandler"
AXES_USERNAME_CALLABLE = "huitou.accounts.lockout.attempted_username"
AXES_CLIENT_IP_CALLABLE = "huitou.accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "huitou.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
# A locked-out client's further attempts do not extend the lock (Retry-After stays true).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False

# Staff sessions: signed out after this long idle, and at the latest this long after sign-in.
STAFF_IDLE_TIMEOUT_MINUTES = env_int("STAFF_IDLE_TIMEOUT_MINUTES", 30, minimum=1)
STAFF_SESSION_MAX_HOURS = env_int("STAFF_SESSION_MAX_HOURS", 10, minimum=1)

# Content-Security-Policy (django-csp), in every environment so tests see what production
# sends: scripts and styles only from our own origin, no inline code, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}


def language_code(raw: str) -> str:
    """LANGUAGE as desktops set it ("zh_CN:zh", "en_US:en") or as Django names it. Lenient
    on purpose: the desktop sets it for every program, so a German one must still start."""
    first = (raw or "").split(":")[0].strip().lower().replace("_", "-")
    return "en" if first.startswith("en") else "zh-hans"


LANGUAGE_CODE = language_code(env_str("LANGUAGE", "zh-hans"))
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_time_zone("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# Uploaded and received files (attachments); served only through permission-checked views.
MEDIA_ROOT = VAR_DIR / "media"
# The largest attachment kept (bytes): a bigger upload is refused, a bigger e-mail attachment
# becomes a note on its message instead (tickets.attachments.build_attachment).
HUITOU_ATTACHMENT_MAX_BYTES = env_int("HUITOU_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1)

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Our CSS plus vendor/ (npm packages copied in by `make assets`).
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "huitou@localhost")
# The SMTP server, for EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend.
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)  # seconds; never wait for ever
# The outbox (core.OutboxMessage): how long a worker holds a message it is sending before
# another may take it over (longer than EMAIL_TIMEOUT), and how often a failing message is
# tried (back-off 1, 2, 4 … 60 minutes) before it is marked failed for an admin to see.
HUITOU_OUTBOX_LEASE_SECONDS = env_int("HUITOU_OUTBOX_LEASE_SECONDS", 120, minimum=1)
HUITOU_OUTBOX_MAX_ATTEMPTS = env_int("HUITOU_OUTBOX_MAX_ATTEMPTS", 10, minimum=1)
# An import job whose worker has not touched it for this long was interrupted: it is run
# again (once) or failed with a message saying so.
HUITOU_IMPORT_STALE_SECONDS = env_int("HUITOU_IMPORT_STALE_SECONDS", 300, minimum=1)
# Incoming e-mail: at most this many mails from one sender within the window become tickets
# or messages; the rest are stored as throttled (a flood, a runaway script or a loop).
HUITOU_MAIL_FLOOD_LIMIT = env_int("HUITOU_MAIL_FLOOD_LIMIT", 20, minimum=1)
HUITOU_MAIL_FLOOD_WINDOW_SECONDS = env_int("HUITOU_MAIL_FLOOD_WINDOW_SECONDS", 3600, minimum=1)
# Progress notifications (notify) by text message through SMS_BACKEND: off until a real
# gateway is set up (a text costs money); e-mail notifications need no switch.
HUITOU_NOTIFY_SMS = env_bool("HUITOU_NOTIFY_SMS", False)
# Text messages (huitou.sms): console, locmem (tests), the JSON-over-HTTP gateway
# (HttpBackend, which posts to SMS_HTTP_URL with SMS_HTTP_API_KEY), or Aliyun / Tencent
# Cloud SMS through their SDKs (AliyunBackend, TencentBackend: approved templates only).
SMS_BACKEND = env_str("SMS_BACKEND", "huitou.sms.backends.ConsoleBackend")
SMS_HTTP_URL = env_str("SMS_HTTP_URL", "")
SMS_HTTP_API_KEY = env_str("SMS_HTTP_API_KEY", "")
SMS_HTTP_TIMEOUT = env_float("SMS_HTTP_TIMEOUT", 10.0)
SMS_SENDER = env_str("SMS_SENDER", "")
SMS_SIGN_NAME = env_str("SMS_SIGN_NAME", "")  # the providers' approved sign (签名)
SMS_ALIYUN_ACCESS_KEY_ID = env_str("SMS_ALIYUN_ACCESS_KEY_ID", "")
SMS_ALIYUN_ACCESS_KEY_SECRET = env_str("SMS_ALIYUN_ACCESS_KEY_SECRET", "")
SMS_ALIYUN_ENDPOINT = env_str("SMS_ALIYUN_ENDPOINT", "dysmsapi.aliyuncs.com")
SMS_ALIYUN_PROTOCOL = env_choice("SMS_ALIYUN_PROTOCOL", "HTTPS", ("HTTPS", "HTTP"))
SMS_TENCENT_SECRET_ID = env_str("SMS_TENCENT_SECRET_ID", "")
SMS_TENCENT_SECRET_KEY = env_str("SMS_TENCENT_SECRET_KEY", "")
SMS_TENCENT_ENDPOINT = env_str("SMS_TENCENT_ENDPOINT", "sms.tencentcloudapi.com")
SMS_TENCENT_SCHEME = env_choice("SMS_TENCENT_SCHEME", "HTTPS", ("HTTPS", "HTTP"))
SMS_TENCENT_REGION = env_str("SMS_TENCENT_REGION", "ap-guangzhou")
SMS_TENCENT_SDK_APP_ID = env_str("SMS_TENCENT_SDK_APP_ID", "")
# At most this many texts to one number per local day; no marketing texts in the quiet hours
# (they wait for the end); delivery receipts are accepted with ?token=<this> (unset: off).
HUITOU_SMS_DAILY_LIMIT = env_int("HUITOU_SMS_DAILY_LIMIT", 10, minimum=1)
HUITOU_SMS_QUIET_HOURS = env_time_range("HUITOU_SMS_QUIET_HOURS", "21:00-08:00")
HUITOU_SMS_RECEIPT_TOKEN = env_str("HUITOU_SMS_RECEIPT_TOKEN", "")
# A portal ticket's contact is proven by a 6-digit code: valid this long, this many tries;
# one destination gets at most CONTACT_CODE_DESTINATION_RATE codes ("N/s|m|h|d").
CONTACT_CODE_TTL_SECONDS = env_int("CONTACT_CODE_TTL_SECONDS", 600, minimum=1)
CONTACT_CODE_MAX_ATTEMPTS = env_int("CONTACT_CODE_MAX_ATTEMPTS", 5, minimum=1)
CONTACT_CODE_DESTINATION_RATE = env_rate("CONTACT_CODE_DESTINATION_RATE", "3/h")
# Links in e-mails point here.
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000")

# WeChat (huitou.wechat). 公众号: app id and secret (the API), the server Token and, for safe
# mode, the EncodingAESKey (empty: plaintext mode only). 微信客服 through 企业微信: the corp id,
# the kf secret and the callback's Token and EncodingAESKey. An unset account's endpoint is 404.
WECHAT_OA_APP_ID = env_str("WECHAT_OA_APP_ID", "")
WECHAT_OA_APP_SECRET = env_str("WECHAT_OA_APP_SECRET", "")
WECHAT_OA_TOKEN = env_str("WECHAT_OA_TOKEN", "")
WECHAT_OA_ENCODING_AES_KEY = env_str("WECHAT_OA_ENCODING_AES_KEY", "")
WECHAT_API_BASE = env_url("WECHAT_API_BASE", "https://api.weixin.qq.com")
# WeChat waits 5 s for a passive reply: a bot answer not ready by then goes out later through
# the customer-service message API.
WECHAT_PASSIVE_REPLY_SECONDS = env_float("WECHAT_PASSIVE_REPLY_SECONDS", 4.0)
WECHAT_OA_WELCOME = env_str(
    "WECHAT_OA_WELCOME",
    "您好，欢迎关注！请直接输入您的问题，智能客服为您解答；输入“转人工”联系人工客服。",
)
WECOM_CORP_ID = env_str("WECOM_CORP_ID", "")
WECOM_KF_SECRET = env_str("WECOM_KF_SECRET", "")
WECOM_KF_TOKEN = env_str("WECOM_KF_TOKEN", "")
WECOM_KF_ENCODING_AES_KEY = env_str("WECOM_KF_ENCODING_AES_KEY", "")
WECOM_API_BASE = env_url("WECOM_API_BASE", "https://qyapi.weixin.qq.com")

# Personal information retention (PIPL): the personal data of a customer with no ticket,
# purchase or follow-up for this many years is anonymised by the nightly job
# (`huitou privacy retention`); 0 turns the schedule off.
CUSTOMER_INACTIVE_RETENTION_YEARS = env_int("CUSTOMER_INACTIVE_RETENTION_YEARS", 3)

# The worker (`huitou run_huey`) stops gracefully on SIGTERM, as systemd, Docker and
# `huitou serve` send it: it finishes the tasks in hand (up to HUEY_SHUTDOWN_TIMEOUT
# seconds) before exiting. SIGINT stops it at once.
HUEY_CONSUMER = {
    "workers": 2,
    "worker_type": "thread",
    "graceful_signal": "TERM",
    "shutdown_timeout": env_int("HUEY_SHUTDOWN_TIMEOUT", 30),
}
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "huitou",
        "url": REDIS_URL,
        "immediate": False,
        "consumer": HUEY_CONSUMER,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "huitou",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": False,
        "consumer": HUEY_CONSUMER,
    }

# Live chat and live staff screens (huitou.chat): WebSockets share one channel layer. Without
# REDIS_URL it is this process's memory (one `huitou serve`); with it, any number of ASGI
# processes on any number of machines deliver to each other through Redis.
ASGI_APPLICATION = "huitou.config.asgi.application"
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # A busy desk's staff connection may be a few hundred frames behind for a moment;
            # beyond this a frame is dropped (the page catches up on its next reload).
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "huitou:live:", "capacity": 1000},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}
    }
# How long a customer's chat link (the WebSocket token a hand-off returns) stays valid.
HUITOU_CHAT_TOKEN_MAX_AGE = env_int("HUITOU_CHAT_TOKEN_MAX_AGE", 7 * 24 * 3600)
# A web chat nobody has written in for this long is over: the customer left.
HUITOU_CHAT_IDLE_MINUTES = env_int("HUITOU_CHAT_IDLE_MINUTES", 30)
# Estimated wait before any chat has been handled in a queue (seconds per customer ahead).
HUITOU_CHAT_DEFAULT_HANDLING_SECONDS = env_int("HUITOU_CHAT_DEFAULT_HANDLING_SECONDS", 300)

# The cache holds rate-limit counters and proof-of-work receipts. Without REDIS_URL it is
# this process's memory, right for `huitou serve` (one process); a deployment that runs
# several web processes must set REDIS_URL so they count together.
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


# Public (no-login) endpoints: (per client, all clients) rates, "N/s|m|h|d". Override one
# with HUITOU_RATE_LIMIT_<GROUP>="5/m,300/h" (e.g. HUITOU_RATE_LIMIT_PORTAL_TICKET).
HUITOU_RATE_LIMITS = {
    group: rate_pair(f"HUITOU_RATE_LIMIT_{group.upper()}", default)
    for group, default in {
        "portal_ticket": ("5/m", "300/h"),
        "portal_vote": ("20/m", "2000/h"),
        "bot_ask": ("30/m", "3000/h"),
        "bot_handoff": ("5/m", "300/h"),
        "portal_code": ("5/m", "300/h"),
        "survey_answer": ("20/m", "5000/h"),  # rating links and questionnaires
    }.items()
}
# The request header that names the client, set by a trusted reverse proxy (for example
# HTTP_X_REAL_IP); empty: REMOTE_ADDR. Never set it without such a proxy: clients forge it.
HUITOU_RATE_LIMIT_CLIENT_HEADER = env_str("HUITOU_RATE_LIMIT_CLIENT_HEADER", "")
# Proof-of-work a client over its own limit must solve per request (leading zero bits).
HUITOU_POW_DIFFICULTY = env_int("HUITOU_POW_DIFFICULTY", 18)
RATELIMIT_ENABLE = env_bool("HUITOU_RATE_LIMIT_ENABLE", True)

# How old the worker's heartbeat may be before /healthz calls the worker down.
WORKER_HEARTBEAT_MAX_AGE_SECONDS = env_int("WORKER_HEARTBEAT_MAX_AGE", 180, minimum=1)

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_choice("LOG_LEVEL", "INFO", LOG_LEVELS)},
    # run_huey attaches its own handler to "huey"; do not print each line twice.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "huey": {"propagate": False},
        # Failed sign-ins and lockouts are warnings; every successful sign-in is not news.
        "axes": {"level": "WARNING"},
    },
}

APP_NAME = _("回头客服")
