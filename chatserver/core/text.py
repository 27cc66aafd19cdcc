"""Text normalization for FAQ matching: casefold, tokenize, drop filler, stem, compare.

Pure and cheap: no I/O, only ``re`` and rapidfuzz. Both sides of a comparison (the
admin's phrasings at build time and the visitor's question at match time) go through
the same pipeline, so the pipeline may be lossy as long as it is consistent:

    "Здравствуйте!!! Скоооолько идёт доставка???"
      -> casefold, ё->е, apostrophes and hyphens glued, punctuation and emoji dropped
      -> collapse repeated letters: ["здраствуйте", "сколько" -> "сколько", ...]
      -> drop greetings, politeness and stop words: ["сколько", "идет", "доставка"]
      -> stem: ["скольк", "идет", "доставк"]

Collapsing *every* doubled letter ("аккаунт" -> "акаунт", "hello" -> "helo") is
deliberate: it folds stretched words ("приииивет") and the commonest spelling slip
(a missing or extra double letter) at no cost, because the index is folded the same way.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections.abc import Collection, Iterable, Mapping

import Stemmer
from rapidfuzz import fuzz, process

from chatserver.core import expressions

_UK_LETTERS = frozenset("іїєґ")
_RU_LETTERS = frozenset("ыэъё")
_LATIN_LETTER = re.compile("[a-z]")
_CYRILLIC_LETTER = re.compile("[а-яёіїєґ]")
_UK_LETTER = re.compile("[іїєґ]")
_RU_LETTER = re.compile("[ыэъё]")
_APOSTROPHE_MARKS = "'ʼ’‘`´"  # inside Ukrainian words: м'ясо, обов'язково
_HYPHEN_MARKS = "-‐‑–"  # between letters: wi-fi -> wifi, e-mail -> email
_APOSTROPHES = re.compile(f"[{re.escape(_APOSTROPHE_MARKS)}]")
_HYPHEN = re.compile(rf"(?<=[^\W_])[{re.escape(_HYPHEN_MARKS)}](?=[^\W_])")
# Most text has neither: one search is a third of the two substitutions (index build)
_FOLD_MARKS = re.compile(f"[{re.escape(_APOSTROPHE_MARKS + _HYPHEN_MARKS)}]")
# An English pronoun's contraction is spelt out: "I'd", "I'll", "there's" must not
# become the words "id", "ill", "theres" (written without the apostrophe, the
# unambiguous ones are stop words).
_CONTRACTION = re.compile(
    rf"\b(i|you|we|they|he|she|it|there|here|that|what|who|where|how|let)"
    rf"[{re.escape(_APOSTROPHE_MARKS)}](d|ll|ve|re|m|s)\b"
)
_CONTRACTED = {"d": "would", "ll": "will", "ve": "have", "re": "are", "m": "am", "s": "is"}
_WORD = re.compile(r"[^\W_]+")  # letters and digits; punctuation and emoji fall out
_REPEAT = re.compile(r"([^\W\d_])\1+")  # letters only: "100" stays "100"
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")

# --- word lists ---------------------------------------------------------------------
# Greetings, politeness and "I have a question" filler. They say nothing about *which*
# question is asked, and a long greeting would otherwise dilute the match score.
_FILLER_WORDS = """
здравствуйте здраствуйте здрасте здравствуй привет приветик приветствую хай
добрый доброе доброго добрая
пожалуйста пожалуйсто пожалуста плиз пліз плз пжл пж спасибо благодарю заранее
подскажите подскажи скажите скажи расскажите объясните уточните помогите
хотел хотела хотелось хотим узнать интересует вопрос вопросик уточнить
можете можешь могли извините простите
привіт вітаю добрий добридень доброго ласка дякую будь
підкажіть підкажи скажіть розкажіть поясніть допоможіть хотів хотіла хочу
дізнатися цікавить питання уточнити можете вибачте перепрошую
hi hello hey hiya greetings please pls plz
thanks thank thx ty tell help wondering wonder question know want wanted
could would kindly sorry excuse
""".split()  # noqa: SIM905 - a word list reads better as text than as 90 literals

# The "ok okay yes" line is chat filler ("got charged twice", "google pay ok?") that once
# weighed as unknown content; "get" stays, as in "when do I get my money back". The last
# three lines are words that tell no question from another and, weighing as unknown,
# kept the shop's own questions out of scope: "пока не отправили", "досі не прийшло",
# "cannot" (what "can't" is spelt out as), "keeps saying declined", "over the phone".
_STOP_WORDS = """
и в во не ни на с со к ко у о об от до по за из изо над под при про для без через
а но да или ли же ж бы то ну вот уж еще ещё уже тоже также даже лишь только
я ты он она оно мы вы они меня мне мной тебя тебе вас вам вами нас нам его ее её
их им ему ей них ним ней мой моя мое моё мои моего моей моему мою моих
ваш ваша ваше ваши вашего вашей вашу ваших свой своя свое своё свои свою своего своей
этот эта это эти этого этой этом эту тот та те того том так там тут здесь
что чтобы есть был была было были будет быть если то можно ли
какой какая какое какие каким какую каких
і й та в у на з із зі до від по за для про без над під при через
а але чи же ж б би ну от вже ще теж також лише тільки
я ти він вона воно ми ви вони мене мені тебе тобі вас вам нас нам його її їх їм
мій моя моє мої мого моєї моєму мою моїх ваш ваша ваше ваші вашого вашої вашу
свій своя своє свої свою свого своєї це цей ця ці цього цієї цю той та ті того
що щоб є був була було були буде бути якщо тут там можна чи
який яка яке які яким яку яких
i me my mine we us our you your yours he she it its they them their
a an the this that these those to of in on at by for from with about into
and or but if so also just is are was were be been am do does did have has had
can will shall should may might must there here some any
all as not no nor dont doesnt didnt isnt arent wasnt wont very too than then again
both each other such same only until during while because yet still ago like
something anything everything someone anyone many through before after above below
further once now few more most own
ive youve weve theyve youre theyre youll theyll itll youd theyd thats theres lets hes
shes couldnt shouldnt wouldnt havent hasnt hadnt werent aint
ok okay yes yeah yep really actually already maybe anyway though guys got going
нет могу может нужно очень какого каком какому сейчас пока
можу може треба дуже якої якій якою якого якому зараз поки досі
cannot keeps over myself yourself ourselves themselves unless
""".split()  # noqa: SIM905 - as above

# Multi-word greetings whose words are meaningful alone ("день" in "в какой день").
_FILLER_PHRASES = (
    "добрый день",
    "доброе утро",
    "добрый вечер",
    "доброй ночи",
    "доброго дня",
    "хорошего дня",
    "добрий день",
    "доброго ранку",
    "добрий вечір",
    "доброго вечора",
    "гарного дня",
    "good morning",
    "good afternoon",
    "good evening",
    "good day",
    "have a nice day",
    # small talk that would otherwise meet "что делать?" or "how are orders..."
    "как дела",
    "как у вас дела",
    "як справи",
    "how are you",
)

# Colloquial and chat spellings -> the word the FAQ uses (after folding).
_ALIASES = {
    "скока": "сколько",
    "скоко": "сколько",
    "сколька": "сколько",
    "че": "что",
    "шо": "що",
    "щас": "сейчас",
    "плиз": "пожалуйста",
    "пжлст": "пожалуйста",
    "пж": "пожалуйста",
    "спс": "спасибо",
    "скок": "сколько",
    "скільки": "скільки",
    "ноут": "ноутбук",
    "ноуты": "ноутбуки",
    "ноута": "ноутбука",
    "комп": "компьютер",
    "тел": "телефон",
    "мобила": "телефон",
    "промик": "промокод",
    "промік": "промокод",
    "тыщ": "тысяч",
    "тыщи": "тысячи",
    "наличка": "наличные",
    "наличкой": "наличными",
    "налик": "наличные",
    "инет": "интернет",
    "u": "you",
    "sum1": "someone",
    "any1": "anyone",
    "ne1": "anyone",
    "some1": "someone",
    "tlk": "talk",
    "gimme": "give",
    "ppl": "people",
    "cs": "support",
    "ur": "your",
    "pls": "please",
    "thx": "thanks",
    "wheres": "where",
    "whats": "what",
    "cant": "cannot",
    "im": "i",
    "r": "are",
    "xmas": "christmas",
}


# Latin-typed Russian/Ukrainian ("za skolko dney privezete"): digraphs first, then
# letters. One scheme serves both languages; the fuzzy term match absorbs the rest
# ("и"/"і", "ы"/"и"), and ``translit_uk`` gives the Ukrainian reading of i and y.
_TRANSLIT_DIGRAPHS = (
    ("shch", "щ"),
    ("sch", "щ"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("yu", "ю"),
    ("iu", "ю"),  # Ukrainian romanization: "liudynoiu"
    ("ia", "я"),
    ("ju", "ю"),
    ("ya", "я"),
    ("ja", "я"),
    ("yo", "е"),
    ("ye", "е"),
    ("je", "е"),
    ("iy", "ий"),
    ("yy", "ый"),
    ("ey", "ей"),
    ("ay", "ай"),
    ("oy", "ой"),
    ("uy", "уй"),
)
_TRANSLIT_LETTERS = str.maketrans("abvgdezijklmnoprstufhcywx'q", "абвгдезийклмнопрстуфхцывкьк")
_TRANSLIT_UK = str.maketrans("иы", "іи")


@functools.lru_cache(maxsize=16_384)
def translit(word: str) -> str:
    """A Latin-typed Russian word in Cyrillic ("dostavka" -> "доставка"); "" if not Latin."""
    if not word.isascii() or not word.isalpha():
        return ""
    for latin, cyrillic in _TRANSLIT_DIGRAPHS:
        word = word.replace(latin, cyrillic)
    return word.translate(_TRANSLIT_LETTERS)


def translit_uk(cyrillic: str) -> str:
    """The Ukrainian reading of a ``translit`` result ("skilky" -> "скілки")."""
    return cyrillic.translate(_TRANSLIT_UK)


def _spell_out(contraction: re.Match[str]) -> str:
    return f"{contraction[1]} {_CONTRACTED[contraction[2]]}"


def fold(text: str) -> str:
    """Casefold and fold the spellings we treat as equal (ё/е, apostrophes, hyphens)."""
    text = text.casefold().replace("ё", "е")
    if _FOLD_MARKS.search(text):
        text = _HYPHEN.sub("", _APOSTROPHES.sub("", _CONTRACTION.sub(_spell_out, text)))
    return text


def split_hyphens(text: str) -> str | None:
    """``text`` with its word-joining hyphens as spaces ("трек-номер" -> "трек номер"),
    or None when it has none."""
    split = _HYPHEN.sub(" ", text)
    return split if split != text else None


def words(text: str) -> list[str]:
    """Folded words with punctuation and emoji removed and repeated letters collapsed."""
    # One pass over the whole text: a repeat never spans two words (letters only).
    return [_FOLDED_ALIASES.get(w, w) for w in _WORD.findall(_REPEAT.sub(r"\1", fold(text)))]


# Looked up after repeated letters are collapsed, so keys and values are collapsed too.
_FOLDED_ALIASES = {_REPEAT.sub(r"\1", k): _REPEAT.sub(r"\1", v) for k, v in _ALIASES.items()}


def questions_in(text: str) -> list[str]:
    """The sentences of a message of several that ask something (end in "?"): in "Hi! I
    ordered a Kindle on the 3rd. Can you tell me where my order is?" the last one. A
    message of one sentence gives none: it is its own question."""
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    if len(sentences) < 2:
        return []
    return [s for s in sentences if "?" in s]


def _word_set(raw: Iterable[str]) -> frozenset[str]:
    return frozenset(w for item in raw for w in words(item))


FILLER_WORDS = _word_set(_FILLER_WORDS)
_LONG_FILLERS = sorted(f for f in FILLER_WORDS if len(f) >= 5)  # is_filler_typo's
STOP_WORDS = _word_set(_STOP_WORDS)
# Idioms read as the one word they mean: "доставка за мой счёт?" asks what delivery
# costs, not for an invoice (счёт, рахунок).
_IDIOMS = {
    f"за {whose} {bill}": cost
    for bill, cost, owners in (
        ("счет", "платная", "мой ваш свой чей наш"),
        ("рахунок", "платна", "мій ваш свій чий наш"),
    )
    for whose in owners.split()
}
_PHRASES = tuple((tuple(words(p)), ()) for p in _FILLER_PHRASES) + tuple(
    (tuple(words(p)), tuple(words(cost))) for p, cost in _IDIOMS.items()
)


def _phrases_by_first_word() -> dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]]:
    """Filler phrases and idioms (with what they stand for) keyed by their first word,
    longest first, so that each token costs one dict look-up instead of a comparison
    with every phrase."""
    table: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
    for phrase, meaning in _PHRASES:
        if phrase:
            table.setdefault(phrase[0], []).append((phrase, meaning))
    return {w: tuple(sorted(ps, key=lambda p: len(p[0]), reverse=True)) for w, ps in table.items()}


_PHRASES_BY_FIRST = _phrases_by_first_word()
_PHRASE_STARTS = frozenset(_PHRASES_BY_FIRST)


def _drop_phrases(tokens: list[str]) -> list[str]:
    """``tokens`` without filler phrases, idioms and other companies' names read as the
    words they mean (the admin's text and the visitor's alike)."""
    return _read_expressions(_drop_fillers(tokens), _NAMES_BY_FIRST)


def _drop_fillers(tokens: list[str]) -> list[str]:
    if _PHRASE_STARTS.isdisjoint(tokens):
        return tokens  # the usual case: one set operation
    return _replace_phrases(tokens, tokens, _PHRASES_BY_FIRST)


def _replace_phrases(tokens: list[str], keys: list[str], table: Expressions) -> list[str]:
    """``tokens`` with each phrase of ``table`` (found by the tokens' ``keys``: the
    tokens themselves or their stems) replaced by what it means."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for phrase, meaning in table.get(keys[i], ()):
            if tuple(keys[i : i + len(phrase)]) == phrase:
                out.extend(meaning)
                i += len(phrase)
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def content_words(text: str, expressions: Expressions | None = None) -> list[str]:
    """The words of a visitor's ``text`` that can tell one question from another (not
    stemmed), with the ``expressions`` visitors use (all built-in ones by default; see
    ``expressions_besides``) read as the words they mean. The admin's text keeps its
    own words (``terms``)."""
    table = _EXPRESSIONS_BY_FIRST if expressions is None else expressions
    tokens = _read_expressions(_drop_fillers(words(text)), table)
    return [t for t in tokens if t not in FILLER_WORDS and t not in STOP_WORDS]


# Per-word results are memoised: chat text reuses a small working vocabulary, and these
# are pure functions of the word. The caches are bounded.
@functools.lru_cache(maxsize=16_384)
def is_filler_typo(word: str) -> bool:
    """True for a misspelt greeting or politeness word ("здраствуйте", "пожалуста").

    Only long words are tried: a short word is too easily one edit away from a filler
    word (and from a real one). 85 ~ one edit in a 7-letter word.
    """
    if len(word) < 6:
        return False
    return process.extractOne(word, _LONG_FILLERS, scorer=fuzz.ratio, score_cutoff=85) is not None


# --- stemming -----------------------------------------------------------------------
# Russian and English go through Snowball (PyStemmer, C): it maps "самому"/"сам" and
# "частями"/"часть" to one stem, which a suffix list cannot without overstemming.
# Snowball has no Ukrainian: a word with і, ї, є or ґ keeps a crude longest-suffix
# stripper, and a Ukrainian word without them goes through the Russian stemmer, whose
# endings it mostly shares. Either only has to map the usual inflections of one word to
# one stem (or stems a single edit apart, which the fuzzy token match absorbs), and
# both sides of a comparison take the same path. (Mapping і/ї/є to и/и/е and stemming
# every Ukrainian word with the Russian Snowball changed nothing on the dev split.)
_RU_STEMMER = Stemmer.Stemmer("russian")
_EN_STEMMER = Stemmer.Stemmer("english")
_CYR_ENDINGS = """
ями ами иями ием иям ией ого его ому ему ыми ими ая яя ое ее ые ие ый ий ой ей ую юю
ом ем ам ям ах ях ов ев ью ия ию ть ти ешь ете ет ют ут ит ите ишь ат ят ла ло ли ал
ил ыл ел ать ять ить еть уть ова ева ует ают яет ующ ющ ащ ящ ост ость ости ние ния
нию нием ний ени ение ения
ання ення іння ість ості ові еві ої ою ею єю ів їв ати ити іти ує ють ій ім іх
а я о е ы и і у ю ь й є ї
""".split()  # noqa: SIM905 - as above; lines: Russian, Ukrainian, one-letter endings
# Longest first, so "ами" is stripped whole rather than as "и".
_CYR_SUFFIXES = sorted(set(_CYR_ENDINGS), key=len, reverse=True)
_CYR_REFLEXIVE = ("ся", "сь")
# The stripper keeps 4 letters: at 3 too many words collide and "забыл" -> "заб" would
# no longer fuzzily meet "забыли" -> "забы" (3-letter terms must match exactly).
_MIN_STEM_CYR = 4
_MIN_STEM_EN = 3


def _is_cyrillic(word: str) -> bool:
    return any("а" <= c <= "я" or c in _UK_LETTERS for c in word)


def _strip_cyrillic(word: str) -> str:
    if len(word) <= _MIN_STEM_CYR:
        return word
    for refl in _CYR_REFLEXIVE:
        if word.endswith(refl) and len(word) - 2 > _MIN_STEM_CYR:
            word = word[:-2]
            break
    for suffix in _CYR_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM_CYR:
            return word[: -len(suffix)]
    return word


# English words Snowball joins to another that they do not mean: "my personal data" is
# not "a person"
_EN_STEMS = {
    "personal": "personal",
    "personally": "personal",
    # "Google Assistant" is no "assist"; words are folded first ("asistant"), and a
    # Latin word is also stemmed as typed
    "asistant": "asistant",
    "asistants": "asistant",
    "assistant": "asistant",
    "assistants": "asistant",
}


@functools.lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """The word's stem: Snowball for Russian and English, a suffix stripper otherwise."""
    if word.isdigit():
        return word
    if _is_cyrillic(word):
        if any(c in _UK_LETTERS for c in word):
            return _strip_cyrillic(word)
        stemmed: str = _RU_STEMMER.stemWord(word)
        # Snowball may cut a short word to 2 letters ("сам" stays, "нов" from "новый");
        # below 3 letters a stem meets too many others.
        return stemmed if len(stemmed) >= 3 else word
    if not word.isascii():
        return word
    if word in _EN_STEMS:
        return _EN_STEMS[word]
    stemmed = _EN_STEMMER.stemWord(word)
    return stemmed if len(stemmed) >= _MIN_STEM_EN else word


# --- expressions ----------------------------------------------------------------------
# Multi-word expressions read as the word they mean (``expressions``): "back out of the
# order" is a cancellation, "royal mail" one company. Matched on stems, so one entry
# covers the inflected forms ("почтой россии"); the words must stand together. ``stem``
# is memoised, so a message's words cost a dict read each.


Expressions = dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]]


def _expression_table(*tables: Mapping[str, Mapping[str, str]]) -> Expressions:
    """Expressions (phrase -> meaning, per language) keyed by their first word's stem,
    longest first."""
    found: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
    for by_language in tables:
        for language_table in by_language.values():
            for phrase, meaning in language_table.items():
                key = tuple(stem(w) for w in words(phrase))
                if len(key) > 1:
                    found.setdefault(key[0], []).append((key, tuple(words(meaning))))
    return {w: tuple(sorted(ps, key=lambda p: len(p[0]), reverse=True)) for w, ps in found.items()}


_NAMES_BY_FIRST = _expression_table(expressions.NAMES)
_FUNCTION_STEMS = frozenset(stem(w) for w in FILLER_WORDS | STOP_WORDS)
_PHRASINGS_BY_FIRST = _expression_table(expressions.EXPRESSIONS)
_EXPRESSIONS_BY_FIRST = _expression_table(expressions.EXPRESSIONS, expressions.NAMES)


def expressions_besides(
    texts: Iterable[tuple[str, Collection[str]]],
    extra: Mapping[str, Mapping[str, str]] | None = None,
) -> Expressions:
    """The expressions to read in visitors' questions, built-in and ``extra`` (an FAQ's
    own, locale -> phrase -> meaning), less those that ``texts`` (the FAQ's phrasings,
    keywords and answers, each with its ``terms``) use themselves: where the admin
    writes "пункт выдачи" or "send back", the visitor's same words must meet the
    admin's, not a word that stands for them. Names of other companies are always read
    (``terms`` joins them in the admin's text too), and so are expressions of function
    words only ("б у")."""
    phrasings = _PHRASINGS_BY_FIRST
    if extra:
        phrasings = _expression_table(extra, expressions.EXPRESSIONS)  # the admin's first
    # A text can hold an expression only if its terms include the expression's content
    # words: only such texts are split into words again (a large FAQ builds cheaply).
    by_term: dict[str, list[frozenset[str]]] = {}
    for phrases in phrasings.values():
        for phrase, _ in phrases:
            content = frozenset(k for k in phrase if k not in _FUNCTION_STEMS)
            if content:
                by_term.setdefault(min(content), []).append(content)
    used: set[tuple[str, ...]] = set()
    for item, found in texts:
        if not any(c.issubset(found) for t in found for c in by_term.get(t, ())):
            continue
        keys = [stem(t) for t in _drop_fillers(words(item))]
        for i, first in enumerate(keys):
            for phrase, _ in phrasings.get(first, ()):
                if tuple(keys[i : i + len(phrase)]) == phrase:
                    used.add(phrase)
    table = {
        first: tuple(p for p in phrases if p[0] not in used) for first, phrases in phrasings.items()
    }
    for first, phrases in _NAMES_BY_FIRST.items():
        table[first] = tuple(
            sorted((*table.get(first, ()), *phrases), key=lambda p: len(p[0]), reverse=True)
        )
    return {first: phrases for first, phrases in table.items() if phrases}


def _read_expressions(tokens: list[str], table: Expressions) -> list[str]:
    keys = [stem(t) for t in tokens]
    if table.keys().isdisjoint(keys):
        return tokens
    return _replace_phrases(tokens, keys, table)


def question_terms(text: str) -> list[str]:
    """Stemmed content words of ``text`` read as a visitor's question (expressions
    included, see ``content_words``), duplicates removed, order kept: for phrases that
    stand for what visitors type (requests for a person)."""
    return list(dict.fromkeys(stem(w) for w in content_words(text)))


def terms(text: str) -> list[str]:
    """Stemmed content words of ``text``, duplicates removed, order kept."""
    found = dict.fromkeys(map(_term, _drop_phrases(words(text))))
    found.pop("", None)
    return list(found)


@functools.lru_cache(maxsize=65_536)
def _term(word: str) -> str:
    """``word``'s stem, or "" for a filler or stop word (``content_words`` drops those)."""
    return "" if word in FILLER_WORDS or word in STOP_WORDS else stem(word)


# --- comparing terms ----------------------------------------------------------------


def token_cutoff(length: int) -> float:
    """The least ``fuzz.ratio`` at which two terms of this (shorter) length are "the same".

    ratio is the Indel similarity, so one substituted letter costs two edits: in a
    5-letter stem it gives 80, in a 4-letter stem 75 ("ship"/"shop"), too close to call.
    Hence exact match up to 3 letters, ~one insertion at 4, one substitution at 5-7,
    two slips from 8 letters on.
    """
    if length <= 3:
        return 100.0
    if length == 4:
        return 85.0
    if length <= 7:
        return 78.0
    return 74.0


PREFIX_LEN = 5  # stems sharing this many leading letters are related word forms
PREFIX_SIMILARITY = 0.85  # ...and count a little less than an exact stem match


def similarity(a: str, b: str) -> float:
    """How alike two terms are, 0..1: 1 equal, ~0.75-0.95 a typo or another word form."""
    if a == b:
        return 1.0
    shorter = min(len(a), len(b))
    score = fuzz.ratio(a, b, score_cutoff=token_cutoff(shorter)) / 100.0
    if shorter >= PREFIX_LEN and a[:PREFIX_LEN] == b[:PREFIX_LEN]:
        score = max(score, PREFIX_SIMILARITY)
    return score


def detect_locale(text: str) -> str | None:
    """The language of ``text`` when its letters tell: "en", "uk", "ru" or None.

    Latin beats Cyrillic by count; among Cyrillic, іїєґ say "uk" and ыэъё say "ru".

    Cyrillic without either (e.g. "як оплатити") returns None: the caller falls back
    to vocabulary votes or the conversation's locale.
    """
    lowered = text.casefold()
    # Counted by compiled patterns (a C loop): this runs for every question.
    latin = len(_LATIN_LETTER.findall(lowered))
    cyrillic = len(_CYRILLIC_LETTER.findall(lowered))
    if latin == 0 and cyrillic == 0:
        return None
    if latin > cyrillic:
        return "en"
    uk = len(_UK_LETTER.findall(lowered))
    ru = len(_RU_LETTER.findall(lowered))
    if uk > ru:
        return "uk"
    if ru > uk:
        return "ru"
    return None


MATCH_CACHE_SIZE = 50_000


class Vocabulary:
    """A fixed list of terms that finds, fast, the ones similar to a query term.

    ``similarity`` against every term would be a Python loop, and even rapidfuzz's C
    loop (``process.extract``) over thousands of terms costs ~0.1 ms a word, because it
    converts every choice on each call. So typo candidates come from small buckets
    keyed by letter pairs among the first three letters (``_keys``): a word within the
    cutoff of ``token_cutoff`` shares one of them unless two of its slips fall in its
    first three letters. A prefix table finds the other word forms.
    """

    __slots__ = ("_buckets", "_by_prefix", "_cache", "_ids", "terms")

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms: tuple[str, ...] = tuple(dict.fromkeys(terms))
        self._ids = {t: i for i, t in enumerate(self.terms)}
        by_prefix: dict[str, list[int]] = {}
        buckets: dict[str, list[int]] = {}
        for i, term in enumerate(self.terms):
            if len(term) >= PREFIX_LEN:
                by_prefix.setdefault(term[:PREFIX_LEN], []).append(i)
            if len(term) >= 4:
                for key in _own_keys(term):
                    buckets.setdefault(key, []).append(i)
        self._by_prefix = {k: tuple(v) for k, v in by_prefix.items()}
        # Each bucket sorted by length: a ratio cutoff bounds the length of any partner,
        # so only a slice of it is ever compared (bisect on the lengths).
        self._buckets: dict[str, tuple[tuple[int, ...], tuple[str, ...], tuple[int, ...]]] = {}
        for key, ids in buckets.items():
            ids.sort(key=lambda i: len(self.terms[i]))
            self._buckets[key] = (
                tuple(len(self.terms[i]) for i in ids),
                tuple(self.terms[i] for i in ids),
                tuple(ids),
            )
        self._cache: dict[str, dict[int, float]] = {}

    def __len__(self) -> int:
        return len(self.terms)

    def index(self, term: str) -> int:
        """The id of a term known to be in the vocabulary (KeyError otherwise)."""
        return self._ids[term]

    def ids(self) -> Mapping[str, int]:
        """Term -> id for every term, for bulk look-ups (not to be modified)."""
        return self._ids

    def forget(self) -> None:
        """Empty the memo of ``matches``."""
        self._cache.clear()

    def matches(self, term: str) -> dict[int, float]:
        """Term id -> similarity (0..1) for every term in the vocabulary like ``term``.

        The result is shared (memoised per vocabulary): callers must not modify it.
        """
        cached = self._cache.get(term)
        if cached is not None:
            return cached
        if len(self._cache) >= MATCH_CACHE_SIZE:
            self._cache.clear()  # crude but bounded; refills with the words in use
        found = self._cache[term] = self._lookup(term)
        return found

    def _lookup(self, term: str) -> dict[int, float]:
        found: dict[int, float] = {}
        exact = self._ids.get(term)
        if exact is not None:
            found[exact] = 1.0
        n = len(term)
        # A term the FAQ uses verbatim is not a typo; its other word forms come from the
        # prefix table below. Skipping the fuzzy scan then keeps most lookups O(1).
        if n >= 4 and exact is None:
            # token_cutoff falls with length, so the query term's own cutoff is the
            # loosest any pair can pass; a shorter partner is held to its stricter one.
            cutoff = token_cutoff(n)
            # ratio <= 200 * shorter / (n + other): lengths outside this range cannot pass
            low = max(4, math.ceil(n * cutoff / (200.0 - cutoff)))
            high = math.floor(n * (200.0 - cutoff) / cutoff)
            for key in _query_keys(term):
                bucket = self._buckets.get(key)
                if bucket is None:
                    continue
                lengths, strings, ids = bucket
                start = bisect.bisect_left(lengths, low)
                stop = bisect.bisect_right(lengths, high)
                if start >= stop:
                    continue
                for _, score, k in process.extract(
                    term,
                    strings[start:stop],
                    scorer=fuzz.ratio,
                    score_cutoff=cutoff,
                    limit=None,
                ):
                    i = ids[start + k]
                    if i != exact and score >= token_cutoff(min(n, lengths[start + k])):
                        found[i] = score / 100.0
        if len(term) >= PREFIX_LEN:
            for i in self._by_prefix.get(term[:PREFIX_LEN], ()):
                if i != exact:
                    found[i] = max(found.get(i, 0.0), PREFIX_SIMILARITY)
        return found


def _own_keys(term: str) -> tuple[str, str, str]:
    """A term's bucket keys: letters 1+2, 1+3 and 2+3, tagged by which pair they are."""
    return ("a" + term[0] + term[1], "b" + term[0] + term[2], "c" + term[1] + term[2])


def _query_keys(q: str) -> tuple[str, ...]:
    """The buckets that hold every term one slip (or more, past the third letter) away
    from ``q``: the same pairs, plus the pairs a slip among the first letters shifts."""
    return (
        "a" + q[0] + q[1],  # no slip in letters 1-2
        "b" + q[0] + q[2],  # letter 2 replaced
        "c" + q[1] + q[2],  # letter 1 replaced
        "a" + q[1] + q[2],  # the term lacks letter 1
        "c" + q[0] + q[1],  # the term has a letter before ours
        "a" + q[0] + q[2],  # the term lacks letter 2
        "b" + q[0] + q[1],  # the term has an extra letter 2
        "a" + q[1] + q[0],  # letters 1 and 2 swapped
    )
