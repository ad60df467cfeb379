"""Turn one raw e-mail (bytes) into what the mail channel needs: decoded headers, safe text,
the reply without its quoted history, sanitised HTML and attachments.

Real mail is messy, so nothing here trusts what a message says about itself: a declared
charset is tried first and then its supersets (mail programs label GBK and GB18030 text
"gb2312", Big5-HKSCS text "big5"), an absent or unknown one is guessed; a header that cannot be
decoded keeps what can be read. Only input that is not a mail at all raises MailParseError.
HTML is never handled with regexes of ours: inscriptis renders it as text, nh3 sanitises it.
"""

from __future__ import annotations

import codecs
import email
import email.policy
import hashlib
import html as html_module
import mimetypes
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.header import decode_header
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

import charset_normalizer
import inscriptis
import nh3
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig
from mailparser_reply.parser import EmailMessage as ReplyText

__all__ = ["MailParseError", "ParsedAttachment", "ParsedMail", "parse_mail"]


class MailParseError(Exception):
    """The input is not an e-mail at all (empty, or bytes without any mail header)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class ParsedAttachment:
    name: str
    content_type: str
    payload: bytes
    inline: bool = False
    content_id: str = ""

    @property
    def size(self) -> int:
        return len(self.payload)


@dataclass
class ParsedMail:
    message_id: str
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_name: str = ""
    from_address: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    date: datetime | None = None
    text: str = ""
    reply_text: str = ""
    html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    auto_reason: str = ""


# Headers any mail carries at least one of; bytes whose "headers" have none of them are not mail.
_MAIL_HEADERS = frozenset(
    {"from", "sender", "to", "cc", "subject", "date", "message-id", "received", "return-path"}
    | {"mime-version", "delivered-to", "reply-to"}
)

# Charsets whose text is really written in a superset: Chinese mail programs label GBK and
# GB18030 text "gb2312" (GB2312 ⊂ GBK ⊂ GB18030), and Big5 text often uses HKSCS or cp950 extras.
_GB_FAMILY = frozenset(
    {"gb2312", "gbk", "gb18030", "cp936", "euc-cn", "euccn", "x-gbk", "gb_2312-80", "csgb2312"}
)
_BIG5_FAMILY = frozenset({"big5", "big5-hkscs", "big5hkscs", "cp950", "x-x-big5", "csbig5"})

# Values that say "not automatic" in the auto-reply headers.
_NO_VALUES = frozenset({"", "no", "false", "0"})

# Subject prefixes of a forwarded mail: its quoted part is the content, not history.
_FORWARD_PREFIXES = ("fw:", "fwd:", "fw：", "fwd：", "转发:", "转发：", "轉寄:", "轉寄：", "转寄:")


# ---------------------------------------------------------------------------- charsets


def _guess_decode(data: bytes) -> str:
    """Bytes of unknown charset: UTF-8 if they are valid UTF-8, else charset-normalizer's
    best guess, else UTF-8 with replacement characters."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Short Chinese text (a header, a one-line body) is too little for a statistical guess;
    # in a Chinese help desk undeclared 8-bit text is GBK far more often than anything else.
    if len(data) < 64:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            pass
    best = charset_normalizer.from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode("utf-8", errors="replace")


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode text bytes whose declared charset may be wrong or missing."""
    name = (charset or "").strip().strip("\"'").lower()
    if name in _GB_FAMILY:
        return data.decode("gb18030", errors="replace")
    if name in _BIG5_FAMILY:
        for candidate in ("big5hkscs", "cp950"):
            try:
                return data.decode(candidate)
            except UnicodeDecodeError:
                continue
        return data.decode("big5hkscs", errors="replace")
    if not name or name in {"unknown-8bit", "x-unknown", "unknown", "default"}:
        return _guess_decode(data)
    try:
        # Not every codec is a charset ("base64", "rot13"); a header may name anything.
        if not codecs.lookup(name)._is_text_encoding:
            return _guess_decode(data)
        return data.decode(name)
    except UnicodeDecodeError:
        pass
    except (LookupError, ValueError, TypeError):
        return _guess_decode(data)
    # The label is wrong. us-ascii or utf-8 over GBK bytes is common: guess. Any other label
    # is kept, with replacement characters where the bytes do not fit it.
    if name in {"us-ascii", "ascii", "utf-8", "utf8"}:
        return _guess_decode(data)
    return data.decode(name, errors="replace")


# ---------------------------------------------------------------------------- headers


def _unfold(value: str) -> str:
    return "".join(value.replace("\r\n", "\n").replace("\r", "\n").split("\n")).replace("\t", " ")


def _raw_text(value: str) -> str:
    """A raw header value may carry 8-bit bytes (smuggled as surrogates by the parser): decode
    them by guessing, since a header declares no charset of its own."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _guess_decode(value.encode("ascii", "surrogateescape"))
    return value


def _decode_words(value: str) -> str:
    """Decode RFC 2047 encoded-words with our charset fallbacks."""
    if "=?" not in value:
        return value
    try:
        chunks = decode_header(value)
    except (HeaderParseError, ValueError, LookupError):
        # One bad encoded-word: decode the words one by one and keep the bad one as written.
        words = []
        for word in value.split(" "):
            try:
                words.append(_join_chunks(decode_header(word)))
            except (HeaderParseError, ValueError, LookupError):
                words.append(word)
        return " ".join(words)
    return _join_chunks(chunks)


def _join_chunks(chunks: list[tuple[bytes | str, str | None]]) -> str:
    parts = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            parts.append(chunk)
        elif charset is None:
            parts.append(chunk.decode("raw-unicode-escape", errors="replace"))
        else:
            parts.append(decode_bytes(chunk, charset))
    return "".join(parts)


def decode_header_value(value: str) -> str:
    """A raw header value as readable text."""
    text = _decode_words(_raw_text(_unfold(value)))
    return _clean_line(text)


def _clean_line(text: str) -> str:
    return " ".join(
        "".join(ch for ch in text if unicodedata.category(ch) != "Cc" or ch == " ").split()
    )


def _addresses(raw_values: list[str]) -> list[tuple[str, str]]:
    """(name, lower-case address) pairs; names decoded after the list is split, since a
    decoded name may contain commas."""
    pairs = []
    values = [_raw_text(_unfold(v)) for v in raw_values]
    try:
        parsed = getaddresses(values)
    except (ValueError, IndexError, HeaderParseError):
        parsed = []
    for name, address in parsed:
        address = address.strip().strip("<>").strip().lower()
        if not address and not name:
            continue
        if "@" not in address:
            # getaddresses gave up on a broken list: keep a bare address if we can see one.
            address = ""
        pairs.append((decode_header_value(name), address))
    return pairs


def _message_id_token(value: str) -> str:
    value = _clean_line(_raw_text(_unfold(value)))
    start = value.find("<")
    end = value.find(">", start + 1)
    if start != -1 and end != -1:
        return value[start : end + 1]
    return value


def _references(value: str) -> list[str]:
    refs = []
    for token in _clean_line(_raw_text(_unfold(value))).replace("><", "> <").split(" "):
        token = token.strip(",")
        if token and token not in refs:
            refs.append(token)
    return refs


def _date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(_clean_line(_raw_text(_unfold(value))))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


# ---------------------------------------------------------------------------- automatic mail


def _auto_reason(message: EmailMessage, headers: dict[str, str], from_address: str) -> str:
    content_type = message.get_content_type()
    if content_type == "multipart/report":
        return "bounce"
    local = from_address.partition("@")[0]
    if local in {"mailer-daemon", "postmaster"}:
        return "mailer_daemon"
    if headers.get("auto-submitted", "no").strip().split(";")[0].lower() not in _NO_VALUES:
        return "auto_submitted"
    # X-Auto-Response-Suppress is not here: Outlook puts it on ordinary mail too.
    for name in ("x-autoreply", "x-autorespond", "x-autogenerated"):
        if name in headers and headers[name].strip().lower() not in _NO_VALUES:
            return "autoreply"
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in {"bulk", "junk", "list"}:
        return "precedence_bulk"
    if precedence == "auto_reply":
        return "autoreply"
    return ""


# ---------------------------------------------------------------------------- bodies


def _clean_text(text: str) -> str:
    """Plain text safe to store and show: no control characters (NUL breaks PostgreSQL), one
    kind of line end, no runs of blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    lines = [line.rstrip() for line in text.split("\n")]
    kept: list[str] = []
    for line in lines:
        if not line and (not kept or not kept[-1]):
            continue
        kept.append(line)
    return "\n".join(kept).strip("\n")


def _part_text(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    text = decode_bytes(payload, part.get_content_charset())
    if str(part.get_param("format", "")).lower() == "flowed":
        text = _unflow(text, delsp=str(part.get_param("delsp", "")).lower() == "yes")
    return text


def _unflow(text: str, *, delsp: bool) -> str:
    """RFC 3676 format=flowed (Apple Mail, Thunderbird): a line ending in a space continues
    on the next line of the same quote depth; a leading space is stuffing."""
    out: list[str] = []
    carry: tuple[str, str] | None = None  # (quote prefix, text so far) of an open paragraph
    for line in text.replace("\r\n", "\n").split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        prefix, body = line[:depth], line[depth:]
        if body.startswith(" "):
            body = body[1:]
        if carry is not None and carry[0] == prefix:
            body = carry[1] + body
        elif carry is not None:
            out.append(carry[0] + (" " if carry[0] else "") + carry[1])
        carry = None
        if body.endswith(" ") and body != "-- ":
            carry = (prefix, body[:-1] if delsp else body)
            continue
        out.append(prefix + (" " if prefix and body else "") + body)
    if carry is not None:
        out.append(carry[0] + (" " if carry[0] else "") + carry[1])
    return "\n".join(out)


# inscriptis's default ("relaxed") profile indents every <div> and pads every <span> with
# spaces, which splits Chinese words ("2026 年 12 月") in Outlook's span-per-run HTML.
_HTML_TEXT_CONFIG = ParserConfig(css=CSS_PROFILES["strict"])


def html_to_text(html: str) -> str:
    try:
        return inscriptis.get_text(html, _HTML_TEXT_CONFIG)
    except Exception:  # a broken document must not lose the mail
        return html_module.unescape(nh3.clean(html, tags=set()))


def sanitise_html(html: str) -> str:
    # cid: links stay so the page can point inline images at their stored attachment.
    return nh3.clean(html, url_schemes=nh3.ALLOWED_URL_SCHEMES | {"cid"}).strip()


def _filename(part: EmailMessage) -> str:
    try:
        name = part.get_filename() or part.get_param("name", header="content-type") or ""
    except (HeaderParseError, ValueError, IndexError, LookupError):
        name = ""
    if isinstance(name, tuple):  # an RFC 2231 value the library left undecoded
        name = decode_bytes(name[2].encode("latin-1", "surrogateescape"), name[0])
    name = decode_header_value(str(name))
    # A file name is shown and stored: keep its last path element only.
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip()


def _content_id(part: EmailMessage) -> str:
    raw = part.get("content-id")
    if raw is None:
        return ""
    return _clean_line(_raw_text(_unfold(str(raw)))).strip("<>").strip()


def _leaves(part: EmailMessage):
    """The parts that carry content, in order. A forwarded message (message/rfc822) is one
    leaf: it becomes an .eml attachment, its text is not mixed into ours."""
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        for sub in part.get_payload():
            yield from _leaves(sub)
    else:
        yield part


def _leaf_payload(part: EmailMessage) -> bytes:
    if part.get_content_maintype() == "message":
        inner = part.get_payload()
        items = inner if isinstance(inner, list) else [inner]
        chunks = []
        for item in items:
            try:
                chunks.append(item.as_bytes())
            except Exception:  # keep what the parser could read
                chunks.append(str(item).encode("utf-8", "surrogateescape"))
        return b"\n".join(chunks)
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _generated_name(part: EmailMessage, content_type: str, index: int, inline: bool) -> str:
    if content_type == "message/rfc822":
        # A returned or forwarded message without a file name: call it by its subject.
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        subject = ""
        if isinstance(inner, EmailMessage):
            subject = decode_header_value(str(inner.get("subject", "") or ""))
        subject = subject.replace("/", "_").replace("\\", "_")[:100].strip()
        return f"{subject or 'message'}.eml"
    if content_type == "message/delivery-status":
        return "delivery-status.txt"
    extension = {"message/rfc822": ".eml", "message/delivery-status": ".txt"}.get(content_type) or (
        mimetypes.guess_extension(content_type) or ".bin"
    )
    return f"{'inline' if inline else 'attachment'}-{index}{extension}"


# ---------------------------------------------------------------------------- quoted history
#
# mail-parser-reply splits a body at the header blocks it knows ("发件人: … 发送时间: …" with an
# ASCII colon, "From: … Sent: …", "-----Original Message-----", Outlook's underscore rule, "On …
# wrote:"). It misses what Chinese mail programs write, so this table is domain knowledge: lines
# that start quoted history, and sign-off lines of mobile mail. (Its "zh" "…写道：" pattern can
# never match, and its signature list — a line starting "谢谢，" — would cut a customer's own
# words, so we use its split and not its signature removal.)

# A line that is only this, between dashes: QQ / Foxmail, Outlook zh, NetEase mobile, Sina.
_SEPARATOR_WORDS = frozenset(
    {"原始邮件", "原始郵件", "原邮件", "回复的原邮件", "original message", "original", "原始信件"}
)
# "在 2026年12月1日 周二 10:00，张三 <a@b.cn> 写道：" (Apple, Gmail, 163), "… wrote:".
_WROTE_ENDINGS = ("写道：", "写道:", "寫道：", "寫道:", "wrote:")
# An Outlook / Foxmail header block: a sender line, then one of the others within a few lines.
_BLOCK_FROM = ("发件人", "寄件者", "寄件人", "from")
_BLOCK_OTHERS = (
    "发送时间",
    "时间",
    "日期",
    "寄件日期",
    "收件人",
    "收件者",
    "主题",
    "主旨",
    "sent",
    "date",
    "to",
    "subject",
)
# Sign-off lines a phone or a mail app adds under what the person typed.
_SENT_FROM_STARTS = (
    "发自我的",
    "来自我的",
    "发自 ",
    "发自网易",
    "来自网易",
    "sent from my",
    "get outlook for",
)
_SENT_FROM_MAX = 40


def _unquoted(line: str) -> str:
    return line.strip().lstrip(">").strip().lstrip(">").strip()


def _header_label(line: str) -> str:
    """ "发件人: 张三" → "发件人"; "" when the line is not a "label: value" line."""
    line = _unquoted(line).strip("*").strip()
    for colon in (":", "："):
        label, found, _ = line.partition(colon)
        if found and len(label) <= 12:
            return label.strip("* ").lower()
    return ""


def _is_wrote_line(text: str) -> bool:
    text = _unquoted(text)
    if not text.endswith(_WROTE_ENDINGS) or len(text) > 300:
        return False
    return "@" in text or sum(ch.isdigit() for ch in text) >= 4


def _quote_start(lines: list[str]) -> int:
    """The index of the first line of quoted history, or len(lines)."""
    for i, line in enumerate(lines):
        core = _unquoted(line).strip(" -—_=*").lower()
        if core in _SEPARATOR_WORDS and core != _unquoted(line).lower():
            return i
        if _is_wrote_line(line) or (i + 1 < len(lines) and _is_wrote_line(line + lines[i + 1])):
            return i
        if _header_label(line) in _BLOCK_FROM and any(
            _header_label(other) in _BLOCK_OTHERS for other in lines[i + 1 : i + 5]
        ):
            return i
    return len(lines)


def _is_rule(line: str) -> bool:
    core = _unquoted(line)
    return len(core) >= 5 and not core.strip("-_=—")


def _signature_start(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if line.rstrip() == "--" or line == "-- ":
            return i
        core = _unquoted(line).lower()
        if len(core) <= _SENT_FROM_MAX and core.startswith(_SENT_FROM_STARTS):
            return i
    return len(lines)


def trim_reply(text: str, *, forwarded: bool = False) -> str:
    """The part of a body the person wrote this time: without quoted history and signature.
    A forwarded mail keeps what it forwards (that is its content, not our history). Returns the
    whole text when trimming would leave nothing."""
    lines = text.split("\n")
    if not forwarded:
        lines = lines[: _quote_start(lines)]
        split = ReplyText(text="\n".join(lines), languages=["zh"], keep_hyphen_lists=True).read()
        if len(split.replies) > 1 and split.replies[0].content.strip():
            lines = split.replies[0].content.split("\n")
    lines = lines[: _signature_start(lines)]
    while lines and (
        not lines[-1].strip()
        or _is_rule(lines[-1])
        or (not forwarded and lines[-1].lstrip().startswith(">"))
    ):
        lines.pop()
    trimmed = _clean_text("\n".join(lines))
    return trimmed or text


# ---------------------------------------------------------------------------- the parser


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse one raw message. Raises MailParseError only when the input is not mail."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    if not raw or not raw.strip():
        raise MailParseError("邮件为空")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    raw_headers: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        raw_headers.setdefault(name.strip().lower(), []).append(str(value))
    if not _MAIL_HEADERS & raw_headers.keys():
        raise MailParseError("不是邮件：没有邮件头")

    headers = {
        name: "\n".join(decode_header_value(v) for v in values)
        for name, values in raw_headers.items()
    }

    def first(name: str) -> str:
        values = raw_headers.get(name)
        return values[0] if values else ""

    senders = _addresses(raw_headers.get("from", []) or raw_headers.get("sender", []))
    from_name, from_address = senders[0] if senders else ("", "")
    message_id = _message_id_token(first("message-id"))
    if not message_id or len(message_id) > 500 or " " in message_id:
        message_id = f"<{hashlib.sha256(raw).hexdigest()}@huitou.invalid>"

    parsed = ParsedMail(
        message_id=message_id,
        in_reply_to=_message_id_token(first("in-reply-to")),
        references=_references(" ".join(raw_headers.get("references", []))),
        subject=headers.get("subject", "").split("\n")[0],
        from_name=from_name,
        from_address=from_address,
        to=[a for _, a in _addresses(raw_headers.get("to", [])) if a],
        cc=[a for _, a in _addresses(raw_headers.get("cc", [])) if a],
        date=_date(first("date")),
        headers=headers,
    )
    parsed.auto_reason = _auto_reason(message, headers, from_address)

    plain: list[str] = []
    html: list[str] = []
    for index, part in enumerate(_leaves(message), start=1):
        content_type = part.get_content_type()
        try:
            disposition = part.get_content_disposition()
        except (HeaderParseError, ValueError, IndexError):
            disposition = None
        name = _filename(part)
        if content_type in {"text/plain", "text/html"} and disposition != "attachment" and not name:
            (plain if content_type == "text/plain" else html).append(_part_text(part))
            continue
        content_id = _content_id(part)
        inline = disposition == "inline" or (disposition is None and bool(content_id))
        parsed.attachments.append(
            ParsedAttachment(
                name=name or _generated_name(part, content_type, index, inline),
                content_type=content_type,
                payload=_leaf_payload(part),
                inline=inline,
                content_id=content_id,
            )
        )

    if html:
        parsed.html = sanitise_html("\n".join(html))
    text = "\n\n".join(plain) if plain else "\n\n".join(html_to_text(h) for h in html)
    parsed.text = _clean_text(text)
    forwarded = parsed.subject.strip().lower().startswith(_FORWARD_PREFIXES)
    parsed.reply_text = trim_reply(parsed.text, forwarded=forwarded) or parsed.text
    return parsed
