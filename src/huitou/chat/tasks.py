from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import do_idle_chats_close


@db_periodic_task(crontab(minute="*"))
def close_idle_chats() -> None:
    """Every minute: web chats whose customer left (HUITOU_CHAT_IDLE_MINUTES) end."""
    do_idle_chats_close()
