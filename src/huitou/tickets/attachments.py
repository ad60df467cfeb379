"""Attachments: files that come with a message (an e-mail's attachments and inline images, a
staff reply's uploads), checked and turned into unsaved Attachment rows that
tickets.funnel.do_message_record saves on the message.

The customer's file name is only ever a label: it is cleaned for display and for the
download's Content-Disposition, and the file is stored under a random name
(tickets.models.attachment_path), so no name can reach a path.
"""

import hashlib
import mimetypes
import re
import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from huitou.core.errors import DomainError

from .models import Attachment

NAME_MAX = 255  # Attachment.name's column
# A name that cleans to nothing (all control characters, only a path) is still labelled.
FALLBACK_NAME = "附件"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
# Shown in the browser (an <img> on the thread, the download opened inline); every other type,
# SVG too (it can carry script), is only ever downloaded.
INLINE_IMAGE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif"}
)
# A reply's uploads: enough for photos of a fault and an invoice, not a dump of a folder.
MAX_FILES_PER_MESSAGE = 10


def max_attachment_bytes() -> int:
    return settings.HUITOU_ATTACHMENT_MAX_BYTES


def check_attachment_size(*, name: str, size: int) -> None:
    limit = max_attachment_bytes()
    if size > limit:
        raise DomainError(
            _("附件“%(name)s”（%(size)s）超过了 %(limit)s 的大小限制。")
            % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)},
            field="attachments",
            code="attachment_too_large",
        )


def clean_attachment_name(name: str) -> str:
    """The last part of `name` (no folders, either slash), without control and format
    characters (a right-to-left override can make "exe.jpg" look like "gpj.exe"), at most
    NAME_MAX characters with the extension kept; Chinese and other scripts stay as they are."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = " ".join(name.split())  # tabs and line breaks are spaces
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip(" .")  # no leading dot: not a hidden file once downloaded
    if not name:
        return FALLBACK_NAME
    if len(name) > NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) < 16:
            name = stem[: NAME_MAX - len(extension) - 1] + "." + extension
        else:
            name = name[:NAME_MAX]
    return name


def clean_content_type(content_type: str, *, name: str) -> str:
    """The given type without parameters (text/plain; charset=gbk → text/plain) when it is a
    well-formed one; else, or when it says no more than "bytes", a guess from the name."""
    given = (content_type or "").split(";", 1)[0].strip().lower()
    if given and CONTENT_TYPE.fullmatch(given) and given != DEFAULT_CONTENT_TYPE:
        return given[:255]
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    return (guessed or DEFAULT_CONTENT_TYPE).lower()[:255]


def is_inline_image(attachment: Attachment) -> bool:
    return attachment.content_type in INLINE_IMAGE_TYPES


def build_attachment(
    *,
    name: str,
    content_type: str,
    payload: bytes,
    inline: bool = False,
    content_id: str = "",
) -> Attachment:
    """An unsaved Attachment holding `payload`; saving it (with its ticket and message, see
    do_message_record) stores the file under MEDIA_ROOT/attachments/<ticket>/<random>.
    Refused with DomainError(field="attachments") above HUITOU_ATTACHMENT_MAX_BYTES."""
    name = clean_attachment_name(name)
    payload = bytes(payload)
    check_attachment_size(name=name, size=len(payload))
    content_id = "".join(ch for ch in str(content_id or "") if ch.isprintable()).strip()
    return Attachment(
        name=name,
        content_type=clean_content_type(content_type, name=name),
        size=len(payload),
        file=ContentFile(payload, name=name),
        inline=bool(inline),
        content_id=content_id.strip("<>")[:255],
        sha256=hashlib.sha256(payload).hexdigest(),
    )


def attachments_from_uploads(files: Iterable) -> list[Attachment]:
    """Unsaved Attachments from uploaded files (request.FILES.getlist), each checked against
    the limit before it is read, so a huge upload is refused without loading it."""
    files = list(files)
    if len(files) > MAX_FILES_PER_MESSAGE:
        raise DomainError(
            _("一次最多上传 %(count)d 个附件。") % {"count": MAX_FILES_PER_MESSAGE},
            field="attachments",
        )
    built = []
    for upload in files:
        check_attachment_size(name=clean_attachment_name(upload.name), size=upload.size)
        built.append(
            build_attachment(
                name=upload.name,
                content_type=getattr(upload, "content_type", "") or "",
                payload=upload.read(),
            )
        )
    return built
