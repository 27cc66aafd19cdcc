"""Words visitors use for what the FAQ says otherwise: a per-language synonym table.

Stemming joins the forms of one word and the fuzzy match absorbs typos, but neither
knows that "позвонить" is about the phone number, "busted" about a repair or "кредит"
about instalments. A visitor's word that the FAQ never uses weighs as unknown, and a
question mostly made of unknown words gets no answer (``faq.MAX_UNKNOWN_SHARE``).

So a small table of *groups*: words of one group stand in for each other. A question
word in a group (after folding and stemming, typos tolerated like any term) also
matches every FAQ term that another word of its group matches, at
``SYNONYM_SIMILARITY`` of an exact match: a synonym is evidence, not the admin's word.

The built-in groups below are generic shop vocabulary, not any one FAQ's wording.
Admins extend them per language in the FAQ files (``faq_files``)::

    locale: ru
    synonyms:
      - самовывоз, забрать сам, заберу
      - телевизор, телек, тв

A group lists single words; a multi-word item contributes each of its content words.
Keep groups narrow: a word that stands in for many topics ("заказ") only blurs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from chatserver.core import text

SYNONYM_SIMILARITY = 0.8  # about a typo: counts, but less than the admin's own word
KEY_MATCH = 0.85  # a question word names a group's word at this similarity or more

# One string per group, words separated by commas (multi-word items are split).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "ru": (
        "позвонить, звонить, звонок, телефон, горячая линия",
        "связаться, контакты, написать, имейл, емейл, email",
        "суббота, воскресенье, выходные, праздники",
        "открываетесь, закрываетесь, открыт, работаете, график",
        "рассрочка, частями, кредит, долями, беспроцентная",
        "оплатить, заплатить, расплатиться, платить, оплата",
        "сломался, перестал, поломка, неисправность, ремонт, починить, отремонтировать",
        "удалить, стереть, удалите",
        "войти, зайти, вход, авторизоваться, логин, пускает",
        "доставка, привезти, довезти, доставить, возите, отправить, отправляете",
        "цена, стоимость, стоит, платная, доплачивать",
        "изменить, поменять, заменить, исправить",
        "добавить, докинуть, дозаказать, доложить",
        "отменить, отмена, отказаться, аннулировать",
        "юрлицо, юридическое, ип, организация, компания, безнал, ооо, фирма, ндс, упд",
        "поступление, поставка, появится, завезут",
        "промокод, купон, промик",
        "отказ, отклонен, отклоняет, ошибка, недействителен, проходит",
        "вернуть, сдать, возврат, обратно, отдать",
        "посылка, отправление",
        "сроки, время, долго, ждать",
        "принимаете, оплатить",
        "вводить, ввести, ввожу, применить, использовать",
        "данные, информация, персональные",
        "регионы, регион, города, город, страны, страна, граница, область, село",
        "забрать, заберу, самовывоз",
        "платеж, оплата",
        "бесплатно, бесплатная, бесплатный, даром",
        "аккаунт, профиль, учетка, учетную",
    ),
    "uk": (
        "зателефонувати, телефонувати, дзвонити, подзвонити, дзвінок, телефон, гаряча лінія",
        "звязатися, контакти, написати, імейл, емейл, email",
        "субота, неділя, вихідні, свята",
        "відкриваєтесь, зачиняєтесь, відчинений, відкритий, працюєте, графік",
        "розстрочка, частинами, кредит",
        "оплатити, заплатити, розрахуватися, платити, оплата",
        "зламався, перестав, перестали, поломка, несправність, ремонт, полагодити, відремонтувати",
        "видалити, стерти, видаліть",
        "увійти, зайти, вхід, авторизуватися, логін, пускає",
        "доставка, привезти, довезти, доставити, возите, відправити, відправляєте",
        "ціна, вартість, коштує, платна, доплачувати",
        "змінити, поміняти, замінити, виправити",
        "додати, дозамовити, докинути",
        "скасувати, відміна, скасування, відмовитися, відмовитись, анулювати",
        "юрособа, юридична, фоп, організація, компанія, безготівка, тов, фірма, пдв",
        "надходження, поставка, зявиться",
        "промокод, купон",
        "відмова, відхилено, відхиляє, помилка, недійсний, проходить",
        "повернути, здати, повернення, назад, віддати",
        "посилка, відправлення",
        "терміни, час, довго, чекати",
        "приймаєте, оплатити",
        "вводити, ввести, вводжу, застосувати, використати",
        "дані, інформація, персональні",
        "регіони, регіон, міста, місто, села, село, країни, країна, кордон, область",
        "забрати, заберу, самовивіз",
        "платіж, оплата",
        "безкоштовно, безкоштовна, безплатно, безплатна, даром",
        "акаунт, профіль, обліковий",
    ),
    "en": (
        "call, phone, hotline",
        "contact, reach, email",
        "weekend, weekends, saturday, sunday, holidays",
        "open, close, closing, opening, hours",
        "installments, financing, credit, instalments",
        "pay, payment, checkout",
        "broke, broken, busted, stopped, repair, fix, cracked, faulty",
        "delete, remove, erase, removed, deactivate",
        "login, log, sign, signin",
        "deliver, delivery, ship, shipping, send",
        "cost, fee, price, charge",
        "change, update, modify, edit",
        "add, include",
        "cancel, cancellation",
        "business, company, corporate",
        "restock, stock, available",
        "coupon, promo, discount",
        "declined, failed, error, rejected, invalid",
        "return, returned",
        "package, parcel, stuff",
        "long, time, soon, fast, quickly",
        "accept, take, pay",
        "enter, apply, use",
        "data, information, personal",
        "countries, country, abroad, internationally, international, outside",
        "pick, collect, grab",
        "charged, charge, billed",
        "free, complimentary",
        "account, profile",
        "invoice, bill",
        "voucher, certificate",
    ),
}


class Synonyms:
    """The groups of one FAQ, as stems; tells which stems stand in for a question's."""

    __slots__ = ("_groups", "_vocab")

    def __init__(self, groups: Mapping[str, Sequence[str]]) -> None:
        members: dict[str, set[int]] = {}  # stem -> the groups it is in
        stems: list[tuple[str, ...]] = []
        for items in groups.values():
            for group in items:
                found = tuple(dict.fromkeys(_stems(group.split(","))))
                if len(found) < 2:
                    continue
                for s in found:
                    members.setdefault(s, set()).add(len(stems))
                stems.append(found)
        self._vocab = text.Vocabulary(members)
        # per vocabulary term: every other stem of its groups
        self._groups = tuple(
            tuple(
                dict.fromkeys(s for g in members[t] for s in stems[g] if s != t),
            )
            for t in self._vocab.terms
        )

    def mates(self, term: str) -> dict[str, float]:
        """Stem -> similarity for the words that stand in for ``term`` (none: {})."""
        out: dict[str, float] = {}
        for tid, sim in self._vocab.matches(term).items():
            if sim < KEY_MATCH:
                continue
            for mate in self._groups[tid]:
                if mate != term and sim > out.get(mate, 0.0):
                    out[mate] = sim
        return out


def _stems(items: Iterable[str]) -> list[str]:
    return [s for item in items for s in text.terms(item)]


def merge(extra: Mapping[str, Sequence[str]] | None) -> dict[str, tuple[str, ...]]:
    """The built-in groups plus an FAQ's own (locale -> groups)."""
    merged = dict(SYNONYMS)
    for loc, groups in (extra or {}).items():
        merged[loc] = tuple(dict.fromkeys((*merged.get(loc, ()), *groups)))
    return merged
