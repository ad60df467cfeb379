"""The WeChat channels' background work: sending, the retry sweep, 微信客服 sync."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .outbound import (
    BACKOFF_BASE_SECONDS,
    MAX_ATTEMPTS,
    RetryLater,
    do_outbound_deliver,
    due_outbound_ids,
)
from .services import do_kf_sync


@db_task(retries=MAX_ATTEMPTS, retry_delay=BACKOFF_BASE_SECONDS, retry_backoff=2)
def send_outbound(outbound_id: int) -> str:
    """Send one WeChat message (queued after the commit that wrote it). A failure for now
    raises, so huey tries again after its back-off."""
    return do_outbound_deliver(outbound_id=outbound_id, ignore_schedule=True)


@db_periodic_task(crontab(minute="*"))
def outbound_sweep() -> None:
    """Every minute: messages whose task was lost (a worker gone), due retries, and rows a
    dead worker held past its lease."""
    for outbound_id in due_outbound_ids():
        try:
            do_outbound_deliver(outbound_id=outbound_id)
        except RetryLater:
            continue


@db_task(retries=3, retry_delay=10, retry_backoff=2)
def kf_sync(open_kfid: str, token: str = "") -> int:
    """微信客服 said there is something new (kf_msg_or_event): fetch and answer it."""
    return do_kf_sync(open_kfid=open_kfid, token=token)
