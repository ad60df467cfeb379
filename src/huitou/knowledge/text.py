"""Chinese text for retrieval: normalisation, segmentation (rjieba) plus character bigrams,
and synonyms mapped to one canonical word."""

import re
import unicodedata

import rjieba

from huitou.core.text import to_simplified

# Words that carry no meaning for matching a question to an FAQ entry.
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "啊",
        "呀",
        "吧",
        "哦",
        "嘛",
        "啦",
        "哈",
        "噢",
        "么",
        "我",
        "你",
        "您",
        "我们",
        "你们",
        "请问",
        "请",
        "一下",
        "麻烦",
        "帮",
        "帮忙",
        "怎么",
        "怎么样",
        "如何",
        "怎样",
        "怎么办",
        "可以",
        "能",
        "能否",
        "能不能",
        "可不可以",
        "是",
        "是不是",
        "在",
        "有",
        "有没有",
        "要",
        "想",
        "想要",
        "想问",
        "问",
        "问下",
        "问一下",
        "什么",
        "哪",
        "哪里",
        "哪儿",
        "多少",
        "就",
        "都",
        "还",
        "也",
        "和",
        "跟",
        "把",
        "被",
        "给",
        "这",
        "那",
        "这个",
        "那个",
        "个",
        "一个",
        "啥",
        "咋",
        "咋办",
        "为什么",
        "为啥",
        "好",
        "您好",
        "你好",
        "谢谢",
    ]
)
FILLERS = re.compile(r"(请问|你好|您好|麻烦问一下|麻烦|打扰一下|谢谢)")


def normalise(text: str) -> str:
    """Full/half width, traditional→simplified, lower case, fillers and punctuation out."""
    text = unicodedata.normalize("NFKC", text or "")
    text = to_simplified(text).lower()
    text = FILLERS.sub(" ", text)
    return "".join(ch if unicodedata.category(ch)[0] in "LN" else " " for ch in text).strip()


def for_embedding(text: str) -> str:
    """What the model reads of a customer's question: full/half width folded and traditional
    characters simplified, as the knowledge base is written; punctuation and particles stay
    (the model reads them as a person would; dropping them saved under half a token of the
    about 15 it reads for a question of our sets)."""
    return to_simplified(unicodedata.normalize("NFKC", text or "")).strip()


class Vocabulary:
    """Synonyms and domain words, as loaded from the database (or given in tests)."""

    def __init__(self, synonym_groups=(), domain_words=()):
        self.canonical: dict[str, str] = {}
        for group in synonym_groups:
            words = [normalise(word) for word in group if normalise(word)]
            for word in words[1:]:
                self.canonical[word] = words[0]
        # Longest first, so 快递费 is replaced before 快递.
        self._variants = sorted(self.canonical, key=len, reverse=True)
        self.domain_words = [normalise(word) for word in domain_words if normalise(word)]
        for word in [*self.domain_words, *self.canonical, *self.canonical.values()]:
            if len(word) > 1:
                rjieba.add_word(word, None, None)

    def apply(self, text: str) -> str:
        for variant in self._variants:
            if variant in text:
                text = text.replace(variant, self.canonical[variant])
        return text


def tokens(text: str, vocabulary: Vocabulary | None = None) -> list[str]:
    """Words (minus stopwords) and the character bigrams of each run of text."""
    text = normalise(text)
    if vocabulary is not None:
        text = vocabulary.apply(text)
    words = [word for word in rjieba.cut(text) if word.strip() and word not in STOPWORDS]
    grams = []
    for run in text.split():
        kept = "".join(ch for ch in run if ch not in STOPWORDS)
        grams.extend(f"#{kept[i : i + 2]}" for i in range(len(kept) - 1))
    return words + grams
