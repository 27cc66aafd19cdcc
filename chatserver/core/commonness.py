"""How much a word says about a question's topic, judged by how common it is in its
language at large rather than in one FAQ.

The FAQ's own document frequencies (``faq.py``'s IDF) come from a few dozen entries per
language: "when" and "get" are as rare there as "refund", so "when will my package get
to me?" meets "When will I get my refund?" on two words that say nothing. A word's
frequency in general use (the ``wordfreq`` lists for en, ru and uk, on the Zipf scale:
6 is once per thousand words, 3 once per million) tells them apart. Every weight is
multiplied by ``factor``:

    factor = FLOOR + (1 - FLOOR) * A / (A + p),  p = 10 ** (zipf - 9),
    A = 10 ** (MIDPOINT_ZIPF - 9)

the smooth inverse frequency weighting of sentence embeddings (Arora et al., 2017),
kept above ``FLOOR`` so that a common word the admin chose still counts: ~1 for rare
words ("refund" 3.9, "гарантія" 3.9), 0.75 at ``MIDPOINT_ZIPF``, 0.65 for "when" (6.4),
0.55 for the most common words that are not stop words ("можно" is 6.0, "one" 6.5).
The FAQ's terms are weighed by their most common form; a question word the FAQ does not
know by its own frequency, so "need" or "remember" says less about another topic than
"pizza" or "instagram".

Pure apart from the word lists, loaded once per process (``warm``); memoised per word.
"""

from __future__ import annotations

import functools
import math
import re

# Calibrated on the dev split of tests/faq_eval (bench/faq_eval.py).
FLOOR = 0.5
MIDPOINT_ZIPF = 6.0
_LANGUAGES = frozenset({"ru", "uk", "en"})  # wordfreq has lists for all three
_CACHE_SIZE = 65_536
_DIGIT = re.compile(r"\d")


@functools.lru_cache(maxsize=_CACHE_SIZE)
def factor(word: str, language: str) -> float:
    """The weight multiplier of ``word`` (folded, as typed) in ``language``; 1.0 for a
    language without a list and for words the list does not have (rare ones)."""
    found = zipf(word, language) if word else 0.0
    if found <= 0.0:
        return 1.0
    share = math.pow(10.0, MIDPOINT_ZIPF - 9.0)
    p = math.pow(10.0, found - 9.0)
    return FLOOR + (1.0 - FLOOR) * share / (share + p)


def zipf(word: str, lang: str) -> float:
    """How common ``word`` is in ``lang`` on the Zipf scale; 0 when the list lacks it or
    there is no list for ``lang``."""
    if lang not in _LANGUAGES:
        return 0.0
    if _DIGIT.search(word):  # wordfreq estimates numbers by their shape
        from wordfreq import zipf_frequency

        return float(zipf_frequency(word, lang, wordlist="small"))
    frequency = _frequencies(lang).get(word, 0.0)
    return math.log10(frequency) + 9.0 if frequency > 0.0 else 0.0


@functools.cache
def _frequencies(lang: str) -> dict[str, float]:
    """The whole list as a dict: a look-up is a dict read, where ``zipf_frequency``
    tokenizes its argument on every call (~10 µs)."""
    from wordfreq import get_frequency_dict  # imported late: by warm() at the first build

    found: dict[str, float] = get_frequency_dict(lang, wordlist="small")  # cached there
    return found


def warm() -> None:
    """Load the word lists now (~0.1 s, once per process) rather than on a visitor's
    first question; ``FaqIndex.build`` calls it."""
    for language in _LANGUAGES:
        _frequencies(language)
        zipf("1", language)  # the numbers' path loads its own copy
