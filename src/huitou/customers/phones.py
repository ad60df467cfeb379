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


def is_valid_phone(raw: str) -> bool:
    """A number that exists by the numbering plan: a mobile number, or a landline with its
    area code ("010-12345678"); foreign numbers in + form count too.

    `is_possible_number` only checks the length, so a 7-digit local "1351234" or a
    "12345678901" outside every mobile range would pass it; `is_valid_number` checks the
    ranges themselves. This is the one check every way in (form, API, import) goes through.
    """
    try:
        parsed = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed)
