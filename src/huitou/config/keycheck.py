"""The production secret-key check: refuses short, repetitive or placeholder keys."""

import itertools
import math
from collections import Counter

MIN_LENGTH = 50
MIN_DISTINCT = 12
MIN_ENTROPY_BITS = 150
PLACEHOLDERS = ("insecure", "change-me", "changeme", "replace-me", "example", "secret-key")


def estimated_entropy_bits(key: str) -> float:
    """Shannon entropy of the key's own character frequencies times its length: an upper
    bound on its strength that catches repetition (aaaa…, abcabc…) and tiny alphabets."""
    if not key:
        return 0.0
    counts = Counter(key)
    per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return per_char * len(key)


def sequential_share(key: str) -> float:
    """The share of neighbouring characters that repeat or count up/down (aa, ab, 98)."""
    if len(key) < 2:
        return 1.0
    steps = sum(abs(ord(b) - ord(a)) <= 1 for a, b in itertools.pairwise(key))
    return steps / (len(key) - 1)


def repeats_itself(key: str, block: int = 8) -> bool:
    """Does some run of `block` characters occur twice (a short phrase typed over and over)?"""
    seen = set()
    for i in range(len(key) - block + 1):
        if key[i : i + block] in seen:
            return True
        seen.add(key[i : i + block])
    return False


def secret_key_problem(key: str, *, default: str = "") -> str | None:
    """Why `key` is not fit for production, or None when it is."""
    key = key or ""
    if not key or key == default:
        return "SECRET_KEY is not set (the development default is in use)."
    lowered = key.lower()
    if any(word in lowered for word in PLACEHOLDERS):
        return "SECRET_KEY looks like a placeholder; generate a random one."
    if len(key) < MIN_LENGTH:
        return f"SECRET_KEY must be at least {MIN_LENGTH} characters long."
    if (
        len(set(key)) < MIN_DISTINCT
        or estimated_entropy_bits(key) < MIN_ENTROPY_BITS
        or sequential_share(key) > 0.5
        or repeats_itself(key)
    ):
        return "SECRET_KEY is too predictable (few different characters, runs or repeats)."
    return None


def suggestion() -> str:
    return 'Generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'
