"""Template context for every staff page (settings.TEMPLATES)."""

from huitou.accounts.scope import sees_all_departments
from huitou.complaints.selectors import open_crisis_alert_count
from huitou.core.notifications import unread_notification_count
from huitou.sla.models import AgentStatus


def navigation(request) -> dict:
    """Counts for the top bar, computed only when a template shows them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def unread() -> int:
        return unread_notification_count(user=user)

    def open_alerts() -> int:
        return open_crisis_alert_count(user=user)

    def on_duty() -> bool:
        status = AgentStatus.objects.filter(user=user).values_list("on_duty", flat=True).first()
        return True if status is None else status

    return {
        "nav_unread": unread,
        "nav_open_alerts": open_alerts,
        "nav_on_duty": on_duty,
        # The whole archive's pages (value tiers) are for those who see every department.
        "nav_whole_archive": lambda: sees_all_departments(user),
    }
