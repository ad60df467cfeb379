"""Text helpers shared by the forbidden-phrase check and the FAQ engine."""

import re
from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _converter():
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese (OpenCC t2s), one converter per process."""
    return _converter().convert(text)


# NUL and the other C0 controls (tab, LF and CR are fine), DEL, lone surrogates (they cannot
# be encoded as UTF-8, so PostgreSQL refuses them) and the two non-characters U+FFFE/U+FFFF.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def has_unsafe_characters(text: str) -> bool:
    """True when `text` holds a character no field should store (see _UNSAFE)."""
    return _UNSAFE.search(text) is not None
