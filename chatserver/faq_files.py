"""faq_data/*.yaml -> core FAQ entries: loading, validation with file:line, hot reload.

Admins edit these files by hand on a live server, so a mistake must be reported as
``path:line: what is wrong`` and must never take the bot down: ``FaqLibrary`` keeps
answering from the last good set until the files are fixed.

Only YAML's safe subset is read: the document is *composed* (not constructed) with a
``yaml.SafeLoader`` subclass, so every node keeps its line, and only the scalars we
expect are turned into values. Aliases are capped (``MAX_ALIASES``) because a few
nested ones expand exponentially ("billion laughs"); file size is capped too.

File format (one locale per file; files may sit in subdirectories)::

    locale: ru                 # ru | uk | en
    category: Доставка         # optional, default: the file name
    department: sales          # optional, default for the entries
    entries:
      - id: delivery-time      # unique across all files, [a-z0-9-]+
        questions: [Сколько идёт доставка?, Когда привезут заказ?]
        answer: Обычно 2–5 рабочих дней.
        keywords: [доставка]   # optional; also: handoff, department, priority, category

A file may instead (or as well) list phrases that mean "let me talk to a person"; they
extend the built-in list in ``chatserver.core.intents`` and are matched the same way
(word forms and typos included)::

    locale: ru
    handoff_phrases: [позовите старшего, хочу к живому консультанту]

A one-word phrase counts only in a short message ("старший!"), a longer one anywhere.

A file may also list synonym groups, words visitors use for what the entries say
otherwise; they extend the built-in table in ``chatserver.core.synonyms``::

    locale: ru
    synonyms: [телевизор, телек, тв]     # or a list of groups, each "a, b, c"

And what the shop sells (categories, brands, models), so that a question naming one is
not taken for another topic ("можна взяти телевізор в кредит?"); see
``chatserver.core.topics``::

    locale: ru
    products: [телевизор, ноутбук, наушники, Samsung, PlayStation]

And other companies' services that visitors confuse with the shop's ("мой заказ на
вайлдберриз"), beyond the built-in list of ``chatserver.core.elsewhere``::

    locale: ru
    others: [мегамаркет, кинопоиск]

And multi-word expressions visitors use, read in their questions as the word they mean
(beyond the built-in table of ``chatserver.core.expressions``); each of two words or
more, matched on word stems::

    locale: ru
    expressions:
      оформить возврат: вернуть
      не пришел трек: отследить
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from chatserver.core.faq import FaqEntry, FaqIndex, MatchSettings
from chatserver.core.models import LOCALES
from chatserver.core.text import words
from chatserver.errors import ConfigError
from chatserver.tasks import stop_if_cancelled

log = logging.getLogger("chatserver.faq")
_T = TypeVar("_T")

MAX_FILE_BYTES = 1_000_000  # the whole demo FAQ is ~20 kB; a megabyte is a mistake
MAX_ALIASES = 10  # enough to share a keyword list; far too few for an expansion bomb
ID_PATTERN = re.compile(r"[a-z0-9-]+")
SUFFIXES = (".yaml", ".yml")

FILE_KEYS = (
    "locale",
    "category",
    "department",
    "entries",
    "handoff_phrases",
    "synonyms",
    "products",
    "others",
    "expressions",
)
ENTRY_KEYS = (
    "id",
    "questions",
    "answer",
    "keywords",
    "handoff",
    "department",
    "priority",
    "category",
)


@dataclass(frozen=True, slots=True)
class FaqProblem:
    """One thing wrong with the FAQ files. ``line`` is 1-based; 0 means the whole
    file or directory (too large, missing), printed as ``path: message``."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        if self.line <= 0:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class LoadResult:
    entries: tuple[FaqEntry, ...]  # every valid entry, even when problems were found
    problems: tuple[FaqProblem, ...]
    files: int
    handoff_phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per locale
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per locale: groups
    products: tuple[str, ...] = ()  # what the shop sells, every file's list
    others: tuple[str, ...] = ()  # other companies' services, every file's list
    # per locale: phrase -> what it means
    expressions: dict[str, dict[str, str]] = field(default_factory=dict)

    def build(self, settings: MatchSettings | None = None) -> FaqIndex:
        """The match index of these entries with the files' phrases, synonyms and
        products."""
        return FaqIndex.build(
            self.entries,
            settings,
            self.handoff_phrases,
            self.synonyms,
            self.products,
            self.others,
            self.expressions,
        )

    @property
    def ok(self) -> bool:
        return not self.problems


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses more than ``MAX_ALIASES`` alias nodes per file."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise ComposerError(None, None, f"more than {MAX_ALIASES} aliases", mark)
        return super().compose_node(parent, index)


def faq_files(directory: Path) -> list[Path]:
    """Every *.yaml / *.yml under ``directory``, sorted; hidden files and dirs skipped
    (editors keep swap and backup files there)."""
    found = [
        p
        for p in directory.rglob("*")
        if p.suffix in SUFFIXES
        and p.is_file()
        and not any(part.startswith((".", "~")) for part in p.relative_to(directory).parts)
    ]
    return sorted(found, key=lambda p: p.relative_to(directory).as_posix())


def load_faq_dir(directory: Path, *, max_file_bytes: int = MAX_FILE_BYTES) -> LoadResult:
    """Read and validate every FAQ file; collect all problems rather than stop at one."""
    if not directory.is_dir():
        problem = FaqProblem(str(directory), 0, "FAQ directory does not exist")
        return LoadResult((), (problem,), 0)
    files = faq_files(directory)
    if not files:
        problem = FaqProblem(str(directory), 0, "no *.yaml or *.yml files in the FAQ directory")
        return LoadResult((), (problem,), 0)
    entries: list[FaqEntry] = []
    problems: list[FaqProblem] = []
    first_seen: dict[str, FaqEntry] = {}
    phrases: dict[str, list[str]] = {}
    synonyms: dict[str, list[str]] = {}
    products: list[str] = []
    others: list[str] = []
    expressions: dict[str, dict[str, str]] = {}
    for path in files:
        checker = _FileChecker(path)
        for entry, line in checker.load(max_file_bytes):
            if entry.id in first_seen:
                first = first_seen[entry.id].source
                checker.report(line, f"duplicate id {entry.id!r}, first defined at {first}")
            else:
                first_seen[entry.id] = entry
                entries.append(entry)
        problems.extend(checker.problems)
        for locale, found in checker.handoff_phrases.items():
            phrases.setdefault(locale, []).extend(found)
        for locale, found in checker.synonyms.items():
            synonyms.setdefault(locale, []).extend(found)
        products.extend(checker.products)
        others.extend(checker.others)
        for locale, table in checker.expressions.items():
            expressions.setdefault(locale, {}).update(table)
    if not entries and not problems:
        problems.append(FaqProblem(str(directory), 0, "the FAQ files contain no entries"))
    handoff = {loc: tuple(dict.fromkeys(found)) for loc, found in phrases.items()}
    groups = {loc: tuple(dict.fromkeys(found)) for loc, found in synonyms.items()}
    return LoadResult(
        tuple(entries),
        tuple(problems),
        len(files),
        handoff,
        groups,
        tuple(dict.fromkeys(products)),
        tuple(dict.fromkeys(others)),
        expressions,
    )


class _FileChecker:
    """Validates one file; ``problems`` collects everything found."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self._file = path
        self.problems: list[FaqProblem] = []
        self.handoff_phrases: dict[str, tuple[str, ...]] = {}
        self.synonyms: dict[str, tuple[str, ...]] = {}
        self.products: tuple[str, ...] = ()
        self.others: tuple[str, ...] = ()
        self.expressions: dict[str, dict[str, str]] = {}
        self._constructor = SafeConstructor()

    def report(self, at: Node | int, message: str) -> None:
        line = at if isinstance(at, int) else at.start_mark.line + 1
        self.problems.append(FaqProblem(self.path, line, message))

    def load(self, max_bytes: int) -> Iterator[tuple[FaqEntry, int]]:
        """Yield (entry, line) for every valid entry of the file."""
        root = self._compose(max_bytes)
        if root is None:
            return
        if not isinstance(root, MappingNode):
            self.report(root, "the file must be a mapping with 'locale' and 'entries'")
            return
        top = self._mapping(root, FILE_KEYS)
        locale = self._locale(root, top.get("locale"))
        category = self._text(top.get("category"), "category") or self._file.stem
        department = self._text(top.get("department"), "department")
        entries_node = top.get("entries")
        phrases_node = top.get("handoff_phrases")
        if phrases_node is not None:
            phrases = self._texts(phrases_node, "handoff_phrases")
            if phrases == ():
                self.report(phrases_node, "'handoff_phrases' is empty")
            elif phrases and locale is not None:
                self.handoff_phrases[locale] = phrases
        synonyms_node = top.get("synonyms")
        if synonyms_node is not None:
            groups = self._synonym_groups(synonyms_node)
            if groups and locale is not None:
                self.synonyms[locale] = groups
        products_node = top.get("products")
        if products_node is not None:
            self.products = self._word_list(products_node, "products")
        others_node = top.get("others")
        if others_node is not None:
            self.others = self._word_list(others_node, "others")
        expressions_node = top.get("expressions")
        if expressions_node is not None:
            table = self._expressions(expressions_node)
            if table and locale is not None:
                self.expressions[locale] = table
        if entries_node is None:
            extras = (phrases_node, synonyms_node, products_node, others_node, expressions_node)
            if all(n is None for n in extras):
                self.report(root, "missing 'entries' (a list of questions and answers)")
            return
        if not isinstance(entries_node, SequenceNode):
            self.report(entries_node, "'entries' must be a list")
            return
        for item in entries_node.value:
            entry = self._entry(item, locale, category, department)
            if entry is not None:
                yield entry, item.start_mark.line + 1

    def _word_list(self, node: Node, key: str) -> tuple[str, ...]:
        """A top-level list of names (``products``, ``others``); () when invalid."""
        found = self._texts(node, key)
        if found == ():
            self.report(node, f"{key!r} is empty")
        return found or ()

    def _compose(self, max_bytes: int) -> Node | None:
        try:
            with self._file.open("rb") as f:
                data = f.read(max_bytes + 1)  # never read more than the limit
        except OSError as e:
            self.report(0, f"cannot read the file: {e.strerror or e}")
            return None
        if len(data) > max_bytes:
            self.report(0, f"file is larger than {max_bytes} bytes")
            return None
        try:
            source = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            line = data[: e.start].count(b"\n") + 1
            self.report(line, f"not valid UTF-8 (byte 0x{data[e.start]:02x}); save as UTF-8")
            return None
        try:
            node = yaml.compose(source, Loader=_Loader)
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = mark.line + 1 if mark is not None else 0
            message = f"YAML error: {e.problem or e.context}"
            if e.context and e.problem and e.context_mark is not None:
                message += f" ({e.context} started at line {e.context_mark.line + 1})"
            self.report(line, message)
            return None
        except yaml.reader.ReaderError as e:
            line = source[: e.position].count("\n") + 1
            self.report(line, f"YAML error: unacceptable character #x{e.character:04x}")
            return None
        except (yaml.YAMLError, RecursionError) as e:
            self.report(0, f"YAML error: {e.__class__.__name__}")
            return None
        if node is None:
            self.report(1, "the file is empty; expected 'locale' and 'entries'")
        return node

    def _mapping(self, node: MappingNode, allowed: tuple[str, ...]) -> dict[str, Node]:
        """Key -> value node; reports unknown, duplicate and non-text keys."""
        out: dict[str, Node] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            line = key_node.start_mark.line + 1
            if not isinstance(key, str) or key_node.tag != "tag:yaml.org,2002:str":
                self.report(key_node, "keys must be plain words")
            elif key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                guess = f"; did you mean {hint[0]!r}?" if hint else ""
                self.report(key_node, f"unknown key {key!r}{guess} (allowed: {', '.join(allowed)})")
            elif key in out:
                self.report(key_node, f"duplicate key {key!r} (first at line {lines[key]})")
            else:
                out[key] = value_node
                lines[key] = line
        return out

    def _scalar(self, node: Node) -> object:
        if not isinstance(node, ScalarNode):
            return node  # a list or mapping where a value was expected
        try:
            return self._constructor.construct_object(node, deep=True)
        except ConstructorError:
            return node

    def _text(self, node: Node | None, name: str, *, required: bool = False) -> str | None:
        """A non-empty string value (stripped), or None after reporting why not."""
        if node is None:
            return None
        value = self._scalar(node)
        if value is None:
            if required:
                self.report(node, f"{name!r} is empty")
            return None
        if not isinstance(value, str):
            self.report(node, f"{name!r} must be text")
            return None
        if not value.strip():
            self.report(node, f"{name!r} is empty")
            return None
        return value.strip()

    def _locale(self, root: Node, node: Node | None) -> str | None:
        if node is None:
            self.report(root, f"missing 'locale' (one of: {', '.join(LOCALES)})")
            return None
        value = self._scalar(node)
        if value not in LOCALES:
            shown = value if isinstance(value, str | int | float | bool) else "a list/mapping"
            self.report(node, f"unknown locale {shown!r} (one of: {', '.join(LOCALES)})")
            return None
        return str(value)

    def _texts(self, node: Node | None, name: str) -> tuple[str, ...] | None:
        """A list of non-empty strings; each bad item is reported at its own line."""
        if node is None:
            return ()
        if not isinstance(node, SequenceNode):
            self.report(node, f"{name!r} must be a list")
            return None
        items = [self._text(item, f"{name} item", required=True) for item in node.value]
        if any(item is None for item in items):
            return None
        return tuple(item for item in items if item is not None)

    def _expressions(self, node: Node) -> dict[str, str]:
        """``expressions``: a mapping of phrases (two words or more) to what each means;
        each bad item is reported at its own line and left out."""
        if not isinstance(node, MappingNode) or not node.value:
            self.report(node, "'expressions' must be a mapping of phrases to their meaning")
            return {}
        table: dict[str, str] = {}
        for key_node, value_node in node.value:
            phrase = self._text(key_node, "expression", required=True)
            meaning = self._text(value_node, f"meaning of {phrase}", required=True)
            if phrase is None or meaning is None:
                continue
            if len(words(phrase)) < 2:
                self.report(key_node, f"the expression {phrase!r} needs two words or more")
            elif not words(meaning):
                self.report(value_node, f"the meaning of {phrase!r} has no words")
            elif phrase in table:
                self.report(key_node, f"duplicate expression {phrase!r}")
            else:
                table[phrase] = meaning
        return table

    def _synonym_groups(self, node: Node) -> tuple[str, ...]:
        """``synonyms``: a list of groups, each "a, b, c" or a list of words; a flat list
        of words is one group. Groups as "a, b, c" strings; problems reported."""
        if not isinstance(node, SequenceNode) or not node.value:
            self.report(node, "'synonyms' must be a non-empty list of groups")
            return ()
        if all(isinstance(item, ScalarNode) and "," not in str(item.value) for item in node.value):
            words = self._texts(node, "synonyms")
            return (", ".join(words),) if words and len(words) > 1 else ()
        groups: list[str] = []
        for item in node.value:
            words = (
                self._texts(item, "synonyms group")
                if isinstance(item, SequenceNode)
                else tuple(w.strip() for w in (self._text(item, "synonyms group") or "").split(","))
            )
            words = tuple(w for w in words or () if w)
            if len(words) < 2:
                self.report(item, "a synonyms group needs at least two words")
                continue
            groups.append(", ".join(words))
        return tuple(groups)

    def _entry(
        self, node: Node, locale: str | None, category: str, department: str | None
    ) -> FaqEntry | None:
        if not isinstance(node, MappingNode):
            self.report(node, "each entry must be a mapping with 'id', 'questions' and 'answer'")
            return None
        before = len(self.problems)
        fields = self._mapping(node, ENTRY_KEYS)
        entry_id = self._text(fields.get("id"), "id", required=True)
        if "id" not in fields:
            self.report(node, "entry has no 'id'")
        elif entry_id is not None and not ID_PATTERN.fullmatch(entry_id):
            self.report(fields["id"], f"id {entry_id!r} may contain only a-z, 0-9 and '-'")
        questions = self._texts(fields.get("questions"), "questions")
        if "questions" not in fields:
            self.report(node, "entry has no 'questions'")
        elif questions == ():
            self.report(fields["questions"], "'questions' is empty")
        answer = self._text(fields.get("answer"), "answer", required=True)
        if "answer" not in fields:
            self.report(node, "entry has no 'answer'")
        keywords = self._texts(fields.get("keywords"), "keywords")
        handoff = self._typed(fields.get("handoff"), "handoff", bool, False)
        priority = self._typed(fields.get("priority"), "priority", int, 0)
        entry_department = self._text(fields.get("department"), "department") or department
        entry_category = self._text(fields.get("category"), "category") or category
        if len(self.problems) > before or locale is None:
            return None
        # no problem reported means every required value was present and valid
        assert entry_id
        assert questions
        assert answer
        assert keywords is not None
        return FaqEntry(
            id=entry_id,
            locale=locale,
            category=entry_category,
            questions=questions,
            answer=answer,
            keywords=keywords,
            handoff=handoff,
            department=entry_department,
            priority=priority,
            source=f"{self.path}:{node.start_mark.line + 1}",
        )

    def _typed(self, node: Node | None, name: str, kind: type[_T], default: _T) -> _T:
        if node is None:
            return default
        value = self._scalar(node)
        # bool is an int in Python; "priority: yes" must not pass as 1
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.report(node, f"{name!r} must be {'true or false' if kind is bool else 'a number'}")
            return default
        return value


class FaqLibrary:
    """Holds the current FaqIndex; reload() swaps it atomically (a single attribute
    assignment of a fully-built index), or keeps the old one when the new files have
    problems. Readers just use ``library.index`` for each question; no lock is needed.
    """

    def __init__(
        self,
        directory: Path,
        settings: MatchSettings | None = None,
        *,
        max_file_bytes: int = MAX_FILE_BYTES,
    ) -> None:
        self.directory = directory
        self._settings = settings
        self._max_file_bytes = max_file_bytes
        self._index = FaqIndex.build([], settings)
        self._problems: tuple[FaqProblem, ...] = ()
        self._generation = 0
        self._snapshot: tuple[tuple[str, int, int], ...] | None = None

    @property
    def index(self) -> FaqIndex:
        return self._index

    @property
    def problems(self) -> tuple[FaqProblem, ...]:
        return self._problems

    @property
    def generation(self) -> int:
        return self._generation

    def reload(self) -> tuple[FaqProblem, ...]:
        """Load the directory; swap the index in when it is clean. Returns the problems."""
        # Snapshot *before* reading: an edit landing mid-read leaves a newer mtime behind,
        # so changed() fires again and the next poll reads the finished file.
        self._snapshot = self._take_snapshot()
        result = load_faq_dir(self.directory, max_file_bytes=self._max_file_bytes)
        problems = result.problems
        if not problems:
            try:
                index = result.build(self._settings)
            except ConfigError as e:  # load_faq_dir checks ids first; kept as a backstop
                problems = (FaqProblem(str(self.directory), 0, e.message),)
        if problems:
            for problem in problems:
                log.warning("%s", problem)
            log.warning(
                "FAQ not reloaded (%d problems); still serving generation %d with %d entries",
                len(problems),
                self._generation,
                len(self._index),
            )
            self._problems = problems
            return problems
        self._index = index
        self._problems = ()
        self._generation += 1
        log.info(
            "FAQ generation %d: %d entries from %d files in %s",
            self._generation,
            len(index),
            result.files,
            self.directory,
        )
        return ()

    def changed(self) -> bool:
        """Whether any FAQ file was added, removed or modified since the last reload()."""
        return self._take_snapshot() != self._snapshot

    async def watch(self, interval: float = 1.0) -> None:
        """Poll for edits and reload, forever. Polling is deliberate: no extra
        dependency, and it works on every filesystem, bind mounts included.

        Reading and indexing run on a worker thread (a large FAQ takes a noticeable
        fraction of a second to index, which must not stall every chat); the new index
        replaces the old one in a single attribute assignment, so a question is matched
        against one set or the other, never a mix. Errors are logged and the loop goes
        on; the current index stays in service.
        """
        while True:
            await asyncio.sleep(interval)
            try:
                if await asyncio.to_thread(self.changed):
                    await asyncio.to_thread(self.reload)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("FAQ reload failed; keeping generation %d", self._generation)
                stop_if_cancelled()

    def _take_snapshot(self) -> tuple[tuple[str, int, int], ...]:
        """(name, mtime_ns, size) of every FAQ file: cheap, a stat per file."""
        if not self.directory.is_dir():
            return ()
        snapshot = []
        for path in faq_files(self.directory):
            try:
                st = path.stat()
            except OSError:  # deleted between listing and stat: the next poll sees it
                continue
            snapshot.append(
                (path.relative_to(self.directory).as_posix(), st.st_mtime_ns, st.st_size)
            )
        return tuple(snapshot)
