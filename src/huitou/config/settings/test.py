"""The test suite: SQLite unless DATABASE_URL points at PostgreSQL; tasks run eagerly."""

from .base import *  # noqa: F403
from .base import DATABASES, HUEY, VAR_DIR

DEBUG = False
SECRET_KEY = "test-only-secret-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
HUEY = {**HUEY, "immediate": True}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not shared-cache memory, so threaded tests see real SQLite locking.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-huitou.sqlite3")}
