from huey.contrib.djhuey import db_task, lock_task

from .engine import do_faq_vectors_fill


@db_task(retries=2, retry_delay=60)
@lock_task("knowledge-vectors-fill")
def fill_faq_vectors() -> None:
    """Embed what the knowledge base's last change added (idempotent: stored texts are
    skipped), so every process's next rebuild reads vectors instead of running the model."""
    do_faq_vectors_fill()
