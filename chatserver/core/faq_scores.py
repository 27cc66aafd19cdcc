"""Every FAQ entry's score for one question at once, with numpy.

``faq.FaqIndex`` decides; this module only does its arithmetic. Scoring entry by entry
in Python cost ~4 us an entry, and a question with a frequent word ("заказ", "order")
touches hundreds of entries in a large FAQ; here each matched term costs a few array
operations whatever the number of entries it touches, so one question against 1,000
entries stays well under a millisecond.

The formula is the one ``faq.py`` documents (its module docstring):

* recall of a phrasing: the weight of its terms that the question covers (each term
  counted with its best similarity to a question term) over the phrasing's total weight;
* precision of an entry: the question's weight that the entry explains (a term of its
  phrasings counts its similarity, a term only its answer has ``answer_factor`` of it);
* score = max over the entry's phrasings of factor x weighted harmonic mean of the two.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Scoring:
    """The constants of the formula (``faq.py`` explains each)."""

    recall_weight: float
    answer_factor: float
    floor: float  # a candidate's score bound (precision 1) must reach this
    foreign_penalty: float
    twin_discount: float  # a translation's score lent to an entry loses this


@dataclass(frozen=True, slots=True)
class ScoreTable:
    """The index as arrays: built once, read by every question."""

    locales: tuple[str, ...]
    locale_of: Ints  # per entry: index into locales
    ph_entry: Ints  # per phrasing: its entry
    ph_total: Floats  # per phrasing: the sum of its terms' weights
    ph_factor: Floats  # per phrasing: 1.0, or the keyword factor
    ph_least: Floats  # per phrasing: least covered weight that can reach the floor
    postings: Mapping[int, tuple[Ints, Floats]]  # term -> (phrasings, weights)
    in_bag: Mapping[int, tuple[Ints, Bools]]  # term -> (entries using it, common there?)
    in_answer: Mapping[int, Ints]  # term -> entries whose answer alone has it
    # translations (``faq.translations``): entry twin_entry[k] scores at least what
    # twin_of[k] scores, before the foreign penalty
    twin_entry: Ints
    twin_of: Ints

    @classmethod
    def build(
        cls,
        locales: Sequence[str],
        entry_locales: Sequence[str],
        phrasings: Sequence[tuple[int, float, float, float]],
        postings: tuple[Sequence[int], Sequence[int], Sequence[float]],
        bags: Sequence[frozenset[int]],
        answer_bags: Sequence[frozenset[int]],
        common: Mapping[str, frozenset[int]],
        twins: Sequence[tuple[int, int]],
    ) -> ScoreTable:
        """``phrasings``: (entry, total, factor, least) each; ``postings``: three
        parallel columns (term, phrasing, weight), phrasings in ascending order;
        ``bags``/``answer_bags``: per entry, its phrasing terms and the terms only its
        answer has; ``common``: per locale, the too-common terms; ``twins``: (entry,
        its translation) pairs."""
        where = {loc: k for k, loc in enumerate(locales)}
        locale_of = np.array([where[loc] for loc in entry_locales], dtype=np.intp)
        bag_terms, bag_entries = _pairs(bags)
        is_common = np.zeros(bag_terms.size, dtype=np.bool_)
        for k, loc in enumerate(locales):
            if common.get(loc):
                listed = np.fromiter(common[loc], dtype=np.intp)
                is_common |= (locale_of[bag_entries] == k) & np.isin(bag_terms, listed)
        answer_terms, answer_entries = _pairs(answer_bags)
        terms, ph, weights = postings
        return cls(
            locales=tuple(locales),
            locale_of=locale_of,
            ph_entry=np.array([p[0] for p in phrasings], dtype=np.intp),
            ph_total=np.array([p[1] for p in phrasings], dtype=np.float64),
            ph_factor=np.array([p[2] for p in phrasings], dtype=np.float64),
            ph_least=np.array([p[3] for p in phrasings], dtype=np.float64),
            postings=_group(
                np.array(terms, dtype=np.intp),
                np.array(ph, dtype=np.intp),
                np.array(weights, dtype=np.float64),
            ),
            in_bag=_group(bag_terms, bag_entries, is_common),
            in_answer={t: ids for t, (ids,) in _group(answer_terms, answer_entries).items()},
            twin_entry=np.array([a for a, _ in twins], dtype=np.intp),
            twin_of=np.array([b for _, b in twins], dtype=np.intp),
        )

    def scores(
        self,
        matches: Sequence[Mapping[int, float]],
        weights: Mapping[str, Sequence[float]],
        best_sim: Mapping[int, float],
        preferred: str | None,
        scoring: Scoring,
    ) -> Floats:
        """Per entry: its score, or -inf for an entry that is no candidate (no phrasing
        covered enough to reach the floor, or only common words shared)."""
        n_entries = len(self.locale_of)
        covered = np.zeros(len(self.ph_entry))
        has_rare = np.zeros(n_entries, dtype=np.bool_)
        for tid, sim in best_sim.items():
            posting = self.postings.get(tid)
            if posting is not None:
                phrasings, term_weights = posting
                covered[phrasings] += term_weights * sim  # a term is once in a phrasing
            used = self.in_bag.get(tid)
            if used is not None:
                has_rare[used[0][~used[1]]] = True
        kept = np.flatnonzero(covered >= self.ph_least)
        kept = kept[covered[kept] > 0.0]
        if kept.size == 0:
            return np.full(n_entries, -np.inf)
        owner = self.ph_entry[kept]
        recall = covered[kept] / self.ph_total[kept]
        factor = self.ph_factor[kept]
        rw = scoring.recall_weight
        bound = np.full(n_entries, -np.inf)
        np.maximum.at(bound, owner, factor * 100.0 / (rw / recall + (1.0 - rw)))
        candidate = (bound >= scoring.floor) & has_rare
        precision = self._precision(matches, weights, scoring.answer_factor)
        entry_precision = precision[owner]
        with np.errstate(divide="ignore"):
            # precision 0 gives rw/r + inf = inf, and the score 0 that faq._combine gives
            score = factor * 100.0 / (rw / recall + (1.0 - rw) / entry_precision)
        best = np.full(n_entries, -np.inf)
        np.maximum.at(best, owner, score)
        best[~candidate] = -np.inf
        if self.twin_entry.size:
            # A translation's phrasings are evidence for the same topic: a Ukrainian
            # question in Russian words ("скільки коштує доставка курьером") still
            # gets the Ukrainian entry, at what the Russian one scores.
            np.maximum.at(best, self.twin_entry, best[self.twin_of] - scoring.twin_discount)
        if preferred is not None:
            native = self.locales.index(preferred) if preferred in self.locales else -1
            best = best - scoring.foreign_penalty * (self.locale_of != native)
        return best

    def _precision(
        self,
        matches: Sequence[Mapping[int, float]],
        weights: Mapping[str, Sequence[float]],
        answer_factor: float,
    ) -> Floats:
        """Per entry: the share of the question's weight (in the entry's language) that
        the entry's terms explain."""
        n_entries = len(self.locale_of)
        per_locale = np.array([weights[loc] for loc in self.locales], dtype=np.float64)
        explained = np.zeros(n_entries)
        for j, found in enumerate(matches):
            if not found:
                continue
            best = np.zeros(n_entries)
            for tid, sim in found.items():
                used = self.in_bag.get(tid)
                if used is not None:
                    ids = used[0]
                    best[ids] = np.maximum(best[ids], sim)
                only = self.in_answer.get(tid)
                if only is not None:
                    best[only] = np.maximum(best[only], sim * answer_factor)
            explained += per_locale[self.locale_of, j] * best
        # A question of names and times only weighs nothing in a locale: explains nothing.
        totals = np.maximum(per_locale.sum(axis=1), 1e-9)
        out: Floats = explained / totals[self.locale_of]
        return out


def _pairs(bags: Sequence[frozenset[int]]) -> tuple[Ints, Ints]:
    """(term, entry) for every term of every bag, as two columns."""
    sizes = np.fromiter(map(len, bags), dtype=np.intp, count=len(bags))
    terms = np.fromiter(itertools.chain.from_iterable(bags), dtype=np.intp, count=int(sizes.sum()))
    return terms, np.repeat(np.arange(len(bags), dtype=np.intp), sizes)


def _group(keys: Ints, *columns: npt.NDArray[Any]) -> dict[int, tuple[Any, ...]]:
    """``columns`` split by ``keys``: key -> its rows of each column, in their order."""
    if keys.size == 0:
        return {}
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    sorted_columns = [c[order] for c in columns]
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    ends = np.append(starts[1:], keys.size)
    return {
        key: tuple(c[a:b] for c in sorted_columns)
        for key, a, b in zip(keys[starts].tolist(), starts.tolist(), ends.tolist(), strict=True)
    }
