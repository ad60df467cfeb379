"""The test suite: SQLite unless DATABASE_URL points at PostgreSQL; tasks run eagerly."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, HUEY, STATIC_ROOT, VAR_DIR

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing

DEBUG = False
SECRET_KEY = "test-only-secret-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "huitou.sms.backends.LocmemBackend"
HUEY = {**HUEY, "immediate": True}

# Threads the tests start (the ASGI server of the browser tests, WebSocket consumers) keep no
# connection open after their work, so PostgreSQL can drop the test database at the end.
DATABASES["default"]["CONN_MAX_AGE"] = 0

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not shared-cache memory, so threaded tests see real SQLite locking.
    # Per process, so two test runs on one machine do not share a database file.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-huitou-{os.getpid()}.sqlite3")}
