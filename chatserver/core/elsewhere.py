"""Other companies' services that visitors name: "мой заказ на вайлдберриз", "забула
пароль від приват24", "how do i delete my instagram account". Such a question shares
its words with the shop's own entries (order status, password reset, account deletion)
but is about someone else's order, password or account: ``topics`` weighs a word of
this list as ``OWNED`` (another owner), so the out-of-scope guard refuses it unless
the rest of the question is clearly the shop's.

A word the FAQ uses anywhere (a partner bank in an answer, the carrier the shop ships
with) is never looked up here: ``faq.py`` asks only about words the FAQ does not know.
Admins add their market's names under ``others:`` in an FAQ file.

The list is general knowledge of the en/ru/uk markets: marketplaces and retailers,
carriers, state portals, social networks and messengers, mail and app stores,
transport; and the institutions and trades a shop is never asked about (clinics,
police, passports and tax offices, mortgages and crypto, car makers, food delivery),
which visitors mix with the shop's words ("во сколько закрывается МФЦ в субботу",
"how long is the warranty on a new toyota"). Names that are also everyday words
("розетка" is a socket, "алло" a greeting, "booking", "target", "bolt") are left out,
or kept in their Latin spelling only. Banks are left out: "карта сбера не проходит" is
the shop's failed payment; "пароль от сбербанк онлайн" is caught by its "от"
(``topics.OWNED``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from chatserver.core import text

_NAMES = """
    wildberries вайлдберриз валдберриз вайлдберис валберис озон ozon aliexpress алиэкспресс
    алиэкспрес аліекспрес аліекспресс али-экспресс avito авито amazon амазон ebay ибей
    etsy shein шейн joom джум lamoda ламода kaspi каспи rozetka olx олх епіцентр epicentr
    фокстрот эльдорадо мвидео ситилинк citilink мегамаркет сбермегамаркет walmart costco
    newegg argos currys bestbuy temu яндекс yandex
    сдэк сдек cdek боксберри boxberry укрпошта укрпочта ukrposhta justin dhl fedex ups
    usps evri dpd hermes
    госуслуги gosuslugi
    instagram инстаграм інстаграм инста insta facebook фейсбук vk вконтакте telegram
    телеграм телеграмм whatsapp ватсап вотсап viber вайбер tiktok тикток тікток youtube
    ютуб twitter твиттер gmail гмейл icloud netflix нетфликс spotify uber убер
    glovo airbnb ryanair аэрофлот укрзалізниця укрзализныця ржд
    мфц цнап поликлиника поліклініка больница лікарня полиция поліція police hospital
    clinic паспорт passport прописка налоговая податкова пенсионный пенсійний dmv
    биткоин біткоїн bitcoin криптовалюта ипотека іпотека mortgage
    toyota тойота bmw бмв mercedes мерседес audi ауди hyundai хендай volkswagen
    пицца піца pizza суши суші sushi
"""


# A name's inflected forms: its stem plus at most this many letters ("инстаграм" stems
# to "инстагр", "инстаграме" is that and "аме"); names shorter than this are exact.
_ENDING = 3
_MIN_STEM = 4
_CACHE_SIZE = 16_384


@functools.cache
def _stems(extra: tuple[str, ...] = ()) -> frozenset[str]:
    return frozenset(text.stem(w) for item in (*_NAMES.split(), *extra) for w in text.words(item))


class Elsewhere:
    """The built-in names plus an FAQ's own ``others:``; tells whether a question word
    (folded, as ``text.words`` gives it) names another company's service."""

    __slots__ = ("_seen", "_stems")

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self._stems = _stems(tuple(sorted(extra)))
        self._seen: dict[str, bool] = {}  # asked for every unknown word of a message

    def __contains__(self, word: str) -> bool:
        found = self._seen.get(word)
        if found is None:
            if len(self._seen) >= _CACHE_SIZE:
                self._seen.clear()  # bounded; refills with the words in use
            shortest = max(_MIN_STEM, len(word) - _ENDING)
            found = self._seen[word] = word in self._stems or any(
                word[:k] in self._stems for k in range(len(word) - 1, shortest - 1, -1)
            )
        return found
