"""How strongly a question word that the FAQ never uses says "this is another topic".

The out-of-scope guard of ``faq.py`` refuses to answer a question whose weight sits
mostly on words the FAQ does not know ("забыл пароль от wi-fi дома"). Counting every
such word the same made it refuse the shop's own questions whenever a visitor named a
product, a city, a time or simply used a verb the admin did not ("где мой заказ??? жду
уже неделю", "does the tv come with a warranty"). A word now counts by what it is
(``Weight``: how much it says "another topic", how much of it an entry must explain):

* a place (``Geox`` in the pymorphy3 dictionaries, a country or region from pycountry
  in en/ru/uk): ``PLACE``, which also meets ``PLACE_TERM`` in phrasings naming places;
* a name (``Name``/``Surn``/``Orgn``/``Trad``, or a capitalised word inside a
  sentence): ``NAME``;
* a time word (неделя, вчера, last week): ``TIME``;
* a word the admin lists under ``products:`` (what the shop sells): ``PRODUCT``, half
  a topic but one an entry must explain ("сколько стоит айфон" is no delivery question);
* a Russian or Ukrainian word the dictionary reads only as a verb, adverb, adjective
  and the like (жду, досі, прийшло, сразу), and a number (an order number, a model):
  ``FUNCTION``;
* in an English question, a word lemminflect's dictionary reads only as a verb,
  adjective or adverb ("remember", "expect", "twice"), or a noun as common as "well"
  or "one" (``COMMON_NOUN_ZIPF``): ``FUNCTION`` as well;
* a relative or friend ("a gift card for my brother", "купил жене"): for whom, a
  ``NAME``;
* a noun, an unknown word and a Latin word in a Russian or Ukrainian question keep the
  full weight: "пиццы", "роутер", "wi-fi", "netflix" are what the question is about
  (``TOPIC``).

Pure apart from the dictionaries, which ``warm`` loads once per process and which are
only consulted for words the FAQ does not know; results are memoised per word.
"""

from __future__ import annotations

import functools
import gettext
import itertools
import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from chatserver.core import commonness, text
from chatserver.core.elsewhere import Elsewhere


class Weight(NamedTuple):
    """``guard``: how much of the word's weight counts towards the out-of-scope share;
    ``salience``: how much of it the answering entry must explain (precision)."""

    guard: float
    salience: float
    place: bool = False  # a country, region or city: evidence for entries naming places


NAME = Weight(0.0, 0.0)  # who: nothing an entry has to explain
PLACE = Weight(0.0, 0.0, place=True)  # where: matches PLACE_TERM rather than itself
# The shop's own topic, so it says little about another one ("warranty period for a
# macbook"), but an entry must explain it: "сколько стоит айфон" is not delivery.
PRODUCT = Weight(0.25, 1.0)
FUNCTION = Weight(0.5, 0.5)
TIME = Weight(0.0, 0.5)  # "жду уже неделю" is no other topic, but "дней в году" is not delivery
TOPIC = Weight(1.0, 1.0)
# The shop itself and what it does ("покупка", "товар", "сайт", "item", "website"), the
# visitor's account with it, its chat and an order's sum: no other topic, even after
# "от"/"від" ("відмовитись від покупки"), and only a little an entry must explain.
SHOP = Weight(0.0, 0.5)
_SHOP_WORDS = """
    покупка товар товары сайт магазин интернет-магазин продавец покупатель продукт
    продукция позиция вещь цвет размер модель комплектация количество штука
    покупка товар товари сайт магазин інтернет-магазин продавець покупець продукт
    продукція позиція річ колір розмір модель комплектація кількість штука
    purchase item items product products site website store shop seller goods thing
    things color colour size model quantity
    сумма сума amount total чат chat аккаунт профиль учетка кабинет акаунт профіль
    кабінет обліковий account profile
"""
# The FAQ's words for any of the goods ("Як повернути товар?", "Do you repair
# devices?"): what a product the visitor names is an instance of (``item_stems``). With
# the device words on the dev split: 5 more right answers, 1 fewer wrong one.
_ITEM_WORDS = """
    товар товары продукт продукция устройство девайс гаджет техника аппарат
    товар товари продукт продукція пристрій девайс гаджет техніка апарат
    item items product products merchandise device devices gadget gadgets appliance
    appliances
"""
# The people a visitor buys for or acts with ("подарок жене", "my brother will pick it
# up"): who, as a name is, not another topic.
_RELATION_WORDS = """
    брат сестра жена муж мама мать папа отец сын дочь дочка ребенок ребёнок дети друг
    подруга коллега бабушка дедушка внук внучка племянник племянница девушка парень
    родители сосед соседка тёща свекровь
    брат сестра дружина чоловік мама мати тато батько син донька дочка дитина діти друг
    подруга колега бабуся дідусь онук онука племінник племінниця дівчина хлопець батьки
    сусід сусідка
    brother sister wife husband dad father son daughter kid kids child
    children friend coworker colleague grandma grandmother grandpa grandfather grandson
    granddaughter niece nephew girlfriend boyfriend parents neighbour neighbor
"""
# A topic word right after "от"/"від"/"from" names whose thing it is: "пароль от
# госуслуг", "refund from ryanair" are about another company's password or refund, however
# well the rest matches. It counts twice, and never as a lone unknown word.
OWNED = Weight(2.0, 1.0)
_OWNER_PREPOSITIONS = frozenset({"от", "від", "from"})

# A pymorphy3 reading counts when the dictionary gives it at least this probability;
# "дома" is both a noun (дом) and an adverb, and the noun is what the trap is about.
_READING_SHARE = 0.15
_NAME_TAGS = frozenset({"Name", "Surn", "Patr"})  # people; a company (Orgn) is a topic
_NON_TOPIC_POS = frozenset(
    {
        "VERB", "INFN", "ADVB", "ADJF", "ADJS", "COMP", "PRTF", "PRTS", "GRND", "NUMR",
        "NPRO", "PRED", "PREP", "CONJ", "PRCL", "INTJ",
    }
)  # fmt: skip
# Nouns and adverbs of time, as lemmas (ru, uk) and words (en).
_TIME_TEXT = """
    день неделя месяц год час минута секунда сутки вечер утро ночь полдень выходные
    понедельник вторник среда четверг пятница суббота воскресенье вчера сегодня завтра
    позавчера послезавтра неделька денёк
    тиждень місяць рік година хвилина доба вечір ранок ніч вихідні понеділок вівторок
    середа четвер пятниця субота неділя вчора сьогодні завтра позавчора
    day days week weeks month months year years hour hours minute minutes yesterday
    today tomorrow tonight morning evening night weekend ago monday tuesday wednesday
    thursday friday saturday sunday period periods window timeframe
"""
_TIME_WORDS = frozenset(_TIME_TEXT.split())
_CAPITALISED = re.compile(r"(?<![.!?…]\s)(?<!^)\b([A-ZА-ЯЁІЇЄҐ][a-zа-яёіїєґ'’-]+)")
_LATIN = re.compile("^[a-z]+$")
_TOKEN = re.compile(r"[^\W_]+")
_DOUBLED = re.compile(r"([^\W\d_])\1")
_HAS_DIGIT = re.compile(r"\d")
_CACHE_SIZE = 16_384


class Topics:
    """Weighs unknown question words; ``products`` are the admin's words for the goods
    (any language, matched by stem)."""

    def __init__(self, products: Iterable[str] = (), others: Iterable[str] = ()) -> None:
        # A product of several words ("карта памяти", "power bank") is one: its words are
        # not products alone ("оплата картой", "the bank declined"), and questions read
        # it as one word (``product_phrases``). A name's words are ("Samsung Galaxy").
        self.product_phrases: dict[str, str] = {}
        stems: set[str] = set()
        for phrase in products:
            spelt = text.words(phrase)
            if len(spelt) > 1 and not _is_name(phrase):
                self.product_phrases[phrase] = joined = "".join(spelt)
                stems.add(text.stem(joined))
            else:
                stems.update(map(text.stem, spelt))
        self._products = frozenset(stems)
        self.elsewhere = Elsewhere(others)
        # (word, language, as typed, after an owner's preposition) -> its weight
        self._seen: dict[tuple[str, str | None, str, bool], Weight] = {}

    @property
    def product_stems(self) -> frozenset[str]:
        """The stems of the admin's words for the goods."""
        return self._products

    def weight(self, word: str, language: str | None, question: str) -> Weight:
        """The topic weight of ``word`` (a content word of ``question``: folded, not
        stemmed) in a question in ``language`` (``text.detect_locale``)."""
        original = spelling(question).get(word, word)
        owned = word in _after_owner(question)
        if not owned and language == "en" and original.startswith(_NAMED):
            owned = word in _before_account(question)  # "my Steam password"
        key = (word, language, original, owned)
        found = self._seen.get(key)
        if found is None:
            if len(self._seen) >= _CACHE_SIZE:
                self._seen.clear()  # bounded; refills with the words in use
            found = self._seen[key] = self._weight(word, language, original, owned)
        return found

    def _weight(self, word: str, language: str | None, original: str, owned: bool) -> Weight:
        named = original.startswith(_NAMED)
        if named:
            original = original[len(_NAMED) :]
        stemmed = text.stem(word)
        if stemmed in self._products:
            return PRODUCT
        if stemmed in _shop_stems():
            return SHOP
        if stemmed in _relation_stems():
            return NAME  # "a gift card for my brother": for whom, not what about
        if word in self.elsewhere:
            return OWNED  # "заказ на вайлдберриз": another company's order
        kind = _word_weight(word, original, language == "uk", language == "en")
        if named and owned and not kind.place:
            return OWNED  # "my Steam password", "a refund from Delta": a service, not a person
        if named and not kind.place:
            return NAME
        if kind is TOPIC and owned:
            return OWNED
        return kind


_NAMED = "\x00"  # spelling()'s mark before a capitalised word


@functools.lru_cache(maxsize=64)  # the question being matched (asked per unknown word)
def _after_owner(question: str) -> frozenset[str]:
    """The words of ``question`` right after "от"/"від"/"from", or after a word that
    describes them: whose thing it is ("пароль от госуслуг", "пароль от домашнего
    wi-fi", "a refund from ryanair")."""
    found = text.words(question[:500])
    out: set[str] = set()
    for i, word in enumerate(found[:-1]):
        if word in _OWNER_PREPOSITIONS:
            between = found[i + 1]
            out.add(between)
            if i + 2 < len(found) and not (between in _NOT_OWNERS or between.startswith("ваш")):
                out.add(found[i + 2])
    return frozenset(out)


@functools.lru_cache(maxsize=64)  # the question being matched (asked per unknown word)
def _before_account(question: str) -> frozenset[str]:
    """English words right before a word for someone's account with a service ("my Steam
    password", "a Starbucks gift card", "my Chase card"): with a capital letter, whose
    account it is."""
    found = text.words(question[:500])
    return frozenset(a for a, b in itertools.pairwise(found) if b in _ACCOUNTS)


_ACCOUNTS = frozenset(text.words("password account order refund card gift subscription ticket app"))


# "from your newsletter", "від якої суми": the shop's own thing, or a question
_NOT_OWNERS = frozenset(text.words("your yours our which what якої якого яких какой какого каких"))


def typed(word: str, question: str) -> str:
    """``word`` (a word of ``question`` as ``text.words`` gives it) as it was typed,
    folded: doubled letters kept ("need", where ``words`` has "ned")."""
    return spelling(question).get(word, word).removeprefix(_NAMED)


def typed_tokens(phrase: str) -> list[str]:
    """The words of ``phrase`` as typed, folded: doubled letters kept ("need", where
    ``text.words`` has "ned"), slang not swapped. ``text.words`` of one of them gives
    exactly one word: it only shortens runs of a letter and swaps slang for a word, it
    never splits or drops a token."""
    return _TOKEN.findall(text.fold(phrase))


@functools.lru_cache(maxsize=64)  # the question being matched (asked per unknown word)
def spelling(question: str) -> dict[str, str]:
    """For the words of ``question`` that ``text.words`` changes, how they were typed:
    folded but with doubled letters kept ("россии", which ``words`` makes "росии", is
    what the dictionary knows). Words written with a capital letter inside a sentence
    ("в Харків", "swing by Forest Street") get ``_NAMED`` in front: names (a place
    among them stays a place). The first word of a sentence and words in capitals
    ("ОТМЕНИТЕ ЗАКАЗ") are not names."""
    question = question[:500]
    out: dict[str, str] = {}
    folded = text.fold(question)
    if _DOUBLED.search(folded):
        for token in _TOKEN.findall(folded):
            if _DOUBLED.search(token):
                for word in text.words(token):
                    out[word] = token
    for token in _CAPITALISED.findall(question):
        for word in text.words(token):
            out[word] = _NAMED + out.get(word, text.fold(token))
    return out


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _word_weight(word: str, original: str, ukrainian: bool, english: bool) -> Weight:
    if word in _TIME_WORDS or original in _TIME_WORDS:
        return TIME
    if _HAS_DIGIT.search(word):
        return FUNCTION  # an order number, an amount, a model ("ps5", "2x")
    latin, cyrillic = _places()
    if _LATIN.match(word):
        if original in latin or word in latin:
            return PLACE
        # "wi-fi" in "забыл пароль от wi-fi дома" is the topic; in an English question a
        # word English reads only as a verb, adjective or adverb is not
        return _english_weight(original) if english else TOPIC
    if text.stem(word) in cyrillic:
        return PLACE
    return _cyrillic_weight(original, ukrainian or any(c in "іїєґ" for c in word))


_NOUN_POS = frozenset({"NOUN", "PROPN"})
COMMON_NOUN_ZIPF = 6.0


def _english_weight(word: str) -> Weight:
    """An English word lemminflect's dictionary reads only as a verb, adjective, adverb
    and the like ("remember", "expect", "new", "twice") is ``FUNCTION``, and so is a
    verb's -ing or -ed form that is also a noun ("saying", "paying"); a noun, or a word
    it does not know ("wifi", "netflix"), is a ``TOPIC``."""
    readings = _english_lemmas(word)
    if readings and _NOUN_POS.isdisjoint(readings):
        return FUNCTION
    verbs = readings.get("VERB", ())
    if verbs and word not in verbs and word.endswith(("ing", "ed")):
        return FUNCTION
    if commonness.zipf(word, "en") >= COMMON_NOUN_ZIPF:
        return FUNCTION
    return TOPIC


def _english_lemmas(word: str) -> dict[str, tuple[str, ...]]:
    """Part of speech -> the lemmas of ``word`` under it."""
    import lemminflect  # imported late, like pymorphy3: by warm() at the first build

    found: dict[str, tuple[str, ...]] = lemminflect.getAllLemmas(word)
    return found


def _cyrillic_weight(word: str, ukrainian: bool) -> Weight:
    ru, uk = _analyzers()
    for morph in (uk, ru) if ukrainian else (ru, uk):
        readings = _readings(morph, word)
        if not readings:
            continue
        tags = readings[0].tag.grammemes  # the likeliest reading
        if "Geox" in tags:
            return PLACE
        if _NAME_TAGS & tags:
            return NAME
        if any(p.normal_form.replace("ё", "е") in _TIME_WORDS for p in readings):
            return TIME
        if all(p.tag.POS in _NON_TOPIC_POS for p in readings):
            return FUNCTION
        return TOPIC
    return TOPIC


_NEGATED_POS = frozenset({"ADJF", "ADJS", "PRTF", "PRTS"})
_NEGATED_EN_POS = frozenset({"ADJ", "VERB"})
_NEGATION_PREFIXES = ("не", "un")


@functools.lru_cache(maxsize=_CACHE_SIZE)
def negated(word: str) -> str | None:
    """The word that ``word`` (folded) negates when it is an adjective or participle
    with a negation prefix ("неоплаченным" -> "оплаченным", "недійсний" -> "дійсний",
    "unpaid" -> "paid"), else None. "не оплачен" drops "не" as a stop word; written as
    one word it must say the same. "несколько" is no negated "сколько": only adjectives
    and participles (verbs and adjectives in English) count."""
    if not word.startswith(_NEGATION_PREFIXES) or len(word) < 6:
        return None
    rest = word[2:]
    if _LATIN.match(word):
        return rest if _NEGATED_EN_POS & set(_english_lemmas(rest)) else None
    for morph in _analyzers():
        if any(p.tag.POS in _NEGATED_POS for p in _readings(morph, rest)):
            return rest
    return None


def _readings(morph: Any, word: str) -> list[Any]:
    """The readings of ``word`` that ``morph`` (a pymorphy3 analyzer) gives at least
    ``_READING_SHARE`` probability, or its likeliest one; none for a word it does not
    know."""
    if not morph.word_is_known(word):
        return []
    parsed = morph.parse(word)
    return [p for p in parsed if p.score >= _READING_SHARE] or parsed[:1]


# The term that a place name in a phrasing adds to it ("Есть доставка в Казахстан?"),
# and that a place in a question matches, whichever place it is.
PLACE_TERM = "@place"


# Words for places in general: a phrasing that asks about "other countries" or
# "за кордон" is about every place a visitor may name ("do you ship to australia?").
_PLACES_IN_GENERAL = """
    страна страны стран странам границу границей рубеж зарубеж города городов городам
    регион регионы регионов регионам
    країна країни країн кордон кордоном міста міст містам регіон регіони регіонів
    country countries international internationally abroad overseas worldwide cities
    region regions
"""


def names_place(terms: Iterable[str]) -> bool:
    """Whether an admin's phrasing, as ``text.terms``, names a country or region (the
    gazetteer, or a word for places in general, by stem: this runs for every phrasing
    when the index is built)."""
    return not _place_stems().isdisjoint(terms)


def warm() -> None:
    """Load the dictionaries and the gazetteer now (~0.5 s, once per process) rather
    than on a visitor's first question; ``FaqIndex.build`` calls it."""
    for morph in _analyzers():
        morph.parse("проверкаа")  # an unknown word: loads the predictors as well
    _english_lemmas("check")
    _place_stems()


def translit_votes(latin_words: Iterable[str]) -> dict[str, int]:
    """For Latin-typed Cyrillic: how many of the words only Russian ("ru") or only
    Ukrainian ("uk") knows, read as transliterated ("misiatsiv" is "місяців",
    "yakshcho" is "якщо"; "garantiia" is a word of both)."""
    readings = ((russian, text.translit_uk(russian)) for russian in map(text.translit, latin_words))
    return _votes(readings)


def cyrillic_votes(words: Iterable[str]) -> dict[str, int]:
    """For Cyrillic without the letters that tell ("можна взяти ноут в кредит?"): how
    many of the words only Russian or only Ukrainian knows ("можна", "взяти")."""
    return _votes((word, word) for word in words if not word.isascii())


def _votes(readings: Iterable[tuple[str, str]]) -> dict[str, int]:
    votes = {"ru": 0, "uk": 0}
    for russian, ukrainian in readings:
        language = _only_in(russian, ukrainian)
        if language is not None:
            votes[language] += 1
    return votes


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _only_in(russian: str, ukrainian: str) -> str | None:
    """ "ru" or "uk" when only that dictionary knows the word (read so in each)."""
    if len(russian) < 3:
        return None
    ru, uk = _analyzers()
    in_ru = ru.word_is_known(russian)
    if in_ru == uk.word_is_known(ukrainian):
        return None
    return "ru" if in_ru else "uk"


@functools.cache
def _shop_stems() -> frozenset[str]:
    return frozenset(text.stem(w) for w in text.words(_SHOP_WORDS))


def _is_name(phrase: str) -> bool:
    """Whether every word of ``phrase`` is capitalised: a brand or model ("Google Pixel")."""
    return all(w[:1].isupper() for w in phrase.split())


@functools.cache
def item_stems() -> frozenset[str]:
    """The stems of the words that name any of the goods (``_ITEM_WORDS``)."""
    return frozenset(text.stem(w) for w in text.words(_ITEM_WORDS))


@functools.cache
def _relation_stems() -> frozenset[str]:
    return frozenset(text.stem(w) for w in text.words(_RELATION_WORDS))


@functools.cache
def _place_stems() -> frozenset[str]:
    latin, cyrillic = _places()
    general = {text.stem(w) for w in text.words(_PLACES_IN_GENERAL)}
    return cyrillic | {text.stem(w) for w in latin} | general


@functools.cache
def _analyzers() -> tuple[Any, Any]:
    import pymorphy3  # imported late: ~0.2 s and ~30 MB, by warm() at the first build

    return pymorphy3.MorphAnalyzer(lang="ru"), pymorphy3.MorphAnalyzer(lang="uk")


@functools.cache
def _places() -> tuple[frozenset[str], frozenset[str]]:
    """One-word names of countries and their regions in en, ru and uk: the Latin ones
    as written, the Cyrillic ones as stems ("німечин" finds "у Німеччині"); short ones
    ("Того", "Chad") are left out."""
    import pycountry

    latin: set[str] = set()
    cyrillic: set[str] = set()
    translations = [
        gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for domain in ("iso3166-1", "iso3166-2")
        for lang in ("ru", "uk")
    ]
    sources: list[str] = []
    for country in pycountry.countries:
        sources.extend(
            getattr(country, key, "") for key in ("name", "common_name", "official_name")
        )
    sources.extend(sub.name for sub in pycountry.subdivisions)
    for name in list(sources):
        sources.extend(t.gettext(name) for t in translations)
    for name in sources:
        found = text.words(name)
        if len(found) == 1 and len(found[0]) >= 5 and found[0] not in text.STOP_WORDS:
            if _LATIN.match(found[0]):
                latin.add(found[0])
            else:
                cyrillic.add(text.stem(found[0]))
    return frozenset(latin), frozenset(cyrillic)
