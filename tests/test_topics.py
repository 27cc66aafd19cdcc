"""What an unknown question word says about the topic (chatserver/core/topics.py), and
how the FAQ match uses it: names, places, times and the shop's products are no sign of
another topic, nouns are."""

from __future__ import annotations

import pytest

from chatserver.core import topics
from chatserver.core.faq import Answer, FaqEntry, FaqIndex, NoMatch, Suggest
from chatserver.core.topics import (
    FUNCTION,
    NAME,
    OWNED,
    PLACE,
    PRODUCT,
    SHOP,
    TIME,
    TOPIC,
    Topics,
)


def weight(word: str, question: str, language: str | None = "ru", **kw: object) -> object:
    return Topics(**kw).weight(word, language, question)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("word", "question", "language", "expected"),
    [
        # places: the Russian dictionary's Geox, the gazetteer in three languages
        ("калининград", "доставляете в калининград?", "ru", PLACE),
        ("алматы", "я из алматы", "ru", PLACE),
        ("германию", "можно заказать в германию?", "ru", PLACE),
        ("німечині", "я у німеччині", "uk", PLACE),  # words() collapses doubled letters
        ("japan", "im in japan", "en", PLACE),
        ("texas", "how long to texas", "en", PLACE),
        # a capitalised word inside a sentence is a name; the first word is not
        ("forest", "can i swing by Forest Street?", "en", NAME),
        # times
        ("неделю", "жду уже неделю", "ru", TIME),
        ("yesterday", "ordered yesterday", "en", TIME),
        ("period", "warranty period for a tv", "en", TIME),
        # verbs and adverbs say little about the topic, nouns say what it is
        ("жду", "жду уже неделю", "ru", FUNCTION),
        ("прийшло", "досі не прийшло", "uk", FUNCTION),
        ("пицы", "доставка пиццы", "ru", TOPIC),  # the dictionary sees "пиццы"
        ("роутер", "как настроить роутер", "ru", TOPIC),
        ("netgear", "cancel my netgear subscription", "en", TOPIC),
        ("wifi", "забыл пароль wi-fi дома", "ru", TOPIC),
        # English: a word the dictionary reads only as a verb, adjective or adverb
        ("remember", "can't remember the old one", "en", FUNCTION),
        # ...and a noun as common as "well" or "one" (COMMON_NOUN_ZIPF)
        ("wel", "the headphones don't fit well, can i return them", "en", FUNCTION),
        ("one", "can't remember the old one", "en", FUNCTION),
        # for whom: a relative or friend is no other topic
        ("brother", "can i buy a gift voucher for my brother", "en", NAME),
        ("жене", "купил жене часы, можно вернуть?", "ru", NAME),
        ("донька", "донька замовила два, як скасувати один?", "uk", NAME),
        ("twice", "i was charged twice", "en", FUNCTION),
        # ...and a verb's -ing or -ed form, though the dictionary also has the noun
        ("saying", "keeps saying transaction failed", "en", FUNCTION),
        ("roof", "is there a warranty on a new roof", "en", TOPIC),
        ("pizza", "do you deliver pizza", "en", TOPIC),
        ("pizzeria", "forgot my pizzeria password", "en", TOPIC),
        # ...but a Latin word in a Russian question is no English verb
        ("remember", "как сделать remember me", "ru", TOPIC),
        # another company (Orgn is not a person's name): a topic
        ("рбк", "пароль для рбк", "ru", TOPIC),
        ("мтс", "пароль для мтс", "ru", OWNED),  # ...and OWNED when a known name
        # a well-known service (core/elsewhere.py) is another owner wherever it stands
        ("вайлдбериз", "мой заказ на вайлдберриз", "ru", OWNED),
        ("instagram", "how do i delete my instagram account", "en", OWNED),
        ("інстаграмі", "не можу увійти в інстаграмі", "uk", OWNED),
        ("инстаграм", "пароль инстаграм", "ru", OWNED),
        ("инстаграме", "пароль в инстаграме", "ru", OWNED),
        # ...and so are the institutions and trades a shop is never asked about
        ("мфц", "во сколько закрывается мфц в субботу", "ru", OWNED),
        ("поліклініки", "номер телефону поліклініки", "uk", OWNED),
        ("toyota", "how long is the warranty on a new toyota", "en", OWNED),
        # ...and more of the market's names (elsewhere._MORE_NAMES)
        ("instacart", "how do I cancel my Instacart order", "en", OWNED),
        ("irs", "how do I get my tax refund from the IRS faster", "en", OWNED),
        ("майнкрафт", "как скачать майнкрафт бесплатно", "ru", OWNED),
        ("сільпо", "як скасувати замовлення в сільпо доставці", "uk", OWNED),
        ("укрпошти", "як відстежити посилку укрпошти за трек-номером", "uk", OWNED),
        # ...and goods and services of other trades (elsewhere._GOODS)
        ("дрова", "дрова з доставкою у село почім зараз", "uk", OWNED),
        ("гречку", "скільки варити гречку", "uk", OWNED),
        ("вакансии", "хочу работать у вас консультантом, есть вакансии?", "ru", OWNED),
        # ...but not the everyday words a name's stem begins ("стим", "sixt")
        ("стимул", "нужен стимул купить ноутбук", "ru", TOPIC),
        ("sixty", "sixty dollars for shipping?", "en", TOPIC),
        # ...nor a common word that begins like a name ("audi", "police", "поезд")
        ("policy", "what is the privacy policy", "en", TOPIC),
        ("поездку", "беру ноутбук в поездку", "ru", TOPIC),
        ("поликлиники", "номер поликлиники", "ru", OWNED),  # but a form of a name
        # ...and the wider world: weather, school, travel (elsewhere._WORLD)
        ("дождь", "в спб дождь будет на выходных?", "ru", OWNED),
        ("weather", "whats the weather like in dublin this weekend", "en", OWNED),
        ("дневника", "забыл пароль от школьного электронного дневника", "ru", OWNED),
        ("flight", "my flight got cancelled, how do i get a refund", "en", OWNED),
        ("квиток", "скасувала квиток на автобус", "uk", OWNED),
        # ...but not a shop's own words that begin like a world word
        ("виставите", "виставите рахунок на компанію?", "uk", FUNCTION),
        ("tired", "tired of waiting for my order", "en", FUNCTION),
        ("example", "for example a laptop", "en", TOPIC),
        # whose: a topic right after "от"/"від"/"from" names another owner
        ("wifi", "забыл пароль от wi-fi дома", "ru", OWNED),
        ("wifi", "забыл пароль от домашнего wi-fi", "ru", OWNED),  # a word between
        ("newsletter", "a code from your newsletter", "en", TOPIC),  # but not "your"
        # a capitalised service before an account word, or after "from"
        ("steam", "forgot my Steam password and can't access the email", "en", OWNED),
        ("jetstar", "how do i get a refund from Jetstar", "en", OWNED),
        ("john", "I ordered it for John last week", "en", NAME),  # a name stays one
        ("госуслуг", "восстановить пароль от госуслуг", "ru", OWNED),
        ("ryanair", "how do i get a refund from ryanair", "en", OWNED),
        ("калининград", "посылка от калининград", "ru", PLACE),  # a place stays one
        # the shop itself is no other topic, even after "від"
        ("покупки", "хочу відмовитись від покупки", "uk", SHOP),
        ("сайта", "не могу вспомнить пароль от вашего сайта", "ru", SHOP),
        ("site", "forgot the password for your site", "en", SHOP),
        # numbers are models, amounts, order numbers
        ("48213", "cancel order 48213", "en", FUNCTION),
        # an unknown Cyrillic word is a topic until shown otherwise
        ("фывапр", "фывапр", "ru", TOPIC),
    ],
)
def test_word_kinds(word: str, question: str, language: str, expected: object) -> None:
    assert weight(word, question, language) == expected


def test_the_admins_others_are_other_owners() -> None:
    assert weight("литрес", "не работает литрес") == TOPIC
    assert weight("литресе", "пароль в литресе", others=["Литрес"]) == OWNED


def test_the_admins_products_are_the_shops_topic() -> None:
    assert weight("телевизор", "можно телевизор в кредит?") == TOPIC
    products = ["телевизор", "Samsung Galaxy"]
    assert weight("телевизоры", "телевизоры есть?", products=products) == PRODUCT
    assert weight("galaxy", "a galaxy in stock?", "en", products=products) == PRODUCT
    # a product of several common words is one: its words are not products alone
    goods = ["карта памяти", "power bank"]
    assert weight("картой", "оплата картой", products=goods) != PRODUCT
    assert weight("bank", "the bank declined it", "en", products=goods) != PRODUCT
    assert weight("картапамяти", "картапамяти есть?", products=goods) == PRODUCT


def test_spelling_keeps_doubled_letters_and_marks_names() -> None:
    spelt = topics.spelling("Доставка в России? Жду в Харкові. ОТМЕНИТЕ ЗАКАЗ")
    assert spelt["роси"] == topics._NAMED + "россии"  # words() collapses "сс" and "ии"
    assert spelt["харкові"] == topics._NAMED + "харкові"
    assert weight("роси", "Доставка в России?") == PLACE  # a name, and a place
    assert weight("харкові", "Доставка в Харкові?", "uk") == NAME
    assert "доставка" not in spelt  # first word of a sentence
    assert "жду" not in spelt
    assert "отмените" not in spelt  # capitals are shouting, not a name


def test_names_place_reads_an_admins_phrasing() -> None:
    from chatserver.core import text

    assert topics.names_place(text.terms("Есть доставка в Казахстан?"))
    assert topics.names_place(text.terms("Do you ship to Canada?"))
    assert not topics.names_place(text.terms("Сколько стоит доставка?"))
    # places in general: such a phrasing is about whatever place a visitor names
    assert topics.names_place(text.terms("Do you ship internationally?"))
    assert topics.names_place(text.terms("Чи доставляєте ви за кордон?"))
    assert topics.names_place(text.terms("Доставляете ли вы в другие города?"))
    assert not topics.names_place(text.terms("How long does delivery take?"))


def test_a_place_meets_a_phrasing_about_places_in_general() -> None:
    index = faq(
        FaqEntry("regions", "en", "", ("Do you ship internationally?",), "EU, UK, USA."),
        FaqEntry("cost", "en", "", ("How much does shipping cost?",), "Free from $50."),
        FaqEntry("time", "en", "", ("How long does shipping take?",), "3-7 days."),
        FaqEntry("return", "en", "", ("How do I return an item?", "send back"), "30 days."),
    )
    why = index.explain("do you ship to australia?", "en")
    assert isinstance(why.decision, Answer) and why.decision.entry.id == "regions"
    assert "@place~@place 1.00 (phrasing)" in why.candidates[0].evidence


def faq(*entries: FaqEntry, products: tuple[str, ...] = ()) -> FaqIndex:
    return FaqIndex.build(entries, products=products)


def entry(entry_id: str, *questions: str, locale: str = "ru") -> FaqEntry:
    return FaqEntry(entry_id, locale, "test", questions, f"answer of {entry_id}")


SHOP = (
    entry("regions", "Доставляете в другие страны?", "Есть доставка в Казахстан?"),
    entry("time", "Сколько дней идёт доставка?", "Когда привезут заказ?"),
    entry("status", "Где мой заказ?", "Как отследить заказ?"),
    entry("credit", "Можно купить в кредит?", "Есть рассрочка?"),
    entry("password", "Забыл пароль", "Как восстановить пароль?"),
    entry("return", "Как вернуть товар?", "Можно сдать товар обратно?"),
)


def test_a_place_in_a_question_meets_the_entry_naming_places() -> None:
    decision = faq(*SHOP).match("а в Армению доставляете?", "ru")
    assert isinstance(decision, Answer | Suggest)
    first = decision.entry if isinstance(decision, Answer) else decision.candidates[0].entry
    assert first.id == "regions"


def test_times_and_verbs_no_longer_hide_the_question() -> None:
    decision = faq(*SHOP).match("где мой заказ??? жду уже неделю", "ru")
    assert isinstance(decision, Answer)
    assert decision.entry.id == "status"


def test_a_product_the_shop_sells_is_in_scope_but_another_topic_is_not() -> None:
    index = faq(*SHOP, products=("телевизор", "ноутбук"))
    answered = index.match("можно взять телевизор в кредит?", "ru")
    assert isinstance(answered, Answer)
    assert answered.entry.id == "credit"
    # the trap of the issue: someone else's password, whatever the words in common
    assert not isinstance(index.match("забыл пароль от wi-fi дома", "ru"), Answer)
    assert not isinstance(index.match("где купить хлеб", "ru"), Answer)


def test_a_question_of_names_and_times_only_is_no_match() -> None:
    index = faq(*SHOP)
    assert isinstance(index.match("Москва, вторник", "ru"), NoMatch)
    assert isinstance(index.match("Texas", "en"), NoMatch)


def test_common_words_that_begin_like_a_name_are_no_other_company() -> None:
    """ "audio" begins like "audi", "install" like "insta", "electric" like "elections":
    a common word is another company's or the wider world's only as a form of the name."""
    topics = Topics()
    for word in ("audio", "install", "electric", "policy", "consult", "поездка"):
        assert word not in topics.elsewhere, word
    for word in ("audi", "инстаграме", "поліклініки", "netflix"):
        assert word in topics.elsewhere, word


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("неоплаченным", "оплаченным"),
        ("недійсний", "дійсний"),
        ("недействителен", "действителен"),
        ("unpaid", "paid"),
        ("несколько", None),  # not "сколько": only adjectives and participles are negated
        ("неделю", None),
        ("нельзя", None),
        ("under", None),
        ("pay", None),
    ],
)
def test_a_negated_adjective_or_participle_names_what_it_negates(
    word: str, expected: str | None
) -> None:
    assert topics.negated(word) == expected


def test_a_word_negated_in_one_piece_meets_the_entry_that_negates_it_apart() -> None:
    """ "почему заказ неоплаченный?" says what the phrasing "заказ не оплачен" does; read
    as an unknown word, it was answered with where the order is."""
    index = faq(
        entry("failed", "Деньги списались, а заказ не оплачен", "Ошибка при оплате"),
        entry("status", "Где мой заказ?"),
        entry("hours", "Когда вы работаете?"),
    )
    decision = index.match("почему заказ неоплаченный?", "ru")
    assert isinstance(decision, Answer) and decision.entry.id == "failed"
