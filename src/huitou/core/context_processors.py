def navigation(request) -> dict:
    """Counts for the top bar, computed only when a template shows them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def unread() -> int:
        from .notifications import unread_notification_count

        return unread_notification_count(user=user)

    def open_alerts() -> int:
        from huitou.complaints.selectors import open_crisis_alert_count

        return open_crisis_alert_count(user=user)

    return {"nav_unread": unread, "nav_open_alerts": open_alerts}
