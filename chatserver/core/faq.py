"""FAQ entries, the match index and the decision it returns for a visitor's question.

Pure: entries come in (``chatserver.faq_files`` reads them), a decision value comes out
(``Answer`` | ``Suggest`` | ``NoMatch`` | ``HandoffRequest``); the caller acts on it.

How a question is scored against an entry (``text.py`` explains the normalization,
``intents.py`` and ``handoff_concepts.py`` the handoff check that runs first):

* both are reduced to terms (stemmed content words); a query term meets an entry term
  with a similarity in 0..1 (1 same stem, ~0.75-0.95 a typo or another word form,
  below ``text.token_cutoff`` nothing). Token-level ``fuzz.ratio`` with length-dependent
  cutoffs, never ``WRatio``: WRatio's partial matching gives ~85 to any short word that
  a long string contains, which is exactly the false positive an FAQ bot must not make.
* every term weighs its IDF among the entries of its language, so "пароль" counts and
  "как" barely does; a question word the language's entries never use weighs like the
  rarest known term (``OOV_SHARE``);
* ``recall``: how much of one phrasing's weight the question covers (best phrasing
  wins); ``precision``: how much of the question's weight the entry explains with any
  of its phrasings and keywords;
* score = 100 x weighted harmonic mean of the two (``RECALL_WEIGHT``), minus
  ``foreign_penalty`` for an entry in another language than the question's;
* a product the visitor names (``products:``) also meets the FAQ's words for any of
  the goods ("товар", "item") at ``ITEM_SIMILARITY``;
* an entry scores at least what its translation scores (``translations``: ids that
  differ only by the language code), less ``TWIN_DISCOUNT``.

A question word in a group of ``synonyms.py`` (built-in per language, extended by the
FAQ files' ``synonyms:``) also meets the FAQ terms its group mates meet, at
``SYNONYM_SIMILARITY``: "позвонить" finds the entry that says "телефон".

Keywords act as phrasings worth ``KEYWORD_FACTOR`` of a real one, so "промокод" alone
finds the promo-code entry. Two guards run on top of the score: a question mostly made
of words the FAQ never uses gets ``NoMatch`` ("забыл пароль от wi-fi дома" is not the
site's password reset; a single unknown word, often a name, is allowed more room), and
an entry sharing only very common terms with the question ("как", "how") is not a
candidate at all.

The decision (``_decide``): answer the top entry when it scores ``answer_cutoff`` with
no rival within ``ambiguity_margin``, or ``CONFIDENT_SCORE`` with every rival
``CONFIDENT_LEAD`` behind, or ``CONFIDENT_SCORE`` with no rival that close when it
explains ``PRECISE_SHARE`` of the question; otherwise suggest it with its close
rivals; ``NoMatch`` below ``suggest_cutoff``. In a message of several sentences the
words outside its question sentences weigh ``CONTEXT_SHARE`` (the story around a
question dilutes its precision), and one that still gets no answer is tried once more
sentence by sentence (``_sentence_answer``). The arithmetic for all entries at once
is ``faq_scores.py`` (numpy); ``match`` keeps only the entries that can still change
the decision.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from chatserver.core import commonness, text, topics
from chatserver.core.faq_scores import ScoreTable, Scoring
from chatserver.core.handoff_cues import other_support
from chatserver.core.intents import (
    HANDOFF_PHRASES,
    HandoffConcepts,
    HandoffDetector,
    as_typed,
    clauses,
)
from chatserver.core.models import LOCALES
from chatserver.core.synonyms import KEY_MATCH, SYNONYM_SIMILARITY, Synonyms, merge
from chatserver.core.topics import PLACE_TERM, Topics, Weight, names_place
from chatserver.errors import ConfigError

MAX_QUESTION_CHARS = 500  # a chat message longer than this is not an FAQ question
MAX_QUESTION_TERMS = 24  # bounds match() time whatever a visitor pastes

# Share of recall in the weighted harmonic mean (0.5 = plain F1). Visitors paraphrase:
# a question often covers a third of the admin's phrasing while every word of it is
# explained by the entry. 0.7 suited the first dev split; on the blind batch's dev half
# 0.6 answers ~1.5% more questions rightly with no more wrong ones.
RECALL_WEIGHT = 0.6
KEYWORD_FACTOR = 0.9  # a bare keyword hit is good evidence, a full phrasing is better
# A question word found only in an entry's answer text explains that much of itself
# (the answer says "наличными курьеру"; the visitor asks "наличкой курьеру можно?").
# 0.85 since the blind batch: visitors use the answer's words ("Amex", "business days")
# about as often as the phrasings'; on its dev half 0.7 gave as many right answers
# and more wrong ones.
ANSWER_FACTOR = 0.85
ONE_WORD_RECALL = 0.9  # a one-term question is answered only if it is a whole phrasing
# A Latin question is read as transliterated Russian/Ukrainian when that reading finds
# clearly more of its words in the FAQ than the English one does.
TRANSLIT_GAIN = 1
LANGUAGE_VOTES = 2  # Cyrillic words only one dictionary knows that tell ru from uk
# A Latin message is plain English (no transliterated reading) when two thirds of its
# unknown words of ENGLISH_WORD_LEN+ letters are at least this common in English.
ENGLISH_WORD_LEN = 4
ENGLISH_ZIPF = 3.0
# A word no entry of the language uses is rarer than any that one does: it weighs as
# much as the rarest known term (df = 1).
OOV_SHARE = 1.0
# When unknown words carry at least this share of a question's weight, the question is
# about something the FAQ does not cover ("забыл пароль от wi-fi дома"), whatever else
# matches: it gets no answer and no suggestions.
MAX_UNKNOWN_SHARE = 0.5
# A single unknown word is often just a name ("доставляете в Калининград?", "do you take
# amex?"): it blocks an answer only from LONE_UNKNOWN_SHARE, and suggestions from
# NONE_UNKNOWN_SHARE (a two-word question with one unknown word sits at ~0.5-0.6).
# "Single" counts the words no entry uses at all: a word only some answer has ("days"
# in "3-7 business days") weighs as unknown but is no sign of another topic.
LONE_UNKNOWN_SHARE = 0.7
NONE_UNKNOWN_SHARE = 0.8
# A top candidate this far ahead of every rival of its language is answered from
# CONFIDENT_SCORE on, below answer_cutoff: nothing else in the FAQ comes close, and the
# visitor's wording is merely far from the admin's ("payment not going through").
# Calibrated on the dev split of tests/faq_eval: wrong answers stay ~2% of questions.
CONFIDENT_SCORE = 40.0
CONFIDENT_LEAD = 20.0
# ...and from CONFIDENT_SCORE with no rival within ambiguity_margin, when the entry
# explains at least this share of the question: all the visitor said is the entry's
# topic, in fewer words than its phrasing ("чим можна заплатити", "do you take
# amex?"). Only for a whole message: one sentence of a longer one is short, so it is
# easily explained, and the rest of the message may be about something else. On the
# dev split: 12 more right answers and no wrong one (0.5: 19 and 3 wrong ones).
PRECISE_SHARE = 0.55
# Beside the top entry (which must reach suggest_cutoff), a suggestion may be this much
# weaker: "payment options" offers the failed-payment entry (44) and the payment methods
# one (28), which share its one known word. See suggest_window.
RIVAL_SLACK = 15.0
# A product the shop sells ("телефон", "laptop") says little about which entry a
# question wants, even where an entry uses the word ("телефон" for the phone number):
# its weight is scaled by this (calibrated on the dev split: 0.7 turned "можно сдать
# обратно телефон?" and "do you fix phones?" from the contacts entry into suggestions).
PRODUCT_SHARE = 0.7
# A question sentence of a longer message is answered on its own only with an entry
# among this many best candidates of the whole message (see _sentence_answer).
SENTENCE_RIVALS = 3
# A term used by more than this share of a language's entries ("как", "how") is no
# evidence on its own: an entry must share at least one rarer term with the question.
# Only applied from MIN_ENTRIES_FOR_COMMON entries up; in a tiny FAQ everything is common.
COMMON_SHARE = 0.5
MIN_ENTRIES_FOR_COMMON = 4
# Entries that cannot reach this share of suggest_cutoff even with a perfect precision
# are dropped before the costlier precision step (they could only be NoMatch.best).
PRUNE_SHARE = 0.5
# An entry scores at least what its translation does (``translations``), less this:
# a lent score must not tie the entry's own language's candidates or crowd the
# translation's rivals into the ambiguity margin. On the dev split 10 turned 8
# suggestions and misses into right answers and 2 answers into suggestions, with no
# wrong answer added; 0-8 added one or two.
TWIN_DISCOUNT = 10.0
# A product the visitor names (a word under ``products:``) is also one of the goods the
# FAQ's phrasings speak of ("хочу повернути навушники" asks "Як повернути товар?"): it
# meets the FAQ's item words (``topics.item_stems``) at this similarity. On the dev
# split 0.7 gave 28 more right answers for 5 wrong ones (0.8: 30 and 7; 0.6: 28 and 6).
ITEM_SIMILARITY = 0.7
# In a message of several sentences, the words outside its question sentences ("Купив
# колонку тиждень тому, звук не сподобався. Можна здати її назад?") are the story around
# the question: they weigh this share of their weight, so that they neither dilute the
# precision of the entry the question asks for nor count fully as another topic. On
# the dev split 0.5 gave 8 more right answers and 2 fewer wrong ones (0.4: 11 and -1;
# 0.3: 9 and +3; 0.7: 4 and -2).
CONTEXT_SHARE = 0.5
_ROUNDING = 0.1  # scores are rounded to 0.1: prune that much later
_CONCEPTS = HandoffConcepts()  # built-in word lists only: shared by every index


@dataclass(frozen=True, slots=True)
class FaqEntry:
    id: str  # unique across all files, [a-z0-9-]+
    locale: str  # "ru" | "uk" | "en"
    category: str
    questions: tuple[str, ...]
    answer: str
    keywords: tuple[str, ...] = ()
    handoff: bool = False  # matching this entry means "hand to a human"
    department: str | None = None
    priority: int = 0  # breaks ties between equal scores, higher first
    source: str = ""  # "path:line" of the entry, for messages


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """Where a score leads. Calibrated on the dev split of tests/faq_eval (run
    ``bench/faq_eval.py``; never on its held-out test split) and checked against the
    golden table in tests/test_faq_match.py; rerun both after changing any of them.

    answer_cutoff 50: with RECALL_WEIGHT 0.6, a question covering half of a phrasing
        with nothing else in it scores ~62, one covering a third ~45; the dev split
        answers best (most right answers for ~2% wrong ones) from 50 up. A one-word
        question that is only part of a phrasing ("пароль" vs "забыл пароль") is not
        answered whatever it scores (ONE_WORD_RECALL).
    suggest_cutoff 35: below it the overlap is one modest word inside a longer
        phrasing (a third of its weight or less); suggestions that weak are noise.
    ambiguity_margin 6: close entries ("сколько стоит доставка" / "сколько идет
        доставка") differ by one term; a question missing that term puts both within
        a few points. 4-8 give the same dev figures; 6 is the middle.
    max_suggestions 3: what a chat bubble can show without scrolling.
    suggest_window 30: suggestions far below the best one are distractions, but when
        the bot is unsure a third option costs the visitor little: 20 -> 30 (with
        RIVAL_SLACK 10 -> 15) put the right entry among the suggestions a little more
        often on the dev split, with no other figure moved.
    foreign_penalty 15: an entry in another language than the question's (or the
        conversation's, when the text does not tell) must beat a native one by this.
    """

    answer_cutoff: float = 50.0
    suggest_cutoff: float = 35.0
    ambiguity_margin: float = 6.0
    max_suggestions: int = 3
    suggest_window: float = 30.0
    foreign_penalty: float = 15.0


DEFAULT_SETTINGS = MatchSettings()


@dataclass(frozen=True, slots=True)
class Scored:
    entry: FaqEntry
    score: float


@dataclass(frozen=True, slots=True)
class Answer:
    entry: FaqEntry
    score: float
    kind: Literal["answer"] = "answer"


@dataclass(frozen=True, slots=True)
class Suggest:
    candidates: tuple[Scored, ...]
    kind: Literal["suggest"] = "suggest"


@dataclass(frozen=True, slots=True)
class NoMatch:
    best: Scored | None = None
    kind: Literal["none"] = "none"


@dataclass(frozen=True, slots=True)
class HandoffRequest:
    score: float
    kind: Literal["handoff"] = "handoff"


Decision = Answer | Suggest | NoMatch | HandoffRequest


@dataclass(frozen=True, slots=True)
class TermMatch:
    term: str  # a normalized, stemmed question term
    similar: tuple[tuple[str, float], ...]  # FAQ terms like it, most similar first


@dataclass(frozen=True, slots=True)
class Candidate:
    scored: Scored
    phrasing: str  # the entry's phrasing (or keyword) the question covers best
    recall: float  # how much of that phrasing the question covers, 0..1
    precision: float  # how much of the question the entry explains, 0..1
    evidence: tuple[str, ...]  # "question term~entry term similarity (where)"


@dataclass(frozen=True, slots=True)
class Explanation:
    """What ``FaqIndex.explain`` returns: the decision and what led to it."""

    decision: Decision
    terms: tuple[TermMatch, ...]
    script: str  # "native", or "translit" when Latin was read as Cyrillic
    locale: str | None  # the language preferred for the answer
    handoff: float  # the handoff score (> 0 means a request for a person)
    unknown: dict[str, float]  # per locale: share of the question's weight the FAQ lacks
    candidates: tuple[Candidate, ...]
    # the question sentence of a longer message that the answer was found for
    sentence: str | None = None


@dataclass(frozen=True, slots=True)
class _Phrasing:
    entry: int  # index into FaqIndex.entries
    total: float  # sum of its terms' weights (terms are in the postings)
    factor: float  # 1.0 for a question, KEYWORD_FACTOR for a keyword
    text: str  # as the admin wrote it


@dataclass(frozen=True, slots=True)
class _Query:
    terms: tuple[str, ...]  # normalized, stemmed question terms
    script: str  # "native" or "translit" (Latin-typed Cyrillic)
    matches: tuple[dict[int, float], ...]  # per query term: vocabulary id -> similarity
    weights: dict[str, tuple[float, ...]]  # per locale: each query term's weight
    unknown: dict[str, float]  # per locale: share of the weight on words it never uses
    unknown_terms: dict[str, int]  # per locale: how many words no entry uses at all
    best_sim: dict[int, float]  # vocabulary id -> best similarity to any query term
    # the locales for which it names another company's service ("посылку укрпошти")
    owned: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class FaqIndex:
    """Everything match() needs, computed once in build(); immutable and shareable."""

    entries: tuple[FaqEntry, ...]
    settings: MatchSettings
    _position: dict[str, int] = field(repr=False)  # entry id -> index into entries
    _vocab: text.Vocabulary = field(repr=False)
    _idf: dict[str, dict[int, float]] = field(repr=False)  # locale -> term id -> IDF
    _oov: dict[str, float] = field(repr=False)  # locale -> weight of an unknown word
    _common: dict[str, frozenset[int]] = field(repr=False)  # locale -> too-common terms
    _bags: tuple[frozenset[int], ...] = field(repr=False)  # per entry: all its term ids
    _answer_bags: tuple[frozenset[int], ...] = field(repr=False)  # terms only its answer has
    _answer_only: dict[str, frozenset[int]] = field(repr=False)  # locale -> answer-only terms
    _phrasings: tuple[_Phrasing, ...] = field(repr=False)
    _table: ScoreTable = field(repr=False)  # the same, as arrays for _rank
    _handoff: HandoffDetector = field(repr=False)
    _synonyms: Synonyms = field(repr=False)
    # synonym stem -> the FAQ terms it names (KEY_MATCH or closer), looked up once here
    _synonym_hits: dict[str, tuple[tuple[int, float], ...]] = field(repr=False)
    _topics: Topics = field(repr=False)
    _items: tuple[int, ...] = field(repr=False)  # FAQ terms naming any of the goods
    # the expressions read in questions (built-in, the admin's, other companies' names),
    # less those the FAQ's own text uses (text.expressions_besides)
    _expressions: text.Expressions = field(repr=False)

    @classmethod
    def build(
        cls,
        entries: Sequence[FaqEntry],
        settings: MatchSettings | None = None,
        handoff_phrases: Mapping[str, Sequence[str]] | None = None,
        synonyms: Mapping[str, Sequence[str]] | None = None,
        products: Sequence[str] = (),
        others: Sequence[str] = (),
        expressions: Mapping[str, Mapping[str, str]] | None = None,
    ) -> FaqIndex:
        """Index ``entries``; ``handoff_phrases`` (locale -> phrases) extend the built-in
        list of requests for a person (``intents.HANDOFF_PHRASES``), ``synonyms``
        (locale -> comma-separated groups) the built-in synonym table, ``expressions``
        (locale -> phrase -> meaning) the built-in expressions (``text``); ``products``
        and ``others`` name the shop's goods and other companies' services (``topics``)."""
        warm()
        with _collector_paused():
            return cls._build(
                entries, settings, handoff_phrases, synonyms, products, others, expressions
            )

    @classmethod
    def _build(
        cls,
        entries: Sequence[FaqEntry],
        settings: MatchSettings | None,
        handoff_phrases: Mapping[str, Sequence[str]] | None,
        synonyms: Mapping[str, Sequence[str]] | None,
        products: Sequence[str],
        others: Sequence[str],
        extra_expressions: Mapping[str, Mapping[str, str]] | None,
    ) -> FaqIndex:
        position: dict[str, int] = {}
        for i, entry in enumerate(entries):
            if entry.id in position:
                raise ConfigError(f"duplicate FAQ id {entry.id!r}: {entry.source}")
            position[entry.id] = i
        # (entry index, terms, factor, text) for every question and keyword
        raw: list[tuple[int, list[str], float, str]] = []
        for i, entry in enumerate(entries):
            raw.extend((i, _phrasing_terms(q), 1.0, q) for q in entry.questions)
            raw.extend((i, _phrasing_terms(k), KEYWORD_FACTOR, k) for k in entry.keywords)
            # "трек-номер" is glued to one word ("wi-fi" -> "wifi" is what visitors
            # type); visitors also write "трек номер": a hyphenated keyword or phrasing
            # is indexed both ways.
            for source, factor in (
                *((q, 1.0) for q in entry.questions),
                *((k, KEYWORD_FACTOR) for k in entry.keywords),
            ):
                split = text.split_hyphens(source)
                if split is not None:
                    raw.append((i, _phrasing_terms(split), factor, source))
        raw = [r for r in raw if r[1]]
        answers = [text.terms(entry.answer) for entry in entries]
        vocab = text.Vocabulary(
            itertools.chain(itertools.chain.from_iterable(r[1] for r in raw), *answers)
        )
        term_id = vocab.ids()
        topic_words = Topics(products, others)
        if topic_words.product_phrases:  # read as one word in questions, like expressions
            extra_expressions = {
                **(extra_expressions or {}),
                "products": topic_words.product_phrases,
            }
        expressions = text.expressions_besides(
            itertools.chain(
                ((source, frozenset(ts)) for _, ts, _, source in raw),
                ((entry.answer, frozenset(ts)) for entry, ts in zip(entries, answers, strict=True)),
            ),
            extra_expressions,
        )
        bags: list[set[int]] = [set() for _ in entries]
        for i, ts, _, _ in raw:
            bags[i].update(map(term_id.__getitem__, ts))
        answer_bags = [
            frozenset(map(term_id.__getitem__, ts)) - bags[i] for i, ts in enumerate(answers)
        ]
        # IDF per locale: "как" is common among Russian entries whatever the English ones
        # say, and a locale's weights must not shift when another locale grows.
        # Words that only answers use get their own document frequency among answers;
        # they never make a term "common", nor a question "in scope" (see _query).
        doc_freq: dict[str, dict[int, int]] = {}
        answer_freq: dict[str, dict[int, int]] = {}
        for i, bag in enumerate(bags):
            counts = doc_freq.setdefault(entries[i].locale, {})
            for tid in bag:
                counts[tid] = counts.get(tid, 0) + 1
            answer_counts = answer_freq.setdefault(entries[i].locale, {})
            for tid in answer_bags[i]:
                answer_counts[tid] = answer_counts.get(tid, 0) + 1
        sizes = {loc: sum(1 for e in entries if e.locale == loc) for loc in doc_freq}
        # Smoothed IDF: a term in every entry still weighs ln 2 rather than nothing.
        idf = {
            loc: {tid: math.log(1.0 + sizes[loc] / df) for tid, df in counts.items()}
            for loc, counts in doc_freq.items()
        }
        answer_only = {
            loc: frozenset(tid for tid in answer_freq[loc] if tid not in idf[loc])
            for loc in doc_freq
        }
        for loc, counts in answer_freq.items():
            for tid, df in counts.items():
                idf[loc].setdefault(tid, math.log(1.0 + sizes[loc] / df))
        # ...scaled by how common each word is in the language at large (commonness.py)
        for loc, factors in _commonness(entries, term_id).items():
            for tid, f in factors.items():
                if tid in idf.get(loc, {}):
                    idf[loc][tid] *= f
        oov = {loc: OOV_SHARE * math.log(1.0 + sizes[loc]) for loc in doc_freq}
        common = {
            loc: frozenset(
                tid
                for tid, df in counts.items()
                if sizes[loc] >= MIN_ENTRIES_FOR_COMMON and df > COMMON_SHARE * sizes[loc]
            )
            for loc, counts in doc_freq.items()
        }
        # A place in a question is evidence next to other words, never alone ("Москва?").
        place = term_id.get(PLACE_TERM)
        if place is not None:
            common = {loc: terms | {place} for loc, terms in common.items()}
        frozen_bags = tuple(frozenset(b) for b in bags)
        twins = translations(entries)
        synonym_table = Synonyms(merge(synonyms))
        phrasings: list[_Phrasing] = []
        # the postings as three columns: term, phrasing, weight
        post_terms: list[int] = []
        post_phrasings: list[int] = []
        post_weights: list[float] = []
        for i, ts, factor, source in raw:
            if factor == KEYWORD_FACTOR and topic_words.product_stems.issuperset(ts):
                continue  # a keyword that only names goods ("phone") is no question alone
            ids = list(map(term_id.__getitem__, ts))
            weights = list(map(idf[entries[i].locale].__getitem__, ids))
            post_terms += ids
            post_phrasings += [len(phrasings)] * len(ids)
            post_weights += weights
            phrasings.append(_Phrasing(i, sum(weights), factor, source))
        return cls(
            entries=tuple(entries),
            settings=settings or DEFAULT_SETTINGS,
            _position=position,
            _vocab=vocab,
            _idf=idf,
            _oov=oov,
            _common=common,
            _bags=frozen_bags,
            _answer_bags=tuple(answer_bags),
            _answer_only=answer_only,
            _phrasings=tuple(phrasings),
            _table=ScoreTable.build(
                locales=sorted(doc_freq),
                entry_locales=[e.locale for e in entries],
                phrasings=[
                    (ph.entry, ph.total, ph.factor, ph.total * _least_recall(ph.factor, settings))
                    for ph in phrasings
                ],
                postings=(post_terms, post_phrasings, post_weights),
                bags=frozen_bags,
                answer_bags=answer_bags,
                common=common,
                twins=[(i, j) for i, js in twins.items() for j in js],
            ),
            _handoff=HandoffDetector(_merge_phrases(handoff_phrases)),
            _synonyms=synonym_table,
            _synonym_hits=_synonym_hits(synonym_table, vocab),
            _topics=topic_words,
            _items=tuple(term_id[t] for t in sorted(topics.item_stems()) if t in term_id),
            _expressions=expressions,
        )

    def get(self, entry_id: str) -> FaqEntry | None:
        i = self._position.get(entry_id)
        return None if i is None else self.entries[i]

    def __len__(self) -> int:
        return len(self.entries)

    def match(self, question: str, locale: str | None = None) -> Decision:
        """Decide what to do with ``question``; ``locale`` is the conversation's hint."""
        return self._match(question[:MAX_QUESTION_CHARS], locale)[0]

    def scores(self, question: str, locale: str | None = None) -> list[Scored]:
        """Every entry with a non-zero score, best first (for debugging and tuning)."""
        question = question[:MAX_QUESTION_CHARS]
        query = self._parse(question)
        if query is None:
            return []
        return self._rank(query, self._preferred_locale(question, query, locale))

    def explain(self, question: str, locale: str | None = None, limit: int = 5) -> Explanation:
        """Why ``match`` decides what it does: the terms, the language, the candidates."""
        question = question[:MAX_QUESTION_CHARS]
        decision, sentence = self._match(question, locale)
        query = self._parse(question)
        if query is None:
            return Explanation(decision, (), "native", None, 0.0, {}, ())
        handoff = self._handoff_score(question, query)
        preferred = self._preferred_locale(question, query, locale)
        terms = tuple(
            TermMatch(
                term,
                tuple(
                    (self._vocab.terms[t], round(sim, 2))
                    for t, sim in sorted(found.items(), key=lambda kv: -kv[1])[:4]
                ),
            )
            for term, found in zip(query.terms, query.matches, strict=True)
        )
        candidates = tuple(
            self._evidence(query, scored) for scored in self._rank(query, preferred)[:limit]
        )
        unknown = {loc: round(share, 2) for loc, share in query.unknown.items()}
        return Explanation(
            decision,
            terms,
            query.script,
            preferred,
            round(handoff, 1),
            unknown,
            candidates,
            sentence,
        )

    # --- internals ------------------------------------------------------------------

    def _match(self, question: str, locale: str | None) -> tuple[Decision, str | None]:
        """``match``'s decision, and the question sentence it answered when the whole
        message got no answer (``_sentence_answer``), for ``explain``."""
        query = self._parse(question)
        handoff = self._handoff_score(question, query)
        if handoff > 0:
            return HandoffRequest(round(handoff, 1)), None
        if query is None:
            return NoMatch(), None
        preferred = self._preferred_locale(question, query, locale)
        ranked = self._rank(query, preferred, full=False)
        decision = self._decide(query, ranked, preferred)
        if isinstance(decision, Answer):
            return self._one_of_several(question, locale, decision), None
        found = self._sentence_answer(question, locale, ranked)
        return (found[1], found[0]) if found is not None else (decision, None)

    def _handoff_score(self, question: str, query: _Query | None) -> float:
        """How surely ``question`` asks for a person: a phrase (built-in or the admin's)
        or a combination of concepts (``intents``), whichever is surer. Concepts are
        read even when no content word is left ("is anyone there?")."""
        found, sentence_of, clause_of = clauses(question)
        script = query.script if query is not None else "native"
        english = text.detect_locale(question) == "en" and script == "native"
        concepts, vetoed = _CONCEPTS.read(found, english, sentence_of, clause_of)
        phrase = 0.0
        if query is not None and not vetoed:
            phrase = self._handoff.score(query.terms, [bool(m) for m in query.matches])
        return max(phrase, concepts)

    def _one_of_several(self, message: str, locale: str | None, answer: Answer) -> Decision:
        """``answer``, unless the message asks two questions that two entries answer ("Can I
        cancel the order? And what are your opening hours?"): then both are suggested,
        rather than one answered as if it were all the visitor asked."""
        answered = self._answers_by_sentence(text.questions_in(message), locale)
        if len(answered) < 2:
            return answer
        best = sorted(
            (Scored(a.entry, a.score) for _, a in answered.values()), key=lambda s: -s.score
        )
        return Suggest(tuple(best[: self.settings.max_suggestions]))

    def _answers_by_sentence(
        self, sentences: list[str], locale: str | None
    ) -> dict[str, tuple[str, Answer]]:
        """Entry id -> the first of ``sentences`` it answers on its own, and the answer."""
        found: dict[str, tuple[str, Answer]] = {}
        for sentence in sentences:
            query = self._parse(sentence)
            if query is None:
                continue
            preferred = self._preferred_locale(sentence, query, locale)
            ranked = self._rank(query, preferred, full=False)
            decision = self._decide(query, ranked, preferred, precise=False)
            if isinstance(decision, Answer):
                found.setdefault(decision.entry.id, (sentence, decision))
        return found

    def _sentence_answer(
        self, message: str, locale: str | None, ranked: list[Scored]
    ) -> tuple[str, Answer] | None:
        """An answer to one question sentence of a longer message, when the whole one
        got none: the story around a question ("I ordered a Kindle on the 3rd and still
        have no updates. Can you tell me where my order is?") dilutes its precision.
        Only when exactly one entry answers a question sentence, and that entry is among
        the whole message's best candidates (SENTENCE_RIVALS): a second question about
        something else then does not hijack the first."""
        sentences = text.questions_in(message)
        if not sentences or not ranked:  # no candidate: none can be among the best
            return None
        best = {r.entry.id for r in ranked[:SENTENCE_RIVALS]}
        found = self._answers_by_sentence(sentences, locale)
        if len(found) != 1:
            return None
        (pair,) = found.values()
        return pair if pair[1].entry.id in best else None

    def _parse(self, question: str) -> _Query | None:
        """The question as terms; a Latin one is also read as transliterated Cyrillic,
        and that reading wins when it finds clearly more of its words in the FAQ."""
        content = text.content_words(question, self._expressions)
        language = text.detect_locale(question)
        # the words of its question sentences, when the message also tells a story
        asked = text.questions_in(question)
        focus = frozenset(text.content_words(" ".join(asked), self._expressions)) if asked else None
        native = self._query(content, "native", question, language, focus)
        if not self._cyrillic or language != "en":
            return native
        if native is not None and all(native.matches):
            return native  # every word is one the FAQ knows: it is English
        # Only the words English leaves as content are read again: "can you" and "to an"
        # are English function words, not "цан еу" and "то ан" (which would otherwise
        # outvote one known word). A Latin question none of whose unknown words is a
        # plain Latin word (digits, mixed scripts) has no other reading: skip the parses.
        if native is not None:
            unknown = [
                w for w in content if text.translit(w) and not self._vocab.matches(text.stem(w))
            ]
            if not unknown or _plain_english([topics.typed(w, question) for w in unknown]):
                return native
        latin = " ".join(text.translit(w) or w for w in content)
        best, best_known = native, _strong(native)
        for variant in (latin, text.translit_uk(latin)):
            query = self._query(
                text.content_words(variant, self._expressions), "translit", question, None
            )
            if _strong(query) >= best_known + TRANSLIT_GAIN:
                best, best_known = query, _strong(query)
        return best

    def _with_synonyms(self, term: str, found: dict[int, float]) -> dict[int, float]:
        """``found`` plus the FAQ terms that a synonym of ``term`` matches (weaker)."""
        mates = self._synonyms.mates(term)
        if not mates:
            return found
        out = dict(found)  # ``found`` is the vocabulary's shared cache entry
        for mate, key_sim in mates.items():
            for tid, sim in self._synonym_hits.get(mate, ()):
                value = SYNONYM_SIMILARITY * key_sim * sim
                if value > out.get(tid, 0.0):
                    out[tid] = value
        return out

    def _as_item(self, found: dict[int, float]) -> dict[int, float]:
        """``found`` (a product's matches) plus the FAQ's words for any of the goods."""
        if not self._items:
            return found
        out = dict(found)  # ``found`` may be the vocabulary's shared cache entry
        for tid in self._items:
            if out.get(tid, 0.0) < ITEM_SIMILARITY:
                out[tid] = ITEM_SIMILARITY
        return out

    def _query(
        self,
        words: list[str],
        script: str,
        question: str,
        language: str | None,
        focus: frozenset[str] | None = None,
    ) -> _Query | None:
        query_terms: list[str] = []
        query_words: list[str] = []
        matches: list[dict[int, float]] = []
        product: list[bool] = []  # a word under products: (topics.PRODUCT)
        for word in words:
            term = text.stem(word)
            if term in query_terms:
                continue
            found = self._vocab.matches(term)
            if not found:
                # "неоплаченный", "недійсний", "unpaid": what "не оплачен" says
                negated = topics.negated(topics.typed(word, question))
                if negated is not None:
                    found = self._vocab.matches(text.stem(text.words(negated)[0]))
            if language == "en":
                found = as_typed(term, found)  # "cover" is no typo of "over"
            found = self._with_synonyms(term, found)
            sold = term in self._topics.product_stems
            if sold:
                found = self._as_item(found)
            if found and word in self._topics.elsewhere and max(found.values()) < 1.0:
                found = {}  # "instagram" is not a typo of "installments"
            if not found and text.is_filler_typo(word):
                continue
            query_terms.append(term)
            query_words.append(word)
            matches.append(found)
            product.append(sold)
            if len(query_terms) >= MAX_QUESTION_TERMS:
                break
        if not query_terms:
            return None
        # What each word not in scope says about the topic (topics.py): now for words
        # the FAQ does not know at all (a place among them adds PLACE_TERM), on demand
        # for the others.
        topic: list[Weight | None] = [
            None if found else self._topics.weight(word, language, question)
            for word, found in zip(query_words, matches, strict=True)
        ]
        place = self._vocab.ids().get(PLACE_TERM)
        if (
            place is not None
            and len(query_terms) < MAX_QUESTION_TERMS
            and any(kind is not None and kind.place for kind in topic)
        ):
            query_terms.append(PLACE_TERM)
            query_words.append(PLACE_TERM)
            matches.append({place: 1.0})
            topic.append(None)
            product.append(False)
        context = [focus is not None and w not in focus for w in query_words]  # the story
        weights = {}
        unknown = {}
        unknown_terms = {}
        # "Как связаться с поддержкой Samsung?": another company's support, which the
        # shop's contacts may not answer, in any language
        owned: set[str] = set(self._idf) if other_support(query_words) else set()
        for loc, idf in self._idf.items():
            oov = self._oov[loc]
            # A word only some answer mentions ("дома") is evidence for that entry but
            # does not bring the question into scope: it counts as unknown here.
            asked = self._answer_only[loc]
            # One pass per term (this runs for every message): its weight is the rarest
            # known match's IDF (OOV weight when none), and it is in scope when some match
            # is a word the questions use.
            term_weights: list[float] = []
            unknown_weight = 0.0
            unknown_count = 0
            for k, found in enumerate(matches):
                best: float | None = None
                in_scope = False
                for t in found:
                    w = idf.get(t)
                    if w is not None:
                        if best is None or w > best:
                            best = w
                        if t not in asked:
                            in_scope = True
                weight = oov if best is None else best
                if context[k]:
                    weight *= CONTEXT_SHARE
                if not in_scope:
                    kind = topic[k]
                    if kind is None:
                        kind = topic[k] = self._topics.weight(query_words[k], language, question)
                    if best is not None and kind.guard > 1.0:
                        kind = topics.TOPIC  # an answer names it: a partner, not a rival
                    if kind is topics.OWNED and query_words[k] in self._topics.elsewhere:
                        owned.add(loc)  # a name of the list, not a topic after "от"
                    if best is None:  # not even an answer uses it
                        weight *= kind.salience
                        if kind.guard < 1.0:
                            # "need", "remember": a common verb says less than a rare
                            # one; a noun keeps its weight ("дома" in the wi-fi trap)
                            typed = topics.typed(query_words[k], question)
                            weight *= commonness.factor(typed, loc)
                        # a word that counts twice (topics.OWNED) is never "lone"
                        unknown_count += (kind.guard >= 0.5) + (kind.guard > 1.0)
                    unknown_weight += weight * kind.guard
                if product[k]:
                    weight *= PRODUCT_SHARE
                term_weights.append(weight)
            weights[loc] = tuple(term_weights)
            total = sum(term_weights)
            # nothing but names and times: nothing in scope either
            unknown[loc] = unknown_weight / total if total > 0 else 1.0
            unknown_terms[loc] = unknown_count
        best_sim: dict[int, float] = {}
        for found in matches:
            for tid, sim in found.items():
                if sim > best_sim.get(tid, 0.0):
                    best_sim[tid] = sim
        return _Query(
            tuple(query_terms),
            script,
            tuple(matches),
            weights,
            unknown,
            unknown_terms,
            best_sim,
            frozenset(owned),
        )

    @property
    def _cyrillic(self) -> bool:
        return "ru" in self._idf or "uk" in self._idf

    def _preferred_locale(self, question: str, query: _Query, hint: str | None) -> str | None:
        hint = hint[:2].lower() if hint else None
        detected = None if query.script == "translit" else text.detect_locale(question)
        if detected is not None:
            return detected
        # Cyrillic without telltale letters: words only one language has get a vote.
        votes = dict.fromkeys(LOCALES, 0)
        for found in query.matches:
            for tid, sim in found.items():
                owners = [loc for loc, idf in self._idf.items() if tid in idf]
                if sim == 1.0 and len(owners) == 1 and owners[0] in votes:
                    votes[owners[0]] += 1
        # and the words Russian or Ukrainian alone knows; in Cyrillic only when they
        # clearly tell (the dictionaries do not know every word: "промокод" is only in
        # the Ukrainian one)
        read = topics.translit_votes if query.script == "translit" else topics.cyrillic_votes
        told = read(text.words(question))
        if query.script == "translit" or abs(told["ru"] - told["uk"]) >= LANGUAGE_VOTES:
            for loc, count in told.items():
                votes[loc] += count
        cyrillic = sorted(("ru", "uk"), key=lambda loc: (votes[loc], loc == hint), reverse=True)
        if votes[cyrillic[0]] > votes[cyrillic[1]]:
            return cyrillic[0]
        if query.script == "translit" and hint not in ("ru", "uk"):
            return "ru"  # Latin-typed Cyrillic in an English conversation: most often Russian
        return hint

    def _evidence(self, query: _Query, scored: Scored) -> Candidate:
        """Recall, precision and the matched terms behind one candidate's score."""
        i = self._position[scored.entry.id]
        best_text, best_recall = "", 0.0
        table = self._table
        for k in (i, *table.twin_of[table.twin_entry == i].tolist()):
            # a translation's phrasing is named with its id: its score was lent
            lent = f" ({self.entries[k].id})" if k != i else ""
            for p, got in sorted(self._covered(query, k).items()):
                phrasing = self._phrasings[p]
                recall = got / phrasing.total * phrasing.factor
                if recall > best_recall:
                    best_text, best_recall = phrasing.text + lent, recall
        evidence = []
        for term, found in zip(query.terms, query.matches, strict=True):
            hits = [(sim, t, "phrasing") for t, sim in found.items() if t in self._bags[i]]
            hits += [
                (sim * ANSWER_FACTOR, t, "answer")
                for t, sim in found.items()
                if t in self._answer_bags[i]
            ]
            if hits:
                sim, t, where = max(hits)
                evidence.append(f"{term}~{self._vocab.terms[t]} {sim:.2f} ({where})")
        return Candidate(
            scored,
            best_text,
            round(best_recall, 2),
            round(self._precision(query, i), 2),
            tuple(evidence),
        )

    def _rank(self, query: _Query, preferred: str | None, *, full: bool = True) -> list[Scored]:
        """Entries by score, best first. ``full=False`` (for ``match``) leaves out entries
        that cannot change the decision: those more than ``_decision_window`` below the
        best (and below any native entry that ``_decide`` could put first)."""
        s = self.settings
        table = self._table
        scoring = Scoring(
            recall_weight=RECALL_WEIGHT,
            answer_factor=ANSWER_FACTOR,
            floor=s.suggest_cutoff * PRUNE_SHARE,
            foreign_penalty=s.foreign_penalty,
            twin_discount=TWIN_DISCOUNT,
        )
        scores = table.scores(query.matches, query.weights, query.best_sim, preferred, scoring)
        chosen = np.flatnonzero(scores > 0.0)
        if not full and chosen.size > 1:
            values = scores[chosen]
            window = self._decision_window
            need = float(values.max()) - window
            if preferred is not None and preferred in table.locales:
                native = table.locale_of[chosen] == table.locales.index(preferred)
                best_native = float(values[native].max()) if native.any() else -math.inf
                # a native entry that _decide may put first, and its rivals, stay
                floor = (
                    best_native - window if best_native >= s.suggest_cutoff else s.suggest_cutoff
                )
                need = min(need, floor)
            chosen = chosen[values >= need - _ROUNDING]
        ranked = [Scored(self.entries[i], round(float(scores[i]), 1)) for i in chosen.tolist()]
        ranked.sort(key=lambda s: (-s.score, -s.entry.priority, s.entry.id))
        return ranked

    @property
    def _decision_window(self) -> float:
        """How far below the top entry ``_decide`` still looks at rivals."""
        s = self.settings
        return max(s.suggest_window, s.ambiguity_margin, CONFIDENT_LEAD)

    def _best_recall(self, query: _Query, entry: FaqEntry) -> float:
        """The largest share of one of ``entry``'s phrasings that the question covers."""
        covered = self._covered(query, self._position[entry.id])
        return max((v / self._phrasings[p].total for p, v in covered.items()), default=0.0)

    def _covered(self, query: _Query, entry: int) -> dict[int, float]:
        """Per phrasing of ``entry`` that the question touches: the weight it covers."""
        table = self._table
        covered: dict[int, float] = {}
        for tid, sim in query.best_sim.items():
            posting = table.postings.get(tid)
            if posting is None:
                continue
            phrasings, weights = posting
            mine = table.ph_entry[phrasings] == entry
            for p, weight in zip(phrasings[mine].tolist(), weights[mine].tolist(), strict=True):
                covered[p] = covered.get(p, 0.0) + weight * sim
        return covered

    def _precision(self, query: _Query, entry: int) -> float:
        """Share of the question's weight that the entry's terms (any phrasing) explain."""
        bag = self._bags[entry]
        answers = self._answer_bags[entry]
        weights = query.weights[self.entries[entry].locale]
        explained = 0.0
        for found, weight in zip(query.matches, weights, strict=True):
            best = 0.0  # similarities are >= 0, so this is max(..., default=0.0)
            for t, s in found.items():
                if t in bag:
                    value = s
                elif t in answers:
                    value = s * ANSWER_FACTOR
                else:
                    continue
                if value > best:
                    best = value
            explained += weight * best
        total = sum(weights)
        return explained / total if total > 0 else 0.0

    def _decide(
        self, query: _Query, ranked: list[Scored], preferred: str | None, *, precise: bool = True
    ) -> Decision:
        """``precise``: whether PRECISE_SHARE may make it sure; not for one sentence of a
        longer message, which the rest of the message may contradict."""
        s = self.settings
        if not ranked:
            return NoMatch()
        top = ranked[0]
        if preferred is not None and preferred in self._idf and top.entry.locale != preferred:
            # The visitor's language first: an entry in another language won on wording
            # ("оплата не проходит" is word for word a Ukrainian phrasing), but a native
            # entry that also qualifies is the one the visitor can read.
            native_top = next((r for r in ranked if r.entry.locale == preferred), None)
            if native_top is not None and native_top.score >= s.suggest_cutoff:
                top = native_top
        unknown = query.unknown[top.entry.locale]
        lone = query.unknown_terms[top.entry.locale] <= 1
        if top.score < s.suggest_cutoff or unknown >= (
            NONE_UNKNOWN_SHARE if lone else MAX_UNKNOWN_SHARE
        ):
            return NoMatch(top)
        # Only one language per decision: the same answer in ru and uk is not a choice.
        rivals = [r for r in ranked if r.entry.locale == top.entry.locale and r is not top]
        close = [r for r in rivals if r.score > top.score - s.ambiguity_margin]
        # An answer in another language than the visitor's, when the FAQ has that
        # language, is a wrong answer even if it is the right topic: offer it instead.
        native = preferred is None or preferred not in self._idf or top.entry.locale == preferred
        # A one-word question ("пароль") that is only part of a phrasing is a topic,
        # not a question: it gets suggestions unless it is a whole phrasing or keyword.
        whole = len(query.terms) > 1 or self._best_recall(query, top.entry) >= ONE_WORD_RECALL
        lead = top.score - (rivals[0].score if rivals else 0.0)
        sure = (
            (top.score >= s.answer_cutoff and not close)
            or (top.score >= CONFIDENT_SCORE and lead >= CONFIDENT_LEAD)
            or (
                precise
                and top.score >= CONFIDENT_SCORE
                and not close
                and self._precision(query, self._position[top.entry.id]) >= PRECISE_SHARE
            )
        )
        in_scope = unknown < (LONE_UNKNOWN_SHARE if lone else MAX_UNKNOWN_SHARE)
        # a question that names another company's service ("как отследить посылку
        # укрпошти") may be about it: the shop's answer is offered, not given
        if sure and native and whole and in_scope and top.entry.locale not in query.owned:
            return Answer(top.entry, top.score)
        pool = [top, *(r for r in rivals if r.score >= s.suggest_cutoff - RIVAL_SLACK)]
        window = top.score - max(s.suggest_window, s.ambiguity_margin)
        return Suggest(tuple(r for r in pool if r.score >= window)[: s.max_suggestions])


def translations(entries: Sequence[FaqEntry]) -> dict[int, tuple[int, ...]]:
    """Entry index -> the indexes of its translations: the entries of other languages
    whose id is the same but for the language code, first or last ("ru-delivery-time",
    "uk-delivery-time"; "returns-en", "returns-uk"). An admin who names translations so
    lends each the others' phrasings: Russian words in a Ukrainian question
    (surzhyk, or the Russian word for a thing) still find the Ukrainian answer."""
    topics_of: dict[str, list[int]] = {}
    for i, entry in enumerate(entries):
        code = entry.locale
        topic = entry.id
        if topic.startswith(code + "-"):
            topic = topic[len(code) + 1 :]
        elif topic.endswith("-" + code):
            topic = topic[: -len(code) - 1]
        else:
            continue  # no language code in the id: no way to tell its translations
        topics_of.setdefault(topic, []).append(i)
    out: dict[int, tuple[int, ...]] = {}
    for members in topics_of.values():
        for i in members:
            others = tuple(j for j in members if entries[j].locale != entries[i].locale)
            if others:
                out[i] = others
    return out


def warm() -> None:
    """Load the dictionaries and word lists that matching consults (~1 s, once per
    process); ``FaqIndex.build`` calls it, so a visitor's first question never waits."""
    topics.warm()
    commonness.warm()


def _synonym_hits(
    table: Synonyms, vocab: text.Vocabulary
) -> dict[str, tuple[tuple[int, float], ...]]:
    """For each stem of the synonym table, the FAQ terms it names: a few thousand typo
    scans once per index instead of one per synonym of each new question word."""
    out = {}
    for stem in table.stems:
        hits = tuple((t, sim) for t, sim in vocab.matches(stem).items() if sim >= KEY_MATCH)
        if hits:
            out[stem] = hits
    return out


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while an index is built. A build allocates about a
    million objects that all live on, and every so often the collector would walk all
    that the process holds (the dictionaries of ``topics`` too) to find no garbage;
    reference counting still frees the temporaries. That walk was a fifth of a build."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _phrasing_terms(phrasing: str) -> list[str]:
    """An admin's phrasing as terms, with ``PLACE_TERM`` when it names a place."""
    found = text.terms(phrasing)
    if found and names_place(found):
        found.append(PLACE_TERM)
    return found


def _commonness(
    entries: Sequence[FaqEntry], term_id: Mapping[str, int]
) -> dict[str, dict[int, float]]:
    """Per locale, each term's ``commonness.factor``: its most common form's. Forms are
    read from the phrasings and keywords only: answers are long (the cost of a build)
    and a term only an answer has is weak evidence anyway (``ANSWER_FACTOR``)."""
    typed: dict[str, set[str]] = {}  # locale -> words as typed (folded)
    for entry in entries:
        phrases = " / ".join((*entry.questions, *entry.keywords))
        typed.setdefault(entry.locale, set()).update(topics.typed_tokens(phrases))
    out: dict[str, dict[int, float]] = {}
    for locale, forms in typed.items():
        factors = out[locale] = {}
        for typed_form in forms:
            for word in text.words(typed_form):  # one word: runs shortened, slang swapped
                tid = term_id.get(text.stem(word))
                if tid is not None:
                    f = commonness.factor(typed_form, locale)
                    factors[tid] = min(f, factors.get(tid, 1.0))
    return out


def _plain_english(words: list[str]) -> bool:
    """True when the longer of ``words`` (Latin words the FAQ does not know, as typed:
    "need", not "ned") are mostly
    common English words: "bought", "headphones", "week" are not transliterated Russian
    ("skolko", "dostavka" are in no English list), so the Cyrillic readings, two more
    parses of a long message, are skipped. Short words say nothing ("na", "de", "v")."""
    longer = [w for w in words if len(w) >= ENGLISH_WORD_LEN]
    english = sum(commonness.zipf(w, "en") >= ENGLISH_ZIPF for w in longer)
    return len(longer) >= 2 and english * 3 >= len(longer) * 2


def _strong(query: _Query | None) -> int:
    """How many of a reading's words the FAQ knows well (a typo, not a guess); the
    place a reading found is no word of it."""
    if query is None:
        return 0
    return sum(
        1
        for term, found in zip(query.terms, query.matches, strict=True)
        if term != PLACE_TERM and any(s >= 0.8 for s in found.values())
    )


def _merge_phrases(extra: Mapping[str, Sequence[str]] | None) -> dict[str, tuple[str, ...]]:
    merged = {loc: tuple(phrases) for loc, phrases in HANDOFF_PHRASES.items()}
    for loc, phrases in (extra or {}).items():
        merged[loc] = tuple(dict.fromkeys((*merged.get(loc, ()), *phrases)))
    return merged


def _least_recall(factor: float, settings: MatchSettings | None) -> float:
    """The recall below which ``factor * _combine(recall, 1)`` stays under the pruning
    floor of ``_rank`` (a little less, against rounding)."""
    floor = (settings or DEFAULT_SETTINGS).suggest_cutoff * PRUNE_SHARE
    room = 100.0 * factor / floor - (1.0 - RECALL_WEIGHT) if floor > 0 else math.inf
    return 0.999 * RECALL_WEIGHT / room if room > 0 else math.inf


def _combine(recall: float, precision: float) -> float:
    if recall <= 0.0 or precision <= 0.0:
        return 0.0
    return 100.0 / (RECALL_WEIGHT / recall + (1.0 - RECALL_WEIGHT) / precision)


def decision_to_json(decision: Decision) -> dict[str, object]:
    """The wire shape: {"kind", "id", "score", "suggestions": [{"id", "score"}]}."""
    match decision:
        case Answer(entry=entry, score=score):
            return {"kind": "answer", "id": entry.id, "score": score, "suggestions": []}
        case Suggest(candidates=candidates):
            return {
                "kind": "suggest",
                "id": None,
                "score": candidates[0].score if candidates else None,
                "suggestions": [{"id": c.entry.id, "score": c.score} for c in candidates],
            }
        case NoMatch(best=best):
            return {
                "kind": "none",
                "id": None,
                "score": best.score if best else None,
                "suggestions": [],
            }
        case HandoffRequest(score=score):
            return {"kind": "handoff", "id": None, "score": score, "suggestions": []}


def lint(index: FaqIndex) -> list[tuple[FaqEntry, str]]:
    """Admin warnings (entry, message): a phrasing that another entry of the same
    language answers or rivals (the bot will hesitate or answer wrongly), and an entry
    with a single phrasing (visitors word things many ways)."""
    warnings: list[tuple[FaqEntry, str]] = []
    margin = index.settings.ambiguity_margin
    for entry in index.entries:
        if len(entry.questions) == 1:
            warnings.append((entry, "only one phrasing; add two or three ways visitors ask"))
        for question in entry.questions:
            ranked = [
                s for s in index.scores(question, entry.locale) if s.entry.locale == entry.locale
            ]
            own = next((s.score for s in ranked if s.entry.id == entry.id), 0.0)
            for rival in ranked:
                if rival.entry.id != entry.id and rival.score > own - margin:
                    warnings.append(
                        (
                            entry,
                            f"phrasing {question!r} collides with {rival.entry.id} "
                            f"({rival.score:.1f} vs {own:.1f})",
                        )
                    )
                    break
    return warnings
