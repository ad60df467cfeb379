"""Text helpers shared by the forbidden-phrase check and the FAQ engine."""

from functools import lru_cache


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese (OpenCC t2s), one converter per process."""
    return _converter().convert(text)
