"""Built-in intents that beat FAQ matching: "let me talk to a human".

A visitor who asks for a person must get one even when an FAQ entry happens to share
words with the request, so the check runs before the FAQ match. Phrases are compared
term by term with the same fuzzy similarity as the FAQ (typos and word forms work:
"позовите оператра", "покличте людину").

Two kinds of phrase, because a lone word is weak evidence:

* a multi-word phrase ("живой человек", "talk to a human") counts anywhere in the
  message: "здравствуйте, а можно живого человека?" is a request for a person;
* a single word ("оператор", "agent") counts only when the message is about little
  else: at most ``SINGLE_WORD_CONTEXT`` content words, none of the others a word the
  FAQ uses. So "оператор доставки?" stays an FAQ question while "оператор!" or
  "нужен оператор" is a handoff.

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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chatserver.core.text import Vocabulary, stem, terms, translit, translit_uk, words

# Phrases are normalized with the same pipeline as questions, so filler and stop words
# in them ("please", "с", "to a") disappear and only their content terms must match.
HANDOFF_PHRASES: dict[str, tuple[str, ...]] = {
    "ru": (
        "оператор",
        "менеджер",
        "консультант",
        "живой человек",
        "живым человеком",
        "реальный человек",
        "позовите человека",
        "позовите оператора",
        "позови оператора",
        "соедините с оператором",
        "переключите на оператора",
        "поговорить с человеком",
        "поговорить с оператором",
        "связаться с оператором",
        "хочу к оператору",
        "нужен человек",
        "нужен оператор",
        "дайте оператора",
        "зовите оператора",
        "человека а не бота",
        "свяжите с сотрудником",
        "свяжите с человеком",
        "соедините с менеджером",
        "переключите на специалиста",
        "позовите специалиста",
        "живой оператор",
        "позовите старшего",
        "зовите старшего",
        "дайте старшего",
    ),
    "uk": (
        "оператор",
        "менеджер",
        "консультант",
        "жива людина",
        "живу людину",
        "живою людиною",
        "покличте оператора",
        "покличте людину",
        "поклич оператора",
        "зєднайте з оператором",
        "поговорити з людиною",
        "поговорити з оператором",
        "звязатися з оператором",
        "потрібна людина",
        "потрібен оператор",
        "дайте оператора",
        "людину а не бота",
        "звяжіть з працівником",
        "звяжіть з людиною",
        "зєднайте з менеджером",
        "поговорити з консультантом",
        "дайте людину",
        "покличте старшого",
        "кличте старшого",
        "дайте старшого",
    ),
    "en": (
        "operator",
        "agent",
        "human",
        "talk to a human",
        "speak to a human",
        "talk to a person",
        "speak to a person",
        "real person",
        "live person",
        "live agent",
        "human agent",
        "talk to someone",
        "speak to someone",
        "customer service representative",
        "customer service rep",
        "connect me to an agent",
        "need an agent",
        "need a human",
        "get me a human",
        "speak to a manager",
        "talk to a manager",
        "transfer me to an operator",
        "support representative",
        "customer support representative",
        "real human",
        "representative",
    ),
}

# Concept words, by language; folded and stemmed like questions (so "з'єднайте" and
# "зєднайте" are one word, and "оператора" finds "оператор"). Word forms the stemmers
# do not join are listed. Admins extend the phrase lists, not these.
HANDOFF_CONCEPTS: dict[str, dict[str, str]] = {
    "staff": {
        "ru": "оператор операторы менеджер консультант специалист сотрудник сотрудники "
        "представитель поддержка саппорт админ администратор начальство начальника "
        "руководство руководителя",
        "uk": "оператор менеджер консультант спеціаліст спеціаліста працівник працівника "
        "співробітник представник підтримка адміністратор фахівець фахівця начальство "
        "керівництво керівника",
        "en": "operator agent representative rep manager staff employee specialist "
        "consultant supervisor admin administrator support sales",
    },
    "person": {
        "ru": "человек человека человеком люди людей кто кто-нибудь кто-то кого-нибудь "
        "кем-нибудь кем-то",
        "uk": "людина людину людиною люди людей хто хтось когось хто-небудь",
        "en": "human person people someone somebody anyone anybody",
    },
    "live": {
        "ru": "живой живого живым живые живых реальный реального настоящий",
        "uk": "живий живого живою жива живу живі справжній справжню реальну",
        "en": "live real actual",
    },
    "reach": {
        "ru": "позовите позови зовите позвать соедините соединить соедини переключите "
        "переключить переведите передайте пригласите поговорить говорить общаться "
        "пообщаться связаться свяжите дайте дай ответьте ответит ответь обсудить "
        "вызовите вызвать подключите подключить разговор гоните давайте",
        "uk": "покличте поклич покликати зєднайте зєднати переключіть переведіть передайте "
        "поговорити говорити спілкуватися поспілкуватися звязатися звяжіть дайте дай "
        "відповість відповідайте обговорити викличте викликати запросіть запросити "
        "підключіть підключити розмови розмову кличте клич давайте",
        "en": "talk speak chat connect transfer put get give reach escalate contact discuss "
        "forward pass hand refer redirect switch",
    },
    # "пусть менеджер мне перезвонит", "can someone call me back": a call from a person.
    "callback": {
        "ru": "перезвоните перезвонить перезвонит позвоните позвонит позвонить наберите",
        "uk": "передзвоніть передзвонити передзвонить зателефонуйте зателефонує "
        "подзвоніть подзвонить",
        "en": "call",
    },
    "want": {
        "ru": "хочу хотим нужен нужна нужно можно требуется прошу требую",
        "uk": "хочу потрібен потрібна потрібно треба можна прошу вимагаю",
        "en": "want need require request demand",
    },
    # "человека мне", "оператора мені": a person wanted for oneself, in a short message
    "me": {
        "ru": "мне",
        "uk": "мені",
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
        "en": "available around online free there help",
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
    "bot": {
        "ru": "бот бота ботом робот",
        "uk": "бот бота ботом робот",
        "en": "bot robot chatbot",
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
)
SHORT_REQUEST = 3  # "можно человека?", "need a person": a person and a wish, little else
SHORT_CALL = 5  # "ау оператор ты где", "where is the agent": a call-out, little else

SINGLE_WORD_CONTEXT = 2  # "нужен оператор", "operator now": the word plus one more
TERM_MATCH = 0.8  # each phrase term needs a query term at least this similar
SOUND_MATCH = 0.85  # a concept word spelt as heard ("чилавек"): a likely typo
MIN_SOUND_LEN = 3


@dataclass(frozen=True, slots=True)
class Phrase:
    locale: str
    text: str
    terms: tuple[int, ...]  # ids in the detector's vocabulary


class HandoffDetector:
    """Scores how surely a message asks for a human; built once, shared read-only."""

    __slots__ = ("_phrases", "_vocab")

    def __init__(self, phrases: Mapping[str, Sequence[str]] = HANDOFF_PHRASES) -> None:
        texts = [(loc, text, terms(text)) for loc, items in phrases.items() for text in items]
        self._vocab = Vocabulary(t for _, _, ts in texts for t in ts)
        self._phrases = tuple(
            Phrase(loc, text, tuple(self._vocab.index(t) for t in ts))
            for loc, text, ts in texts
            if ts
        )

    def score(self, query_terms: Sequence[str], known: Sequence[bool] | None = None) -> float:
        """0..100, the best phrase's mean term similarity; 0 when no phrase matches.

        ``known[i]`` says whether query term i is a word the FAQ uses: a lone handoff
        word next to an FAQ topic ("оператор доставки") is a question, not a request.
        """
        if not query_terms:
            return 0.0
        per_term = [self._vocab.matches(q) for q in query_terms]
        # The best similarity of each phrase term to any query term, kept only when it
        # passes TERM_MATCH: most messages contain no handoff word at all, and then no
        # phrase needs to be looked at.
        strongest: dict[int, float] = {}
        for similar in per_term:
            for i, similarity in similar.items():
                if similarity >= TERM_MATCH and similarity > strongest.get(i, 0.0):
                    strongest[i] = similarity
        if not strongest:
            return 0.0
        best = 0.0
        for phrase in self._phrases:
            if not all(i in strongest for i in phrase.terms):
                continue
            found = [strongest[i] for i in phrase.terms]
            if len(phrase.terms) == 1:
                (term,) = phrase.terms
                others = [k for k, m in enumerate(per_term) if m.get(term, 0.0) < TERM_MATCH]
                if len(query_terms) > SINGLE_WORD_CONTEXT:
                    continue
                if known is not None and any(known[k] for k in others):
                    continue
            best = max(best, 100.0 * sum(found) / len(found))
        return best


def sounds_like(term: str) -> str:
    """A Cyrillic stem as it sounds, with the vowels that are spelt as heard when
    unstressed folded together (о/а, е/и/я): "пагаварить" and "поговорить", "чилавек"
    and "человек" meet. Latin and other words are returned as they are."""
    return term.translate(_SOUNDS)


_SOUNDS = str.maketrans({"о": "а", "е": "и", "я": "и", "є": "и", "і": "и"})


def _mark(found: dict[str, tuple[int, int, float]], concept: str, pos: int, sim: float) -> None:
    """Record ``concept`` at ``pos``: its first and last positions, its best similarity."""
    first, _, best = found.get(concept, (pos, pos, 0.0))
    found[concept] = (first, pos, max(best, sim))


def _not_a_person(message_words: Sequence[str], pos: int) -> bool:
    """Words that look like the concepts but are not: "in person" (going to the shop),
    "chat support" (a noun before a noun, not "chat to support"), "really" and
    "actually" (not "real", "actual"), "у кого-нибудь есть", "в когось є" (whoever
    has something, not someone to talk to)."""
    word = message_words[pos]
    if word in _ADVERBS:
        return True
    if word.startswith("ког") and pos > 0 and message_words[pos - 1] in ("у", "в"):
        return True
    if word == "person":
        return pos > 0 and message_words[pos - 1] == "in"
    if word == "chat":
        return pos + 1 < len(message_words) and message_words[pos + 1] in _CHAT_NOUNS
    return False


_CHAT_NOUNS = frozenset(words("support agent agents team"))  # folded as messages are
_ADVERBS = frozenset(words("really actually"))


class HandoffConcepts:
    """Finds a request for a person as a combination of concepts (module docstring)."""

    __slots__ = ("_by_sound", "_concepts", "_vocab")

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

    def find(self, message_words: Sequence[str]) -> dict[str, tuple[int, int, float]]:
        """Concept -> (first position, last position, best similarity) among folded words."""
        found: dict[str, tuple[int, int, float]] = {}
        for pos, word in enumerate(message_words):
            if _not_a_person(message_words, pos):
                continue
            readings = [stem(word)]
            latin = translit(word)
            if latin:  # "dayte operatora", "vyklychte": Latin-typed Russian or Ukrainian
                readings.append(stem(latin))
                ukrainian = translit_uk(latin)
                if ukrainian != latin:
                    readings.append(stem(ukrainian))
            for reading in readings:
                for tid, sim in self._vocab.matches(reading).items():
                    if sim >= TERM_MATCH:
                        for concept in self._concepts[tid]:
                            _mark(found, concept, pos, sim)
            # spelt as heard: "хачу пагаварить с чилавеком", "pagavarit"; not a word of
            # one or two letters ("i" would be read "є")
            if len(readings[-1]) >= MIN_SOUND_LEN:
                for concept in self._by_sound.get(sounds_like(readings[-1]), ()):
                    _mark(found, concept, pos, SOUND_MATCH)
        return found

    def score(self, message_words: Sequence[str], english: bool) -> float:
        """0..100 when the concepts in ``message_words`` make a request for a person."""
        found = self.find(message_words)
        if "bot" in found and "not" in found and ("want" in found or "reach" in found):
            return 100.0 * min(found["bot"][2], found["not"][2])  # "не хочу с ботом"
        # "остановите бота", "stop the bot" (the verb first: "бот остановился" is a report)
        if "bot" in found and "stop" in found and found["stop"][0] < found["bot"][1]:
            return 100.0 * min(found["bot"][2], found["stop"][2])
        if "staff" not in found and "person" not in found and "live" not in found:
            return 0.0
        best = 0.0
        pairs = list(_CONCEPT_RULES)
        if len(message_words) <= SHORT_REQUEST:
            pairs += [("person", "want"), ("person", "me"), ("staff", "me")]
        if len(message_words) <= SHORT_CALL:  # "ау, оператор, ты где?"
            pairs += [("staff", "callout"), ("person", "callout")]
        for who, verb in pairs:
            if verb == "want" and "job" in found:
                continue  # "хочу работать у вас менеджером"
            if who in found and verb in found:
                _, last, sim = found[who]
                verb_first, _, verb_sim = found[verb]
                if english and verb in ("reach", "want") and verb_first > last:
                    continue
                best = max(best, 100.0 * min(sim, verb_sim))
        return best
