"""Cues in where a message's words stand, for ``handoff_concepts``: the sentences and
clauses of a message (``clauses``), words that look like someone of ours but are not
("штатив для оператора", "in person", "the support line": ``not_a_person``), and the
concepts a word names by its neighbours rather than its meaning (``word_cues``): a call
asked for oneself ("please call me", "пусть мне позвонят"), a wish ("I'd like"),
someone named by where they work ("somebody from your team", "кого-то из сервисного
центра"), someone in charge ("who's in charge?", "кто отвечает за оплату"), "who can I
speak to", "have a word", "take over", and someone already spoken to.

Pure: word lists and positions only; the English word frequencies come from
``commonness``. Per-word results are memoised.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence

from chatserver.core import commonness
from chatserver.core.elsewhere import Elsewhere
from chatserver.core.text import MATCH_CACHE_SIZE, words


def clauses(message: str) -> tuple[list[str], list[int], list[int]]:
    """The words of ``message`` (as ``text.words``), with the sentence and the clause
    (split at commas and the like as well) of each."""
    found: list[str] = []
    sentence_of: list[int] = []
    clause_of: list[int] = []
    clause = 0
    for sentence, part in enumerate(_SENTENCE_END.split(message)):
        for piece in _CLAUSE_END.split(part):
            piece_words = words(piece)
            found += piece_words
            sentence_of += [sentence] * len(piece_words)
            clause_of += [clause] * len(piece_words)
            clause += 1
    return found, sentence_of, clause_of


_SENTENCE_END = re.compile(r"[.!?…\n]+")
_CLOCK = re.compile(r"^\d{1,2}(?:am|pm)$")
_CLAUSE_END = re.compile(r"[,;:()]+|\s[-–—]+\s")


# "перезвоните мне", "передзвоніть мені", "give me a ring": a call asked for oneself. The
# imperative as typed (a stem would make "как вам позвонить?" one), no typo allowed.
_CALL_ME = frozenset(
    words(
        "перезвоните перезвони позвоните позвони наберите набрать наберіть набрати "
        "передзвоніть передзвони "
        "зателефонуйте зателефонуй подзвоніть подзвони ring callback buzz"
    )
)
# "please call me", "phone me"
_CALL_ME_IF_ME = frozenset(words("call phone dial ring buzz telephone"))
# "I'd like a person", "would like to talk to...": a wish in English
_WOULD = frozenset(words("id would"))
# English: "I spoke to a real person earlier", "I already talked to a manager": someone
# spoken to before, not asked for (in the clause after the verb)
_SPOKE = frozenset(words("spoke spoken talked chatted"))
# A verb of speaking before a language is a question about the staff ("ваши менеджеры
# говорят по-английски?", "do your managers speak Spanish?").
_LANGUAGES = ("англ", "english", "испан", "іспан", "spanish", "рус", "russian", "україн",
              "украин", "ukrain", "франц", "french", "немец", "німец", "german", "польськ",
              "польск", "polish", "italian", "итал", "італ")  # fmt: skip
MODALS = frozenset(words("can could would will may have let get able possible"))


def word_cues(message_words: Sequence[str], pos: int) -> Iterator[str]:
    """The concepts the word at ``pos`` names by where it stands, besides its own
    meaning (``HandoffConcepts``' word lists): "call me", "I'd like", "someone from your
    team", "who can I speak to", "have a word", "пусть мне позвонят" and the like."""
    word = message_words[pos]
    following = list(message_words[pos + 1 : pos + 3])
    if word in _CALL_ME or _call_me(message_words, pos, following):
        yield "callme"
    if word == "like" and pos > 0 and message_words[pos - 1] in _WOULD:
        yield "want"  # "I'd like a person"
    if word in _SPOKE:
        yield "spoke"
    if word in _ANSWER:
        yield "answer"  # "пусть оператор ответит"
    if word in _YOU:
        yield "you"  # "ты настоящий человек?"
    if _in_charge(message_words, pos):
        yield "staff"  # "who's in charge?", "кто отвечает за оплату"
    if word in _THEM:
        yield "them"  # "I want to talk to them", "пусть подключится"
    if _from_us(message_words, pos):
        yield "staff"  # "somebody from your team", "someone at the store"
    if (
        (
            word == "who"
            and (
                tuple(message_words[pos + 1 : pos + 3]) in _WHO_CAN_I
                or not MODALS.isdisjoint(message_words[pos + 2 : pos + 4])  # who in X can
            )
        )
        or (word in _WHOM and message_words[pos + 1 : pos + 2] in _CAN)
    ):
        yield "whom"  # "who can I speak to?"
    if word == "word" and tuple(message_words[max(0, pos - 2) : pos]) == ("have", "a"):
        yield "reach"  # "can I have a word with someone"
    if word == "over" and pos > 0 and message_words[pos - 1] == "take":
        yield "reach"  # "please let a human take over"
    if _let_call(message_words, pos):
        yield "callme"  # "пусть мне позвонят", "хай мені подзвонять"
    if _CLOCK.match(word):
        yield "schedule"  # "is chat support around at 2am?"
    if (
        word == "one"
        and pos > 0
        and message_words[pos - 1] in _LIVE
        and not _ASK_FOR.isdisjoint(message_words[max(0, pos - 5) : pos])
    ):
        yield "person"  # "i want a real one, not a bot" (not "the real one" password)
    if word in _WRITE_ME and following[:1] == ["me"]:
        yield "write"  # "an advisor could email me", "message me back"
    if word in _CALL_NOUNS and not _ARRANGE.isdisjoint(message_words[max(0, pos - 3) : pos]):
        yield "callasked"  # "can I get a call", "please arrange callback", "I want a phone call"
    if word in _CALL_NOUNS_CYRILLIC and (
        message_words[pos - 1 : pos] in _RETURN_CALL
        or not _ORDER_CALL.isdisjoint(message_words[max(0, pos - 3) : pos])
    ):
        yield "callasked"  # "можно обратный звонок?", "замовити дзвінок"
    if word == "lead" and message_words[pos - 1 : pos] in _LEADS:
        yield "staff"  # "get me the shift lead"
    if word == "pulse" and message_words[max(0, pos - 2) : pos] == ["with", "a"]:
        yield "live"  # "somebody with a pulse"
    if word == _TECHIE:
        yield "staff"  # "a techie who knows laptops" (not "something techy")
    if word == "proper" and message_words[pos + 1 : pos + 2] in _PEOPLE:
        yield "live"  # "a proper person" (not "a proper tax invoice")


def not_a_person(message_words: Sequence[str], pos: int, language: bool) -> bool:
    """Words that look like the concepts but are not: "in person" (going to the shop),
    "chat support" (a noun before a noun, not "chat to support"), "really" and
    "actually" (not "real", "actual"), "у кого-нибудь есть", "в когось є" (whoever
    has something, not someone to talk to); ``language``: a language follows ("говорят
    по-английски", "speak Spanish")."""
    word = message_words[pos]
    if word in _ADVERBS or word in _PLURAL_CALLS:
        return True  # "really"; "conference calls", "звонки по Wi-Fi" are things
    if word in _PAST_CALLS and message_words[pos - 1 : pos] not in _PASSIVE:
        return True  # "your agent called me yesterday" (but "can I be called back")
    if _someone_elses(message_words, pos) or _for_mine(message_words, pos):
        return True
    if pos > 0 and (
        message_words[pos - 1] == "для" or (message_words[pos - 1] == "for" and word.endswith("s"))
    ):
        return True  # "штатив для оператора", "a discount for employees": for whom (but
        # "I'm looking for someone to talk to" asks for them)
    if message_words[pos + 1 : pos + 2] in _LINE:
        return True  # "the support line", "линия поддержки" is a phone line
    if word.startswith("ког") and pos > 0 and message_words[pos - 1] in ("у", "в"):
        return True
    if word == "person":
        return pos > 0 and message_words[pos - 1] in ("in", "delivery")  # "in person"
    if word in _GUYS:
        return pos > 0 and message_words[pos - 1] == "you"  # "you guys" are the shop
    if word == "around" and message_words[pos + 1 : pos + 2] in _US:
        return True  # "hear people around you" is no one being there
    if word in ("service", "care") or word.startswith("servis"):  # not "get it serviced"
        return pos == 0 or not message_words[pos - 1].startswith("cust")  # "custmer servise"
    if word.startswith("transf") and pos > 0 and message_words[pos - 1] in _MONEY:
        return True  # "bank transfer"
    if word == "chat":
        return pos + 1 < len(message_words) and message_words[pos + 1] in _CHAT_NOUNS
    following = message_words[pos + 1 : pos + 3]
    if following[:1] and following[0] in _PLEASE:
        following = following[:1]  # "one of your advisors, please? Thank you."
    if language or any(w in _THANKS for w in following):
        return True  # "передайте ему спасибо"
    # "робот-пилосос", "robot vacuum": a machine, not the bot
    return bool(following) and following[0].startswith(("пилос", "пылес", "vacuum", "мойщ"))


_PLURAL_CALLS = frozenset(words("calls звонки дзвінки"))
_PAST_CALLS = frozenset(words("called rang phoned"))
_PASSIVE = [[w] for w in words("be get")]
_SUPPORT = tuple(words("support service care helpdesk поддержк підтримк сервис сервіс"))
# makers of goods that have their own support ("Apple support", "поддержка Samsung"); a
# shop's own list of brands is the FAQ's, this is for the handoff reading only
_MAKERS = frozenset(
    words(
        "apple apples samsung samsungs xiaomi xiaomis microsoft google googles hp dell lenovo "
        "sony lg huawei asus acer dyson philips bose garmin canon nikon logitech "
        "эппл эпл епл самсунг самсунга самсунгу сяоми сяомі ксиаоми хуавей леново майкрософт гугл"
    )
)
_ELSEWHERE = Elsewhere()
_MODIFIERS = frozenset(words("customer customers tech technical"))


def _someone_elses(message_words: Sequence[str], pos: int) -> bool:
    """ "Apple support", "Samsung's customer service", "поддержка Samsung", "DPD
    support": another company's support, not ours."""
    if not message_words[pos].startswith(_SUPPORT):
        return False
    near = [*message_words[max(0, pos - 3) : pos], *message_words[pos + 1 : pos + 3]]
    return any(w in _MAKERS or w in _ELSEWHERE for w in near if w not in _MODIFIERS)


def other_support(message_words: Sequence[str]) -> bool:
    """Whether the message names another company's support ("How do I reach Apple
    support?"): the shop's contacts do not answer it."""
    return any(_someone_elses(message_words, pos) for pos in range(len(message_words)))


_MINE = frozenset(words("my his her мой мою мій"))
_FOR = frozenset(words("for для"))
(_BOSS,) = words("boss")
_RECOMMEND = tuple(words("recommend suggest best good suitable ideal"))
_ROLES = frozenset(words("customer support sales service tech technical call centre center"))


def _for_mine(message_words: Sequence[str], pos: int) -> bool:
    """Someone named for whom a thing is: "a gift for my boss", "which laptop would you
    recommend for a customer support agent", and "my boss"."""
    before = message_words[max(0, pos - 2) : pos]
    if before[-1:] and before[-1] in _MINE and (message_words[pos] == _BOSS or before[0] in _FOR):
        return True
    at = pos - 1
    while at >= 0 and message_words[at] in _ROLES:
        at -= 1
    return (
        at > 0
        and message_words[at] in ("a", "an")
        and message_words[at - 1] == "for"
        and any(w.startswith(_RECOMMEND) for w in message_words[max(0, at - 8) : at - 1])
    )


def _call_me(message_words: Sequence[str], pos: int, following: Sequence[str]) -> bool:
    """ "please call me", "can you phone me", "have someone call me"; not "will the
    courier call me before delivery?"."""
    if message_words[pos] not in _CALL_ME_IF_ME or following[:1] != ["me"]:
        return False
    # "could your store phone me", but not "will the courier call me", "does he call me"
    return (
        pos == 0
        or message_words[pos - 1] in _CALLERS
        or _AUXILIARIES.isdisjoint(message_words[max(0, pos - 4) : pos])
    )


# "пусть оператор ответит", "хай відповість людина": someone of ours answering, as typed
# (a stem would take "ваша поддержка грубо ответила" too); not when the message asks
# when ("Підтримка вночі відповідає?" is about the hours)
_ANSWER = frozenset(words("ответьте ответит ответь відповість відповідайте"))
_YOU = frozenset(words("ты ти вы ви"))
_US = [[w] for w in words("you me us them")]
_GUYS = frozenset(words("guy guys dude dudes"))
_LIVE = frozenset(words("real live actual"))
_ASK_FOR = frozenset(words("want need get give talk speak like"))
_WRITE_ME = frozenset(words("email message"))
_CALL_NOUNS = frozenset(words("call callback"))
_ARRANGE = frozenset(words("get arrange request book schedule want need order"))
_CALL_NOUNS_CYRILLIC = frozenset(words("звонок звонка дзвінок дзвінка"))
_RETURN_CALL = [[w] for w in words("обратный обратного зворотний зворотного")]
_ORDER_CALL = frozenset(words("заказать закажите замовити замовте"))
_LEADS = [[w] for w in words("shift team")]
_PEOPLE = [[w] for w in words("person human people humans")]
(_TECHIE,) = words("techie")
_CALLERS = frozenset(words("please pls plz can could you someone somebody anyone pl"))
_AUXILIARIES = frozenset(words("will would does do did wont doesnt dont should shall"))


def _in_charge(message_words: Sequence[str], pos: int) -> bool:
    """ "the person in charge", "who is responsible", "кто у вас отвечает за оплату",
    "хто відповідає за доставку": someone of ours in charge of something."""
    word = message_words[pos]
    if word == "charge":
        return pos > 0 and message_words[pos - 1] == "in"
    if word == "head":
        return message_words[pos + 1 : pos + 2] == ["of"]  # "the head of customer relations"
    if word == "responsible":
        return True
    if word in _MAIN:  # "кто у вас там главный?"
        return not _WHO_CYRILLIC.isdisjoint(message_words[max(0, pos - 4) : pos])
    return word in _ANSWERS_FOR and message_words[pos + 1 : pos + 2] == ["за"]


_ANSWERS_FOR = frozenset(words("отвечает отвечают відповідає відповідають"))
_MAIN = frozenset(words("главный головний"))
_WHO_CYRILLIC = frozenset(words("кто хто"))
# someone named in the sentence before: "Who's in charge? I want to talk to them",
# "Кто отвечает за оплату? Пусть подключится"
_THEM = frozenset(words("them him her пусть пускай нехай хай ним ней ними нею"))


@functools.lru_cache(maxsize=MATCH_CACHE_SIZE)  # asked for every word of an English message
def english_as_typed(word: str) -> tuple[float, str]:
    """How common ``word`` (folded: doubled letters collapsed) is in English, and the
    word as it was probably typed: "colect" is "collect", "pased" "passed"."""
    found = commonness.zipf(word, "en")
    if found or len(word) > MAX_UNDOUBLE:
        return found, word
    doubled = [word[: i + 1] + word[i:] for i in range(1, len(word))]
    return max(((commonness.zipf(w, "en"), w) for w in doubled), default=(0.0, word))


MAX_UNDOUBLE = 12


def _from_us(message_words: Sequence[str], pos: int) -> bool:
    """ "someone from your team", "a colleague at the store", "somebody of your staff":
    a person of ours (English)."""
    if pos + 1 >= len(message_words):
        return False
    if message_words[pos] in _SOMEONE_CYRILLIC:  # "кого-то из сервисного центра"
        return message_words[pos + 1] in _FROM_CYRILLIC
    if message_words[pos] not in _SOMEONE or message_words[pos + 1] not in _FROM:
        return False
    after = [w for w in message_words[pos + 2 : pos + 4] if w not in _OUR]
    return bool(after) and after[0] in _OURS


_SOMEONE = frozenset(words("someone somebody anyone anybody person human member colleague"))
_FROM = frozenset(words("from at of"))
_SOMEONE_CYRILLIC = frozenset(words("кого-то кого-нибудь кто-то когось кого-небудь хтось"))
_FROM_CYRILLIC = frozenset(words("из от с со із зі з від"))
_OUR = frozenset(words("your the this our yours"))
_OURS = frozenset(
    words(
        "team company staff store shop support returns accounts billing sales side repair "
        "repairs centre center warranty logistics service installation"
    )
)
_WHOM = frozenset(words("кем ким"))  # "с кем можно поговорить?"
_CAN = [[w] for w in words("можно можна")]
_WHO_CAN_I = frozenset(
    (modal, me) for modal in words("can could should do") for me in words("i we")
)


def _let_call(message_words: Sequence[str], pos: int) -> bool:
    """A call asked for oneself in the third person: "пусть мне позвонят", "хочу чтобы мне
    перезвонили", "хай мені подзвонять", "treba shob meni perezvonyly"; not "мне
    позвонят перед доставкой?"."""
    if not message_words[pos].startswith(_CALL_STEMS):
        return False
    before = message_words[max(0, pos - 3) : pos]
    near = message_words[max(0, pos - 2) : pos + 2]
    return any(w in _LET for w in before) and any(w in _ME for w in near)


_CALL_STEMS = ("позвон", "перезвон", "подзвон", "передзвон", "зателефон", "perezvon", "pozvon",
               "podzvon", "peredzvon", "zatelefon")  # fmt: skip
_LET = frozenset(words("пусть пускай хай нехай чтоб чтобы щоб шоб shob chtob chtoby nehai khai"))
_ME = frozenset(words("мне мені mne meni"))


@functools.lru_cache(maxsize=MATCH_CACHE_SIZE)
def is_language(word: str) -> bool:
    """ "по-английски", "spanish": a language named."""
    return word.removeprefix("по").startswith(_LANGUAGES)


@functools.lru_cache(maxsize=MATCH_CACHE_SIZE)
def may_trigger(word: str) -> bool:
    """Whether one of ``find``'s rules other than the concept words may apply to
    ``word``: most words of a message are none of these."""
    return word in _TRIGGERS or word.startswith(_CALL_STEMS) or _CLOCK.match(word) is not None


# the words find()'s own rules start from (besides the concept words and _CALL_STEMS)
_TRIGGERS = frozenset(
    frozenset(
        words(
            "like who word over charge responsible one email message head around lead pulse "
            "proper techie"
        )
    )
    | _ANSWERS_FOR
    | _MAIN
    | _THEM
    | _ANSWER
    | _YOU
    | _CALL_ME
    | _CALL_ME_IF_ME
    | _SPOKE
    | _SOMEONE
    | _SOMEONE_CYRILLIC
    | _WHOM
)
SMALL_WORDS = frozenset(words("a an the my your our of one to with"))
_MONEY = frozenset(words("bank wire money"))
_PLEASE = frozenset(words("please pls plz"))
_THANKS = frozenset(words("спасибо благодарность дякую подяку thanks thank"))
_CHAT_NOUNS = frozenset(words("support agent agents team"))  # folded as messages are
_ADVERBS = frozenset(words("really actually"))
_LINE = [[w] for w in words("line линия лінія")]

# words that may stand beside someone of ours in a bare call ("customer service", "a
# real human", "someone from returns please"), and prefixes of such words ("custmer")
BESIDE = frozenset(words("a an the being")) | _FROM | _OUR | _OURS | _FROM_CYRILLIC
BESIDE_PREFIXES = ("cust", "клиент", "служб")
