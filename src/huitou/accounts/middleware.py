"""Staff sessions end after STAFF_IDLE_TIMEOUT_MINUTES without a request, and at the latest
STAFF_SESSION_MAX_HOURS after sign-in (the browser cookie expires then too)."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils.translation import gettext as _

STARTED_KEY = "huitou_session_started"
LAST_SEEN_KEY = "huitou_last_seen"
# The last-seen time is written at most this often, not on every request.
TOUCH_EVERY_SECONDS = 60


def start_staff_session(sender, request, user, **kwargs) -> None:
    """On sign-in (user_logged_in): stamp the session and cap its cookie's lifetime."""
    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    request.session[STARTED_KEY] = now
    request.session[LAST_SEEN_KEY] = now
    if settings.STAFF_SESSION_MAX_HOURS > 0:
        request.session.set_expiry(settings.STAFF_SESSION_MAX_HOURS * 3600)


def session_expired(session, now: float) -> bool:
    idle = settings.STAFF_IDLE_TIMEOUT_MINUTES * 60
    longest = settings.STAFF_SESSION_MAX_HOURS * 3600
    last_seen = session.get(LAST_SEEN_KEY)
    started = session.get(STARTED_KEY)
    if idle > 0 and last_seen is not None and now - last_seen > idle:
        return True
    return longest > 0 and started is not None and now - started > longest


class StaffSessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            if session_expired(session, now):
                logout(request)
                messages.info(request, _("登录已超时，为安全起见已退出，请重新登录。"))
            else:
                if now - session.get(LAST_SEEN_KEY, 0) > TOUCH_EVERY_SECONDS:
                    session[LAST_SEEN_KEY] = int(now)
                session.setdefault(STARTED_KEY, int(now))
        return self.get_response(request)
