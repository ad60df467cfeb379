"""Phone numbers of Chinese customers: parsed and normalised with `phonenumbers`."""

import phonenumbers

DEFAULT_REGION = "CN"


def phone_digits(raw: str) -> str:
    """National significant digits of a phone number, or its bare digits if it won't parse.

    Used for matching, so "+86 138-0013-8000" and "13800138000" compare equal.
    """
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        parsed = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return "".join(ch for ch in raw if ch.isdigit())
    return phonenumbers.national_significant_number(parsed)


def is_possible_phone(raw: str) -> bool:
    try:
        parsed = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(parsed)
