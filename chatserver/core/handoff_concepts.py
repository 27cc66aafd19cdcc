"""Requests for a person read as concepts ("let me talk to a human" in any words).

Phrases alone generalise poorly: visitors combine "a person" and "give me" in more
ways than any list holds ("можна живого оператора?", "could you put me through to a
staff member?"). So ``HandoffConcepts`` also reads a message as *concepts*, each a
small per-language word list matched with the same typo tolerance (stems, fuzzy):

* ``staff``: a word that names someone of ours ("оператор", "консультант", "agent");
* ``person``: a word for any human ("человек", "людина", "someone");
* ``live``: "живой", "справжній", "real", "live";
* ``reach``: a verb of being put in touch ("позовите", "з'єднайте", "talk", "put");
* ``want``: a bare wish ("хочу", "можна", "need"), weaker than ``reach``;
* ``avail``: being there ("available", "онлайн", "на связи");
* ``callback``: a call ("перезвоните", "зателефонуйте", "call");
* ``me``: "мне", "мені", "me", in a short message ("человека мне");
* ``bot``: the bot itself ("бот", "robot"); ``not``: a negation; ``stop``: "остановите",
  "stop"; ``callout``: "где", "ау", "агов".

A message is a request for a person when it has ``staff`` with ``reach`` or ``want``,
``person`` with ``reach`` or ``avail``, ``live`` with ``staff`` or ``person``, ``person``
with ``want`` in a message of a few words ("можно человека?"), ``live`` with ``reach``
("переключи на живого"), staff or a person next to a mention of the bot ("можно
человека, а не бота", "stop bot. agent please"), a person who should call back
("пусть менеджер мне перезвонит", in any order in English too: "can someone call me
back?"), a short call-out ("ау, оператор, ты где?"), a refusal of the bot ("не хочу
общаться с ботом") or an order to stop it ("остановите бота"), unless the wish
is a job ("хочу работать у вас менеджером"). Words are also read as they sound, the
unstressed vowels folded ("хачу пагаварить с чилавеком"), matched exactly. English puts the
verb first ("talk to a manager"), so there the verb must precede the person: "does
your staff speak English?" is a question about the shop. A person alone ("оператор")
is the single-word rule above. "Does your staff work on weekends" has no verb of
reaching and is left to the FAQ.

Where the words stand matters (``clauses`` splits a message into sentences and
clauses): the two words of a pair must share a sentence and be at most ``PAIR_WINDOW``
words apart (a long story that mentions "хочу" and, later, "консультант" asks for
nobody). A verb that a negation before it in its clause takes back ("не нужен мне
оператор", "I don't want to talk to anyone, just tell me...") makes no request, and
then no phrase does either (``HandoffConcepts.read``); neither does a message that
asks who answers ("я с ботом или с человеком?"), which language the staff speak, or a
mobile operator's tariff. A sentence asking for a way to reach the shop ("what number
do I call to reach someone?") or a message about the hours ("а у вихідні хтось
відповідає?") is the FAQ's.
A call asked for oneself ("перезвоните мне", "передзвоніть", "give me a ring", "call me
back") is a request, and so is a handover in a short clause ("transfer me", "escalate
this please", "соедините меня") or a sentence that is nothing but someone of ours or a
person ("Right, I've had enough. Human. Now.").

English has more small words between the two of a pair ("put me through to one of your
advisors"): articles and the like are not counted in the distance. A wish right before
the person ("I need someone who can...", "I'd like a person") asks for them in a clause
of any length. A sentence that asks about the staff or a thing ("are your agents real
people?", "does the staff discount apply...", "is this laptop too heavy for a person")
asks for nobody, unless it asks for "me" or whether someone is available; nor does
someone already spoken to ("I spoke to a real person earlier and...").
Such a sentence takes back a phrase too ("do your human agents read these chats?").
Someone named by where they work is one of ours ("somebody from your company", "someone
at the store"); "who can I speak to", "have a word", "take over" ask for them; a modal
between them and the verb is enough ("if a member of your team could take a look"). A
common English word names a concept only as it is: "speaker" is no typo of "speak".
The English word order applies only to English verbs: "mozhno s chelovekom pogovorit"
is Russian typed in Latin letters. Also requests: a call asked for in the third person
("пусть мне позвонят", "хай мені подзвонять"), a call ordered from a manager ("закажите
мне звонок от менеджера"), writing to staff ("написати співробітнику"), a wish to
escalate ("I want to escalate this"). Not a request: a sentence asking why ("зачем вы
поставили бота вместо людей?") is a complaint about the bot, and a channel far along a
sentence ("...no reply to 3 emails") or used as a verb ("have them email me") does not
make it a question about how to reach us.

Someone named in the sentence before counts for "them" or "let them" ("Who's in
charge? I want to talk to them", "Кто у вас отвечает за оплату? Пусть подключится");
someone of ours may be asked to look into it ("а менеджер может посмотреть мой
заказ?"); a bare call may carry the words that go beside a person ("cs rep", "someone
from returns please"). Not requests: someone named for whom ("штатив для оператора":
no phrase counts either), "you" right before a person ("ты настоящий человек?"), a verb
after "already" ("an agent already called me back"). A word named exactly is no typo of
another concept ("пожалуйста" is no "пожаловаться"). The word cues themselves (where a
word stands rather than what it means) are in ``handoff_cues``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import accumulate

from chatserver.core.handoff_cues import (
    BESIDE,
    BESIDE_PREFIXES,
    MODALS,
    SMALL_WORDS,
    english_as_typed,
    is_language,
    may_trigger,
    not_a_person,
    word_cues,
)
from chatserver.core.text import (
    MATCH_CACHE_SIZE,
    Vocabulary,
    stem,
    translit,
    translit_uk,
    words,
)

# Concept words, by language; folded and stemmed like questions (so "з'єднайте" and
# "зєднайте" are one word, and "оператора" finds "оператор"). Word forms the stemmers
# do not join are listed. Admins extend the phrase lists, not these.
HANDOFF_CONCEPTS: dict[str, dict[str, str]] = {
    "staff": {
        "ru": "оператор операторы менеджер консультант специалист сотрудник сотрудники "
        "представитель поддержка саппорт админ администратор начальство начальника "
        "руководство руководителя отдел отдела эксперт техподдержка агент агента продавец "
        "продавца мастер мастера администрация администрации администрацией персонал персонала",
        "uk": "оператор менеджер консультант спеціаліст спеціаліста працівник працівника "
        "співробітник представник підтримка адміністратор фахівець фахівця начальство "
        "керівництво керівника відділ відділу експерт техпідтримка агент агента продавець "
        "продавця майстер майстра адміністрація адміністрації адміністрацією персонал персоналу",
        "en": "operator agent representative rep manager staff employee specialist "
        "consultant supervisor admin administrator support sales team service salesperson "
        "boss colleague colleagues advisor adviser department care member expert executive "
        "superior senior technician engineer worker workers staffer",
    },
    "person": {
        "ru": "человек человека человеком люди людей людьми людям кто кто-нибудь кто-то "
        "кого-нибудь кем-нибудь кем-то кого-то кому-то кому-нибудь",
        "uk": "людина людину людиною люди людей людьми людям хто хтось когось хто-небудь "
        "комусь кимось",
        "en": "human person people someone somebody anyone anybody whoever guy dude lady "
        "lass lad lads sapiens",
    },
    "live": {
        "ru": "живой живого живым живые живых реальный реального настоящий",
        "uk": "живий живого живою жива живу живі справжній справжню реальну",
        "en": "live real actual",
    },
    "reach": {
        "ru": "позовите позови зовите позвать соедините соединить соедини переключите "
        "переключить переведите передайте пригласите поговорить говорить общаться "
        "пообщаться связаться свяжите дайте дай обсудить "
        "вызовите вызвать подключите подключить разговор гоните давайте свяжется свяжетесь "
        "жалоба жалобу пожаловаться эскалируйте",
        "uk": "покличте поклич покликати зєднайте зєднати переключіть переведіть передайте "
        "поговорити говорити спілкуватися поспілкуватися звязатися звяжіть дайте дай "
        "обговорити викличте викликати запросіть запросити "
        "підключіть підключити розмови розмову кличте клич давайте перемкніть перемкни "
        "перемкнути звяжеться звяжіться скарга скаргу поскаржитися кликніть ескалюйте",
        "en": "talk speak chat connect transfer put get give reach escalate contact discuss "
        "forward pass hand refer redirect switch bring invite complaint complain look touch find "
        "ping patch handle loop assign hook sort deal explain natter conversation fetch jump",
    },
    # "а менеджер может посмотреть мой заказ?", "can somebody from the team check the
    # payment": someone of ours to look into it
    "check": {
        "ru": "посмотреть посмотрите глянуть гляньте проверить проверьте разобраться",
        "uk": "подивитися подивіться глянути гляньте перевірити перевірте розібратися",
        "en": "check review investigate peek squiz gander",
    },
    # "написать менеджеру", "write to an agent": writing to someone of ours ("хто написав
    # кобзаря" asks about a writer)
    "write": {
        "ru": "написать напишите",
        "uk": "написати напишіть",
        "en": "write",
    },
    # "transfer me", "escalate this please", "соедините меня": handing the chat over, a
    # request in a short clause even with nobody named
    "handover": {
        "ru": "соедините переключите эскалируйте",
        "uk": "зєднайте переключіть перемкніть ескалюйте",
        "en": "transfer escalate connect redirect",
    },
    # "пусть менеджер мне перезвонит", "can someone call me back": a call from a person.
    "callback": {
        "ru": "перезвоните перезвонить перезвонит позвоните позвонит позвонить наберите "
        "звонок звонка",
        "uk": "передзвоніть передзвонити передзвонить зателефонуйте зателефонує "
        "подзвоніть подзвонить дзвінок дзвінка",
        "en": "call callback ring",
    },
    "want": {
        "ru": "хочу хотим нужен нужна нужно можно требуется прошу требую",
        "uk": "хочу потрібен потрібна потрібно треба можна прошу вимагаю",
        "en": "want need require request demand",
    },
    # "человека мне", "оператора мені": a person wanted for oneself, in a short message
    "me": {
        "ru": "мне меня мной",
        "uk": "мені мене мною",
        "en": "me",
    },
    # Wanting to *become* staff is a job question, not a request for one.
    # "Is a human available?", "кто-нибудь есть на связи?": asking whether a person is
    # there is asking for one (any order, in English too).
    "avail": {
        "ru": "доступен доступна доступны свободен свободна свободны онлайн связи есть "
        "помогите помочь",
        "uk": "доступний доступна доступні вільний вільна вільні онлайн звязку є "
        "допоможіть допомогти",
        "en": "available around online free there help assist",
    },
    "job": {
        "ru": "работать работа вакансия вакансии стать устроиться резюме",
        "uk": "працювати робота вакансія вакансії стати влаштуватися резюме",
        "en": "job work hiring career vacancy become",
    },
    # "не хочу общаться с ботом", "i don't want a bot": a refusal of the bot.
    "not": {
        "ru": "не нет",
        "uk": "не ні",
        "en": "not dont don't no",
    },
    # "я с ботом или с человеком?", "are you real people or AI": who answers, not a wish.
    "or": {
        "ru": "или либо",
        "uk": "чи або",
        "en": "or",
    },
    # "есть почта, куда написать в поддержку?", "what number do I call to reach
    # someone?": asking for a way to reach the shop, which the FAQ answers.
    "channel": {
        "ru": "телефон номер почта почту емейл имейл email e-mail телеграм вайбер ватсап",
        "uk": "телефон номер пошта пошту імейл email e-mail телеграм вайбер",
        "en": "phone number email e-mail telegram whatsapp viber",
    },
    # asking for something: with "channel", a way to reach the shop
    "question": {
        "ru": "какой какому какая куда где как",
        "uk": "який якому яка куди де як",
        "en": "what which where how",
    },
    # "a person, please", "человека пожалуйста": a bare wish in a short clause
    "please": {
        "ru": "пожалуйста плиз пжл плз",
        "uk": "ласка плиз пліз плз",
        "en": "please pls plz",
    },
    # "у какого оператора самый дешёвый тариф": a mobile operator, not ours
    "telecom": {
        "ru": "тариф тарифы мобильная мобильной мобильную сотовая сотовой симка сим-карта",
        "uk": "тариф тарифи мобільний мобільного мобільну симка сім-карта",
        "en": "",
    },
    # "у вихідні хтось відповідає?", "is support available at night?": the hours.
    "schedule": {
        "ru": "выходные выходных ночью ночь воскресенье субботу праздники круглосуточно",
        "uk": "вихідні вихідних вночі ніч неділю суботу свята цілодобово",
        "en": "weekend weekends night nights sunday sundays saturday saturdays holidays midnight",
    },
    "bot": {
        "ru": "бот бота ботом робот нейросеть автоответчик автоответчиком автоответы автоответов",
        "uk": "бот бота ботом робот нейромережа автовідповідач автовідповідачем автовідповіді",
        "en": "bot robot chatbot ai neural automated algorithm",
    },
    # "остановите бота", "stop the bot": whoever stops the bot wants someone else.
    "stop": {
        "ru": "остановите остановись хватит стоп выключите отключите",
        "uk": "зупиніть зупинись досить стоп вимкніть відключіть",
        "en": "stop enough quit",
    },
    # "ау, оператор, ты где?": calling out for someone who should be there.
    "callout": {
        "ru": "где ау",
        "uk": "де агов",
        "en": "where",
    },
}
# Requests a staff word or a live person makes alone: (concept, concept) pairs.
_CONCEPT_RULES = (
    ("staff", "reach"),
    ("staff", "want"),
    ("person", "reach"),
    ("staff", "live"),
    ("person", "live"),
    ("person", "avail"),
    ("live", "reach"),  # "переключи на живого"
    ("staff", "callback"),
    ("person", "callback"),
    ("staff", "bot"),  # "stop bot. agent please"
    ("person", "bot"),  # "F this bot. human. now."
    ("staff", "answer"),  # "пусть оператор ответит"
    ("person", "answer"),
    ("callme", "me"),  # "перезвоните мне", "give me a ring"
    ("callme", "want"),  # "i want a callback"
    ("reach", "me"),  # "свяжитесь со мной", "contact me" (close: LIVE_WINDOW)
    ("staff", "avail"),  # "is there a staff member available?"
    ("staff", "write"),  # "де тут кнопка, щоб написати співробітнику"
    ("whom", "reach"),  # "who can I speak to about a complaint?"
    ("staff", "check"),  # "а менеджер может посмотреть мой заказ?"
    ("person", "check"),  # "I'd appreciate it if a human could review this"
)
# Pairs that make a request only in a clause of a few words: "можно человека?",
# "оператора мне пожалуйста, сама не разберусь".
_SHORT_PAIRS = (
    ("person", "want"),
    ("person", "me"),
    ("staff", "me"),
    ("person", "please"),
    ("staff", "please"),
    ("handover", "me"),  # "transfer me", "соедините меня"
    ("handover", "please"),  # "escalate this please"
    ("handover", "want"),  # "i want to escalate this"
)
# The two words of a pair stand in one sentence, at most this many words apart: in a
# long message "хочу ... приехать и посмотреть с консультантами" is no request.
PAIR_WINDOW = 5
# a channel this close to the verb asks for a way to reach the shop ("есть почта, куда
# написать в поддержку?"), not one far along a long sentence ("...no reply to 3 emails")
CHANNEL_WINDOW = 6
MODAL_REACH = 3  # "can someone from the team contact me": a modal this close before
LIVE_WINDOW = 2  # "живой оператор", "a real person": the word right before the person
# Verbs a negation before them in their clause takes back: "не нужен мне оператор",
# "I don't want to talk to anyone, just tell me...". "не могу связаться" is a request.
_NEGATED = frozenset(
    {"want", "reach", "callback", "callme", "callasked", "answer", "avail", "handover"}
)
NEGATION_WINDOW = 3
_SCOPED_NEGATIONS = frozenset(
    words("не not dont doesnt didnt never обещал обещала обіцяв обіцяла promised already")
)
_WITHOUT = frozenset(words("без without no"))  # "без менеджера плиз", "no human needed"
# English questions about the staff or a thing, not asking for someone: "are your agents
# real people?", "does the staff discount apply...", "is this laptop too heavy for a
# person": the verb first and then whom it asks about.
_ASKS_ABOUT = (  # (the verb, whom it asks about)
    (frozenset(words("are is am was were")), frozenset(words("you your this these they i my the"))),
    (frozenset(words("do does did")), frozenset(words("your this these they i my the"))),
)
_BARE_NEGATIONS = frozenset(words("нет ні no"))  # only right before the verb: "no need"
_ABILITY = frozenset(words("могу можу может може can could"))
# Verbs that a sentence naming a way to reach the shop, or a message about its hours,
# takes back (see _score).
_CHANNEL_VERBS = frozenset({"want", "reach", "avail", "please", "me"})
_SCHEDULE_VERBS = frozenset({"avail", "answer", "reach"})
SHORT_REQUEST = 3  # "можно человека?", "need a person": a person and a wish, little else
SHORT_CALL = 5  # "ау оператор ты где", "where is the agent": a call-out, little else

TERM_MATCH = 0.8  # each phrase term needs a query term at least this similar
SOUND_MATCH = 0.85  # a concept word spelt as heard ("чилавек"): a likely typo
MIN_SOUND_LEN = 3
SHORT_WORD = 5  # a word this short is "avail" only as it is ("these" is no "there")
ENGLISH_ZIPF = 3.0  # a Latin word this common is English, not Latin-typed Cyrillic
SHORT_LATIN = 4  # ...but a short one may be Latin-typed Cyrillic too ("day ludynu")
_SHORT_TRANSLIT = frozenset({"net", "ne", "est"})  # ...even in English: "нет", "не", "есть"
KNOWN_ENGLISH_ZIPF = 4.0  # an English word this common names a concept only as it is
COMPOUND = 4  # an English word this much longer than a concept word it begins with is another word
BOT_MATCH = 0.9  # the bot is named, not a prefix of "роботпилосос" (робот-пилосос)
CYRILLIC_MATCH = 0.86  # a Cyrillic word is staff or a person only this close ("хотел", "отдел")
# concepts held to BOT_MATCH: "care" is no "career", "collect" no "connect"
# "right" is no "night", "прошлый" no "прошу", "написав" no "написати"
_EXACTING = frozenset({"bot", "job", "handover", "schedule", "want", "write"})


def _latin_typed(word: str) -> bool:
    """A longer Latin word that English does not know: Latin-typed Cyrillic, probably."""
    return len(word) >= SHORT_LATIN and word.isascii() and english_as_typed(word)[0] == 0.0


def sounds_like(term: str) -> str:
    """A Cyrillic stem as it sounds, with the vowels that are spelt as heard when
    unstressed folded together (о/а, е/и/я): "пагаварить" and "поговорить", "чилавек"
    and "человек" meet. Latin and other words are returned as they are."""
    return term.translate(_SOUNDS)


_SOUNDS = str.maketrans({"о": "а", "е": "и", "я": "и", "є": "и", "і": "и"})


def _mark(found: dict[str, dict[int, float]], concept: str, pos: int, sim: float) -> None:
    """Record ``concept`` at ``pos`` with its best similarity there."""
    at = found.setdefault(concept, {})
    at[pos] = max(at.get(pos, 0.0), sim)


def _wants(message_words: Sequence[str], verb_pos: int, pos: int) -> bool:
    """English "I need someone who...", "I want a human", "I'd like a person": the wish
    itself, right before the person (anywhere in a longer clause)."""
    return 0 < pos - verb_pos <= LIVE_WINDOW and message_words[verb_pos] in _FIRST_WISH


_FIRST_WISH = frozenset(words("want wants need needs wanna like"))
_ASKING = ("staff", "person", "reach", "want", "please", "me", "callme", "handover")
_THINGS_OF = [[w] for w in words("their his its")]
_WHO_WORDS = frozenset(words("who that кто который хто який"))
(_ESCALATE,) = words("escalat")
_WHY = frozenset(words("зачем почему навіщо чому why"))
# someone of ours asked to look into it: "а менеджер может посмотреть", "пусть менеджер
# проверит", "can somebody from the team check"; not "где оператор доставки посмотреть"
_CHECK_ASKED = frozenset(
    words("может може можете можуть могли могут пусть пускай хай нехай can could would will")
)


class HandoffConcepts:
    """Finds a request for a person as a combination of concepts (module docstring)."""

    __slots__ = ("_by_sound", "_cache", "_concepts", "_vocab")

    def __init__(self, concepts: Mapping[str, Mapping[str, str]] = HANDOFF_CONCEPTS) -> None:
        owned: dict[str, set[str]] = {}  # stem -> the concepts it names
        for concept, by_locale in concepts.items():
            for words_ in by_locale.values():
                for word in words(words_):
                    owned.setdefault(stem(word), set()).add(concept)
        self._vocab = Vocabulary(owned)
        self._concepts = tuple(frozenset(owned[t]) for t in self._vocab.terms)
        # The same stems as they sound (sounds_like), matched exactly: folding the vowels
        # and allowing a typo on top would make "один" an "админ".
        by_sound: dict[str, set[str]] = {}
        for term, named in owned.items():
            by_sound.setdefault(sounds_like(term), set()).update(named)
        self._by_sound = {term: frozenset(named) for term, named in by_sound.items()}
        self._cache: dict[tuple[str, bool], tuple[tuple[str, float], ...]] = {}

    def find(
        self, message_words: Sequence[str], english: bool = False
    ) -> dict[str, list[tuple[int, float]]]:
        """Concept -> (position, similarity) of each folded word that names it; in an
        ``english`` message a short English word is not read as Latin-typed Cyrillic
        ("all day" is no "дай")."""
        found: dict[str, dict[int, float]] = {}
        languages = {pos for pos, word in enumerate(message_words) if is_language(word)}
        # "day ludynu": a Latin word English does not know makes the short ones Cyrillic too
        english = english and not any(map(_latin_typed, message_words))
        for pos, word in enumerate(message_words):
            if word in _SCOPED_NEGATIONS:
                _mark(found, "not", pos, 1.0)
                continue  # "обещал" is no "общаться"
            language = pos + 1 in languages or pos + 2 in languages
            if language:
                _mark(found, "language", pos, 1.0)  # "do your managers speak Spanish?"
            named = self._named_by(word, english)
            if not named and not may_trigger(word):
                continue  # most words: nothing below applies to them
            if not_a_person(message_words, pos, language):
                if any(concept in ("staff", "person") for concept, _ in named):
                    _mark(found, "aside", pos, 1.0)  # "штатив для оператора"
                continue
            for concept, sim in named:
                _mark(found, concept, pos, sim)
            for concept in word_cues(message_words, pos):
                _mark(found, concept, pos, 1.0)
        return {concept: sorted(at.items()) for concept, at in found.items()}

    def forget(self) -> None:
        """Empty the per-word memos (benchmarks measure the first reading of a word)."""
        self._cache.clear()
        self._vocab.forget()

    def _named_by(self, word: str, english: bool = False) -> tuple[tuple[str, float], ...]:
        """The concepts ``word`` (folded) names, with their similarity, as written, as
        Latin-typed Cyrillic and as heard; memoised per word."""
        cached = self._cache.get((word, english))
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        readings = [stem(word)]
        native = readings[0] if word.isascii() else None
        # a common English word is no typo of another ("speaker" is not "speak")
        frequency, typed = english_as_typed(word) if native is not None else (0.0, word)
        if typed != word:  # "passed" folds to "pased", whose stem is no "pass"
            readings += words(stem(typed))
        as_english = set(readings)  # the readings of an English word (not the Cyrillic ones)
        known = frequency >= KNOWN_ENGLISH_ZIPF
        # an English word is no Latin-typed Cyrillic ("talk" is no "талк"), unless short
        # ("net", "est" are "нет", "есть" too)
        short = len(word) < SHORT_LATIN if not english else word in _SHORT_TRANSLIT
        latin = translit(word) if frequency < ENGLISH_ZIPF or short else ""
        if latin:  # "dayte operatora", "vyklychte": Latin-typed Russian or Ukrainian
            readings.append(stem(latin))
            ukrainian = translit_uk(latin)
            if ukrainian != latin:
                readings.append(stem(ukrainian))
        for reading in readings:
            for tid, sim in self._vocab.matches(reading).items():
                if sim < TERM_MATCH:
                    continue
                if (
                    sim < 1.0
                    and native is not None
                    and len(reading) >= len(self._vocab.terms[tid]) + COMPOUND
                ):
                    continue  # "speakerphone" is no "speak", "human-readable" no "human"
                if sim < 1.0 and known and reading in as_english:
                    continue  # English word forms are the stemmer's: "speaker" is no "speak"
                for concept in self._concepts[tid]:
                    if concept in _EXACTING and sim < BOT_MATCH:
                        continue
                    if concept in ("staff", "person") and sim < CYRILLIC_MATCH and native is None:
                        continue  # "хотел" is no "отдел", "продаваться" no "продавца",
                        # "якого" no "кого-то" (but "agant" is an agent)
                    if concept == "avail" and sim < 1.0 and len(reading) <= SHORT_WORD:
                        continue  # "these" is no "there", "free" no "fre"
                    found[concept] = max(found.get(concept, 0.0), sim)
        # spelt as heard: "хачу пагаварить с чилавеком", "pagavarit"; not a word of
        # one or two letters ("i" would be read "є")
        if len(readings[-1]) >= MIN_SOUND_LEN:
            for concept in self._by_sound.get(sounds_like(readings[-1]), ()):
                if concept != "bot":  # "работы" sounds like "робот"
                    found[concept] = max(found.get(concept, 0.0), SOUND_MATCH)
        if 1.0 in found.values():  # a word named exactly is no typo of another concept
            found = {c: sim for c, sim in found.items() if sim >= 1.0}  # "пожалуйста"
        if len(self._cache) >= MATCH_CACHE_SIZE:
            self._cache.clear()
        out = self._cache[word, english] = tuple(found.items())
        return out

    def _as_written(self, word: str, concept: str) -> bool:
        """Whether ``word`` names ``concept`` as written, not only as Latin-typed Cyrillic
        ("mozhno s chelovekom pogovorit" has Russian word order)."""
        return any(
            sim >= TERM_MATCH and concept in self._concepts[tid]
            for tid, sim in self._vocab.matches(stem(word)).items()
        )

    def read(
        self,
        message_words: Sequence[str],
        english: bool,
        sentence_of: Sequence[int],
        clause_of: Sequence[int],
    ) -> tuple[float, bool]:
        """``score``, and whether the message, whatever phrase it holds, is no request
        for a person (then no phrase is read): it turns one down ("не нужен мне
        оператор, просто скажи...", "no need for a human"), asks who answers ("am I
        chatting with a real person or AI?"), which language the staff speak ("do your
        managers speak Spanish?") or about a mobile tariff."""
        found = self.find(message_words, english)
        vetoed = bool(found.keys() & {"language", "telecom"} or _who_answers(found, sentence_of))
        # someone named only aside ("штатив для оператора"): no phrase asks for them
        vetoed |= "aside" in found and not found.keys() & {"staff", "person", "live"}
        score, declined = self._assess(found, message_words, english, sentence_of, clause_of)
        if english and not vetoed:  # "do your human agents read these chats later?"
            # (but "Are you a real person? If not, please get me one")
            asking = {sentence_of[pos] for c in _ASKING for pos, _ in found.get(c, ())}
            vetoed = bool(asking) and asking <= _asks_about(found, message_words, sentence_of)
        return score, vetoed or declined

    def score(
        self,
        message_words: Sequence[str],
        english: bool,
        sentence_of: Sequence[int] | None = None,
        clause_of: Sequence[int] | None = None,
    ) -> float:
        """0..100 when the concepts in ``message_words`` make a request for a person;
        ``sentence_of``/``clause_of`` (``clauses``) say where each word stands (one
        sentence when not given)."""
        n = len(message_words)
        sentence = sentence_of if sentence_of is not None else [0] * n
        clause = clause_of if clause_of is not None else [0] * n
        found = self.find(message_words, english)
        return self._assess(found, message_words, english, sentence, clause)[0]

    def _assess(
        self,
        found: dict[str, list[tuple[int, float]]],
        message_words: Sequence[str],
        english: bool,
        sentence: Sequence[int],
        clause: Sequence[int],
    ) -> tuple[float, bool]:
        """The score of the concepts ``found`` (which it edits: see ``_take_back``), and
        whether a negation or "без" took a request for someone back."""
        n = len(message_words)

        def best(concept: str) -> float:
            return max((sim for _, sim in found.get(concept, ())), default=0.0)

        refused = 0.0  # the bot turned away: read before _take_back drops the verbs
        for bot, _ in found.get("bot", ()):

            def near(concept: str, bot: int = bot) -> list[int]:
                return [
                    pos
                    for pos, _ in found.get(concept, ())
                    if sentence[pos] == sentence[bot] and abs(pos - bot) <= PAIR_WINDOW
                ]

            # "не хочу с ботом", "i don't want to talk to a bot": the bot refused (not
            # "no need for a human, the bot answered": someone else stands between)
            people = near("staff") + near("person")
            if any(
                _negated(message_words, clause, pos)
                and not any(min(pos, bot) < who < max(pos, bot) for who in people)
                for pos in near("want") + near("reach")
            ):
                refused = 100.0 * min(best("bot"), best("not"))
                break
            # "остановите бота", "stop the bot": the verb first ("бот остановился")
            if any(pos < bot for pos in near("stop")):
                refused = 100.0 * min(best("bot"), best("stop"))
                break
        declined = _take_back(found, message_words, clause)
        if refused:
            return refused, declined
        if not found.keys() & {
            "staff",
            "person",
            "live",
            "callme",
            "callasked",
            "handover",
            "whom",
        } and not (
            {"reach", "me"} <= found.keys()  # "свяжитесь со мной"
        ):
            return 0.0, declined
        in_sentence: dict[str, set[int]] = {
            concept: {sentence[pos] for pos, _ in at} for concept, at in found.items()
        }
        clause_size = Counter(clause)
        # "перезвоните пожалуйста", "передзвоніть мені": a call asked for, little else
        if any(clause_size[clause[pos]] <= SHORT_REQUEST for pos, _ in found.get("callme", ())):
            return 100.0 * best("callme"), declined
        if found.get("callasked"):  # "can I get a call about...", "arrange callback"
            return 100.0, declined
        # "эскалируйте обращение", "з'єднайте": handing over, little else (not English:
        # "connect bluetooth")
        if not english and any(
            clause_size[clause[pos]] <= SHORT_REQUEST and not message_words[pos].isascii()
            for pos, _ in found.get("handover", ())
        ):
            return 100.0 * best("handover"), declined
        if any(  # "Escalate.", "escalate pls"
            clause_size[clause[pos]] <= 2 and message_words[pos].startswith(_ESCALATE)
            for pos, _ in found.get("handover", ())
        ):
            return 100.0 * best("handover"), declined
        asked_who = _who_answers(found, sentence)
        if english:
            asked_who |= _asks_about(found, message_words, sentence)
        # "по какому номеру дозвониться до поддержки?": asking for a way to reach us
        # a channel used as a verb asks for a call or a mail ("have them email me")
        channels = [
            pos for pos, _ in found.get("channel", ()) if message_words[pos + 1 : pos + 2] != ["me"]
        ]
        asked_channel = {sentence[pos] for pos in channels} & in_sentence.get("question", set())
        top = max(_alone(found, message_words, sentence, asked_who), _named_before(found, sentence))
        # how far apart words are: in English, not counting articles and the like ("put
        # me through to one of your advisors")
        at = list(range(n)) if not english else list(accumulate(
            w not in SMALL_WORDS for w in message_words))  # fmt: skip
        # the words that count, in order (at[pos] - 1 is a counted word's place here)
        counted = [w for w in message_words if w not in SMALL_WORDS] if english else []
        why = {  # sentences that ask why: "зачем вы поставили бота вместо людей?"
            sentence[pos]
            for pos in range(n)
            if message_words[pos] in _WHY and (pos == 0 or sentence[pos - 1] != sentence[pos])
        }
        mes = [pos for pos, _ in found.get("me", ())]
        schedules = [pos for pos, _ in found.get("schedule", ())]
        callmes = {pos for c in ("callme", "callasked") for pos, _ in found.get(c, ())}
        people_at = {pos for c in ("person", "staff") for pos, _ in found.get(c, ())}
        on_duty = {  # "any humans working today?" (not "how many people work in...")
            pos: sim
            for pos, sim in found.get("job", ())
            if pos - 1 in people_at and message_words[pos].endswith("ing")
        }
        if on_duty:  # someone at work is someone there
            found["avail"] = sorted([*found.get("avail", ()), *on_duty.items()])
        jobs = {  # not "...5 working days.", "someone who works there"
            sentence[pos]
            for pos, _ in found.get("job", ())
            if (pos == 0 or message_words[pos - 1] not in _WHO_WORDS) and pos not in on_duty
        }
        pairs = [*_CONCEPT_RULES, *_SHORT_PAIRS]
        if n <= SHORT_CALL:  # "ау, оператор, ты где?"
            pairs += [("staff", "callout"), ("person", "callout")]
        for who, verb in pairs:
            if verb == "bot" and declined:
                continue  # "no need for a human, the bot answered"

            for pos, sim in found.get(who, ()):
                if verb in ("want", "avail") and sentence[pos] in jobs:
                    continue  # "хочу работать у вас менеджером", "есть вакансии?"
                for verb_pos, verb_sim in found.get(verb, ()):
                    close = "live" in (who, verb) or who in ("callme", "reach")
                    window = LIVE_WINDOW if close else PAIR_WINDOW
                    if abs(at[pos] - at[verb_pos]) > window:
                        continue
                    if verb != "bot" and sentence[pos] != sentence[verb_pos]:
                        continue  # but "F this bot. human. now."
                    if verb == "bot" and sentence[pos] in why:
                        continue  # a complaint, not a request
                    if (
                        english
                        and verb == "callback"
                        and verb_pos < pos
                        and verb_pos not in callmes  # "can I get a call from a manager"
                        and not any(0 < m - verb_pos <= 2 for m in mes)
                    ):
                        continue  # "can the doorbell call my phone when someone presses it"
                    if (
                        english
                        and verb == "reach"
                        and message_words[verb_pos + 1 : verb_pos + 2] in _THINGS_OF
                    ):
                        continue  # "can two people connect their headphones"
                    if (
                        who == "reach"
                        and verb == "me"
                        and (
                            verb_pos < pos
                            or (
                                message_words[pos].isascii()
                                and not message_words[pos].startswith("contact")
                            )
                        )
                    ):
                        continue  # "свяжитесь со мной", "contact me"; not "give me a recipe"
                    if (
                        verb == "check"
                        and (
                            verb_pos < pos  # "приехать и посмотреть с консультантами": with them
                            # asked: "менеджер может посмотреть?", "can someone check"
                            or _CHECK_ASKED.isdisjoint(message_words[max(0, pos - 3) : verb_pos])
                            # "could a human review this", not "can someone check stock"
                            or (who == "person" and stem(message_words[pos]) not in _PERSON_NOUNS)
                        )
                    ):
                        continue
                    if verb == "avail" and clause[pos] != clause[verb_pos]:
                        continue  # "Hi there, I'm a travel agent"
                    if (
                        (who, verb) in _SHORT_PAIRS
                        and clause_size[clause[pos]] > SHORT_REQUEST
                        and not (who == "handover" and verb_pos == pos + 1)  # "connect me"
                        and not (english and _wants(message_words, verb_pos, pos))
                    ):
                        continue  # "можно человека?", "оператора мне пожалуйста, сама..."
                    if (
                        english
                        and verb in ("reach", "want")
                        and verb_pos > pos
                        and who != "whom"  # "who can I speak to?"
                        and self._as_written(message_words[verb_pos], verb)  # not "pogovorit"
                    ):
                        # "does your staff speak...?" asks about them; "can someone
                        # contact me", "could an agent look into this", "if a member of
                        # your team could take a look" ask for them
                        # (small words not counted: "possible for one of your colleagues")
                        asked = counted[max(0, at[pos] - 1 - MODAL_REACH) : at[verb_pos - 1]]
                        if not any(w in MODALS for w in asked):
                            continue
                    here = sentence[pos]
                    if here in asked_who or here in asked_channel:
                        continue  # "я с ботом или с человеком?", "what number do I call?"
                    if (
                        verb in _CHANNEL_VERBS
                        and who not in ("callme", "reach")  # "phone me", "свяжитесь со мной"
                        and not any(0 < m - verb_pos <= 3 for m in mes)
                        and any(
                            sentence[c] == here and abs(c - verb_pos) <= CHANNEL_WINDOW
                            for c in channels
                        )
                    ):
                        continue  # "есть почта, куда написать в поддержку?"
                    if verb in _SCHEDULE_VERBS and any(
                        sentence[t] == here and min(abs(t - pos), abs(t - verb_pos)) <= PAIR_WINDOW
                        for t in schedules
                    ):
                        continue  # "а у вихідні хтось відповідає в чаті?" (not "...on Saturday")
                    top = max(top, 100.0 * min(sim, verb_sim))
        return top, declined


def _take_back(
    found: dict[str, list[tuple[int, float]]], message_words: Sequence[str], clause: Sequence[int]
) -> bool:
    """Drop the verbs a negation before them in their clause takes back, the people
    after "без"/"without"/"no", and those after "spoke/talked" in their clause (someone
    already spoken to: "I spoke to a real person earlier and..."); True when that took
    back a request for someone ("не нужен мне оператор", "no need for a human", "без
    менеджера плиз")."""
    declined = False
    people = {clause[pos] for c in ("staff", "person") for pos, _ in found.get(c, ())}
    for verb in _NEGATED & found.keys():
        kept = [(pos, sim) for pos, sim in found[verb] if not _negated(message_words, clause, pos)]
        declined |= any(clause[pos] in people for pos, _ in found[verb] if (pos, _) not in kept)
        found[verb] = kept
    spoke = found.get("spoke", ())

    def dropped(who: str, pos: int) -> bool:
        if who != "live" and pos > 0 and message_words[pos - 1] in _WITHOUT:
            return True
        return any(k < pos and clause[k] == clause[pos] for k, _ in spoke)

    for who in ("staff", "person", "live"):
        if who in found:
            kept = [(pos, sim) for pos, sim in found[who] if not dropped(who, pos)]
            declined |= len(kept) < len(found[who])
            found[who] = kept
    return declined


def _asks_about(
    found: Mapping[str, list[tuple[int, float]]],
    message_words: Sequence[str],
    sentence: Sequence[int],
) -> set[int]:
    """English sentences that ask about the staff or a thing (``_ASKS_ABOUT``: "are your
    agents real people?", "does the staff discount apply"), unless they ask for someone
    all the same: "me" ("are you able to put me through...?") or a person available
    ("are your agents available now?")."""
    out: set[int] = set()
    for start in range(len(message_words) - 1):
        if start > 0 and sentence[start - 1] == sentence[start]:
            continue
        first, second = message_words[start], message_words[start + 1]
        if sentence[start + 1] == sentence[start] and any(
            first in verbs and second in whom for verbs, whom in _ASKS_ABOUT
        ):
            out.add(sentence[start])
    if not out:
        return out
    people = [pos for c in ("staff", "person") for pos, _ in found.get(c, ())]
    for concept in ("me", "callme"):
        out -= {sentence[pos] for pos, _ in found.get(concept, ())}
    for pos, _ in found.get("avail", ()):
        if any(abs(pos - who) <= LIVE_WINDOW for who in people):
            out.discard(sentence[pos])
    return out


def _named_before(found: Mapping[str, list[tuple[int, float]]], sentence: Sequence[int]) -> float:
    """A wish or a verb of reaching for "them" or "let them", right after a sentence that
    names someone of ours: "Who's in charge? I want to talk to them", "Кто у вас отвечает
    за оплату? Пусть подключится"."""
    staff_in = {sentence[pos] for pos, _ in found.get("staff", ())}
    top = 0.0
    for them, _ in found.get("them", ()):
        if sentence[them] - 1 not in staff_in:
            continue
        for verb in ("want", "reach", "callback"):
            for pos, sim in found.get(verb, ()):
                if sentence[pos] == sentence[them] and abs(pos - them) <= PAIR_WINDOW:
                    top = max(top, 100.0 * sim)
    return top


def _alone(
    found: Mapping[str, list[tuple[int, float]]],
    message_words: Sequence[str],
    sentence: Sequence[int],
    asked_who: set[int],
) -> float:
    """A sentence that is nothing but someone of ours or a person ("Agent.", "Right, I've
    had enough. Human. Now.", "Оператор!", "cs rep", "customer service pls"): a call for
    them."""
    pleases = {pos for pos, _ in found.get("please", ())}
    people = {pos for c in ("staff", "person", "live") for pos, _ in found.get(c, ())}
    size = Counter(sentence[pos] for pos in range(len(sentence)) if pos not in pleases)
    others = Counter(
        sentence[pos]
        for pos, word in enumerate(message_words)
        if pos not in pleases
        and pos not in people
        and word not in BESIDE
        and not word.startswith(BESIDE_PREFIXES)
    )
    top = 0.0
    for who in ("staff", "person"):
        for pos, sim in found.get(who, ()):
            here = sentence[pos]
            if here in asked_who or others[here] or size[here] > SHORT_REQUEST:
                continue
            if who == "person" and stem(message_words[pos]) not in _PERSON_NOUNS:
                continue  # "Who?", "Someone." are no call
            top = max(top, 100.0 * sim)
    return top


_PERSON_NOUNS = frozenset(stem(w) for w in words("human person человек людина"))


def _who_answers(found: Mapping[str, list[tuple[int, float]]], sentence: Sequence[int]) -> set[int]:
    """Sentences that ask whether a bot or a person answers: an "or" between a bot word
    and a person ("я с ботом или с человеком?", "are you real people or AI?"), or "you"
    right before a person ("ты настоящий человек?", "ти справжня людина?")."""
    out = set()
    people = found.get("person", []) + found.get("live", []) + found.get("staff", [])
    for you, _ in found.get("you", ()):
        if any(
            0 < pos - you <= LIVE_WINDOW and sentence[pos] == sentence[you] for pos, _ in people
        ):
            out.add(sentence[you])
    present = {sentence[pos] for pos, _ in found.get("avail", ())}  # "тут люди есть или..."
    for or_pos, _ in found.get("or", ()):
        for bot_pos, _ in found.get("bot", ()):
            for pos, _ in people:
                same = sentence[or_pos] == sentence[bot_pos] == sentence[pos]
                if same and min(bot_pos, pos) < or_pos < max(bot_pos, pos):
                    out.add(sentence[or_pos])
    out -= present
    return out


def _negated(message_words: Sequence[str], clause: Sequence[int], pos: int) -> bool:
    """Whether a negation before the verb at ``pos``, in its clause, takes it back."""
    if pos > 0 and message_words[pos - 1] in _BARE_NEGATIONS:
        return True
    for k in range(max(0, pos - NEGATION_WINDOW), pos):
        if clause[k] != clause[pos] or message_words[k] not in _SCOPED_NEGATIONS:
            continue
        if k + 1 < len(message_words) and message_words[k + 1] in _ABILITY:
            continue  # "не могу связаться с оператором": a request
        return True
    return False
