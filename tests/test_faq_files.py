"""FAQ files: validation with exact file:line, and the hot-reloading library."""

from __future__ import annotations

import asyncio
import logging
import os
import textwrap
from pathlib import Path

import pytest

from chatserver.core.faq import Answer, FaqIndex, NoMatch
from chatserver.faq_files import FaqLibrary, FaqProblem, load_faq_dir

FAQ_DIR = Path(__file__).resolve().parent.parent / "faq_data"

GOOD = """\
locale: ru
category: Доставка
department: sales
entries:
  - id: delivery-time
    questions:
      - Сколько идёт доставка?
      - Когда привезут заказ?
    answer: |
      Обычно 2–5 рабочих дней.
    keywords: [сроки доставки]
"""


def write(directory: Path, name: str, body: str | bytes) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(body, bytes):
        path.write_bytes(body)
    else:
        path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def edit(path: Path, body: str) -> None:
    """Rewrite a file and move its mtime on, so even a coarse-mtime filesystem sees it."""
    before = path.stat().st_mtime_ns
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


def problems_of(directory: Path, **kw: int) -> list[str]:
    return [str(p) for p in load_faq_dir(directory, **kw).problems]


def only_problem(directory: Path, body: str, name: str = "faq.yaml") -> str:
    path = write(directory, name, body)
    found = problems_of(directory)
    assert len(found) == 1, found
    assert found[0].startswith(f"{path}:"), found
    return found[0]


# --- a good directory ---------------------------------------------------------------


def test_good_file_loads_with_defaults_and_source(tmp_path: Path) -> None:
    path = write(tmp_path, "ru/delivery.yaml", GOOD)
    result = load_faq_dir(tmp_path)
    assert result.problems == ()
    assert result.files == 1
    (entry,) = result.entries
    assert entry.id == "delivery-time"
    assert entry.locale == "ru"
    assert entry.category == "Доставка"
    assert entry.department == "sales"  # inherited from the file
    assert entry.questions == ("Сколько идёт доставка?", "Когда привезут заказ?")
    assert entry.answer == "Обычно 2–5 рабочих дней."
    assert entry.keywords == ("сроки доставки",)
    assert (entry.handoff, entry.priority) == (False, 0)
    assert entry.source == f"{path}:5"


def test_optional_keys_and_yml_and_hidden_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        "contacts.yml",
        """\
        locale: en
        entries:
          - id: complaint
            questions: [I want to complain]
            answer: Sorry!
            handoff: true
            priority: 2
            department: support
            category: Complaints
        """,
    )
    write(tmp_path, ".#contacts.yml", "not: [valid")  # editor lock/backup files
    write(tmp_path, ".git/x.yaml", "not: [valid")
    result = load_faq_dir(tmp_path)
    assert result.problems == ()
    (entry,) = result.entries
    assert (entry.handoff, entry.priority, entry.department) == (True, 2, "support")
    assert entry.category == "Complaints"


def test_category_defaults_to_the_file_name(tmp_path: Path) -> None:
    write(
        tmp_path, "payment.yaml", "locale: en\nentries:\n  - {id: a, questions: [q], answer: x}\n"
    )
    assert load_faq_dir(tmp_path).entries[0].category == "payment"


def test_demo_faq_is_clean() -> None:
    result = load_faq_dir(FAQ_DIR)
    assert result.problems == ()
    for locale in ("ru", "uk", "en"):
        count = sum(1 for e in result.entries if e.locale == locale)
        assert 12 <= count <= 20, (locale, count)


# --- each problem, with its file and line -------------------------------------------


def test_problem_str() -> None:
    assert str(FaqProblem("a.yaml", 3, "bad")) == "a.yaml:3: bad"
    assert str(FaqProblem("faq_data", 0, "missing")) == "faq_data: missing"


def test_missing_and_empty_directory(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "nope") == [f"{tmp_path / 'nope'}: FAQ directory does not exist"]
    assert problems_of(tmp_path) == [f"{tmp_path}: no *.yaml or *.yml files in the FAQ directory"]


def test_yaml_syntax_error_line(tmp_path: Path) -> None:
    msg = only_problem(tmp_path, "locale: ru\nentries:\n\t- id: a\n")
    assert msg.endswith("faq.yaml:3: YAML error: found character '\\t' that cannot start any token")


def test_unclosed_flow_list_names_both_lines(tmp_path: Path) -> None:
    body = "locale: ru\nentries:\n  - id: a\n    questions: [one, two\n    answer: x\n"
    msg = only_problem(tmp_path, body)
    assert ":5: YAML error: expected ',' or ']'" in msg
    assert "started at line 4" in msg


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    msg = only_problem(tmp_path, "- a\n- b\n")
    assert msg.endswith(":1: the file must be a mapping with 'locale' and 'entries'")


def test_empty_file(tmp_path: Path) -> None:
    assert only_problem(tmp_path, "# nothing yet\n").endswith(
        ":1: the file is empty; expected 'locale' and 'entries'"
    )


def test_missing_locale(tmp_path: Path) -> None:
    msg = only_problem(tmp_path, "category: x\nentries: []\n")
    assert msg.endswith(":1: missing 'locale' (one of: ru, uk, en)")


def test_unknown_locale(tmp_path: Path) -> None:
    msg = only_problem(tmp_path, "# German\nlocale: de\nentries: []\n")
    assert msg.endswith(":2: unknown locale 'de' (one of: ru, uk, en)")


def test_missing_entries(tmp_path: Path) -> None:
    msg = only_problem(tmp_path, "locale: ru\n")
    assert msg.endswith(":1: missing 'entries' (a list of questions and answers)")


def test_entries_not_a_list(tmp_path: Path) -> None:
    msg = only_problem(tmp_path, "locale: ru\nentries:\n  id: a\n")
    assert msg.endswith(":3: 'entries' must be a list")


def test_entry_not_a_mapping(tmp_path: Path) -> None:
    body = GOOD + "  - just a question?\n"
    assert only_problem(tmp_path, body).endswith(
        ":12: each entry must be a mapping with 'id', 'questions' and 'answer'"
    )


@pytest.mark.parametrize(
    ("id_line", "expected"),
    [
        ("  - idd: x", ":5: unknown key 'idd'; did you mean 'id'?"),
        ("  - id: ''", ":5: 'id' is empty"),
        ("  - id:", ":5: 'id' is empty"),
        ("  - id: 42", ":5: 'id' must be text"),
        ("  - id: [a, b]", ":5: 'id' must be text"),
        ("  - id: Delivery Time", ":5: id 'Delivery Time' may contain only a-z, 0-9 and '-'"),
    ],
)
def test_bad_id(tmp_path: Path, id_line: str, expected: str) -> None:
    body = GOOD.replace("  - id: delivery-time", id_line)
    write(tmp_path, "faq.yaml", body)
    found = problems_of(tmp_path)
    assert any(expected in p for p in found), found
    if "idd" in id_line:
        assert any(p.endswith(":5: entry has no 'id'") for p in found), found


def test_duplicate_id_names_both_places(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", GOOD)
    second = write(tmp_path, "b.yaml", GOOD.replace("locale: ru", "locale: uk"))
    assert problems_of(tmp_path) == [
        f"{second}:5: duplicate id 'delivery-time', first defined at {first}:5"
    ]


def test_missing_and_empty_answer(tmp_path: Path) -> None:
    no_answer = GOOD.replace("    answer: |\n      Обычно 2–5 рабочих дней.\n", "")
    assert only_problem(tmp_path, no_answer).endswith(":5: entry has no 'answer'")
    blank = GOOD.replace("    answer: |\n      Обычно 2–5 рабочих дней.\n", "    answer: '  '\n")
    assert only_problem(tmp_path, blank).endswith(":9: 'answer' is empty")


@pytest.mark.parametrize(
    ("questions", "expected"),
    [
        ("", ":5: entry has no 'questions'"),
        ("    questions: []\n", ":6: 'questions' is empty"),
        ("    questions: Сколько?\n", ":6: 'questions' must be a list"),
        ("    questions:\n      - ok\n      - ''\n", ":8: 'questions item' is empty"),
        ("    questions:\n      - ok\n      - 12\n", ":8: 'questions item' must be text"),
        ("    questions:\n      - ok\n      -\n", ":8: 'questions item' is empty"),
    ],
)
def test_bad_questions(tmp_path: Path, questions: str, expected: str) -> None:
    old = "    questions:\n      - Сколько идёт доставка?\n      - Когда привезут заказ?\n"
    assert only_problem(tmp_path, GOOD.replace(old, questions)).endswith(expected)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("    keywords: доставка", ":11: 'keywords' must be a list"),
        ("    keywords: [ok, 5]", ":11: 'keywords item' must be text"),
        ("    handoff: maybe", ":11: 'handoff' must be true or false"),
        ("    priority: high", ":11: 'priority' must be a number"),
        ("    priority: true", ":11: 'priority' must be a number"),
        ("    department: 5", ":11: 'department' must be text"),
        ("    anwser: typo", ":11: unknown key 'anwser'; did you mean 'answer'?"),
        ("    answer: again", ":11: duplicate key 'answer' (first at line 9)"),
    ],
)
def test_bad_optional_fields_and_keys(tmp_path: Path, line: str, expected: str) -> None:
    body = GOOD.replace("    keywords: [сроки доставки]", line)
    assert expected in only_problem(tmp_path, body)


def test_unknown_top_level_key(tmp_path: Path) -> None:
    msg = only_problem(tmp_path, GOOD.replace("department: sales", "departmant: sales"))
    assert ":3: unknown key 'departmant'; did you mean 'department'?" in msg


def test_all_problems_are_collected(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD.replace("locale: ru", "locale: xx"))
    write(
        tmp_path,
        "b.yaml",
        """\
        locale: en
        entries:
          - id: one
            questions: []
            answer: ''
          - id: Two
            questions: [q]
            anwser: x
        """,
    )
    found = problems_of(tmp_path)
    places = sorted(p.split(": ", 1)[0].rsplit("/", 1)[-1] for p in found)
    # unknown locale; empty questions; empty answer; bad id + missing answer; anwser
    assert places == ["a.yaml:1", "b.yaml:4", "b.yaml:5", "b.yaml:6", "b.yaml:6", "b.yaml:8"]


def test_valid_entries_survive_next_to_problems(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yaml", "locale: en\nentries: 5\n")
    result = load_faq_dir(tmp_path)
    assert [e.id for e in result.entries] == ["delivery-time"]
    assert len(result.problems) == 1


def test_file_too_large(tmp_path: Path) -> None:
    path = write(tmp_path, "big.yaml", GOOD + "# " + "x" * 2000 + "\n")
    assert problems_of(tmp_path, max_file_bytes=1000) == [f"{path}: file is larger than 1000 bytes"]


def test_undecodable_utf8_reports_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "cp1251.yaml", b"locale: ru\nentries:\n  - id: x\n\xcf\xf0\n")
    assert problems_of(tmp_path) == [f"{path}:4: not valid UTF-8 (byte 0xcf); save as UTF-8"]


def test_alias_bomb_is_rejected(tmp_path: Path) -> None:
    levels = ['a0: &a0 ["lol", "lol", "lol"]']
    for i in range(1, 10):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 3) + "]")
    path = write(tmp_path, "bomb.yaml", "\n".join(levels) + "\n")
    # 3 aliases per line: the 11th alias is on line 5
    assert problems_of(tmp_path) == [f"{path}:5: YAML error: more than 10 aliases"]


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    write(
        tmp_path,
        "aliases.yaml",
        """\
        locale: en
        entries:
          - id: a
            questions: [q one]
            answer: &shared Call us.
            keywords: &kw [contact]
          - id: b
            questions: [q two]
            answer: *shared
            keywords: *kw
        """,
    )
    result = load_faq_dir(tmp_path)
    assert result.problems == ()
    assert result.entries[1].answer == "Call us."
    assert result.entries[1].keywords == ("contact",)


def test_non_safe_tags_are_not_constructed(tmp_path: Path) -> None:
    body = GOOD.replace("Обычно 2–5 рабочих дней.", "!!python/object/apply:os.system ['echo hi']")
    body = body.replace("    answer: |\n      ", "    answer: ")
    assert "'answer' must be text" in only_problem(tmp_path, body)


# --- FaqLibrary ---------------------------------------------------------------------


def ask(library: FaqLibrary, question: str) -> str | None:
    decision = library.index.match(question, "ru")
    return decision.entry.id if isinstance(decision, Answer) else None


def test_library_reload_swaps_and_keeps_the_last_good_index(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path, "ru.yaml", GOOD)
    library = FaqLibrary(tmp_path)
    assert len(library.index) == 0
    assert library.generation == 0
    assert library.changed()  # never loaded

    assert library.reload() == ()
    assert library.generation == 1
    assert not library.changed()
    assert ask(library, "сколько идет доставка") == "delivery-time"

    edit(path, GOOD.replace("delivery-time", "delivery-days"))
    assert library.changed()
    assert library.reload() == ()
    assert library.generation == 2
    assert ask(library, "сколько идет доставка") == "delivery-days"

    broken = GOOD.replace("delivery-time", "delivery-days").replace("answer:", "anwser:")
    edit(path, broken)
    with caplog.at_level(logging.WARNING, logger="chatserver.faq"):
        problems = library.reload()
    assert [str(p) for p in problems] == [
        f"{path}:9: unknown key 'anwser'; did you mean 'answer'? "
        "(allowed: id, questions, answer, keywords, handoff, department, priority, category)",
        f"{path}:5: entry has no 'answer'",
    ]
    assert library.problems == problems
    assert str(problems[0]) in caplog.text
    assert library.generation == 2
    assert ask(library, "сколько идет доставка") == "delivery-days"  # old index serves
    assert not library.changed()  # a broken file is not re-read every poll

    edit(path, GOOD.replace("delivery-time", "delivery-fixed"))
    assert library.reload() == ()
    assert library.problems == ()
    assert library.generation == 3
    assert ask(library, "сколько идет доставка") == "delivery-fixed"


def test_library_notices_added_and_removed_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    library = FaqLibrary(tmp_path)
    library.reload()
    extra = write(tmp_path, "b.yaml", GOOD.replace("delivery-time", "other"))
    assert library.changed()
    library.reload()
    assert len(library.index) == 2
    extra.unlink()
    assert library.changed()


def test_library_first_load_with_problems_keeps_an_empty_index(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "locale: ru\n")
    library = FaqLibrary(tmp_path)
    assert len(library.reload()) == 1
    assert library.generation == 0
    assert library.index.match("доставка") == NoMatch()


def test_library_passes_the_file_size_limit_on(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    library = FaqLibrary(tmp_path, max_file_bytes=100)
    assert [p.message for p in library.reload()] == ["file is larger than 100 bytes"]


async def wait_for_generation(library: FaqLibrary, generation: int) -> None:
    async with asyncio.timeout(5):
        # The library has no event to await; a bounded poll is the honest test of a poller.
        while library.generation < generation:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_watch_picks_up_an_edit_and_survives_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "ru.yaml", GOOD)
    library = FaqLibrary(tmp_path)
    library.reload()
    fail_once = [True]
    real_changed = library.changed

    def flaky_changed() -> bool:
        if fail_once.pop() if fail_once else False:
            raise OSError("disk hiccup")
        return real_changed()

    monkeypatch.setattr(library, "changed", flaky_changed)
    task = asyncio.create_task(library.watch(interval=0.01))
    try:
        edit(path, GOOD.replace("delivery-time", "delivery-watched"))
        await wait_for_generation(library, 2)
        assert ask(library, "сколько идет доставка") == "delivery-watched"
        assert "FAQ reload failed" in caplog.text
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_synonyms_extend_the_built_in_table(tmp_path: Path) -> None:
    write(
        tmp_path,
        "faq.yaml",
        """
        locale: ru
        synonyms:
          - телевизор, телек
          - [плазма, телевизор]
        entries:
          - id: tv
            questions: ["Есть ли телевизоры в продаже?"]
            answer: Да.
        """,
    )
    write(tmp_path, "more.yml", "locale: ru\nsynonyms: [ящик, телевизор]\n")
    result = load_faq_dir(tmp_path)
    assert result.problems == ()
    assert result.synonyms == {"ru": ("телевизор, телек", "плазма, телевизор", "ящик, телевизор")}
    plain = FaqIndex.build(result.entries)
    index = FaqIndex.build(result.entries, synonyms=result.synonyms)
    question = "телек в продаже есть?"
    assert plain.scores(question, "ru")[0].score < index.scores(question, "ru")[0].score


def test_a_synonyms_group_needs_two_words(tmp_path: Path) -> None:
    body = "locale: ru\nsynonyms:\n  - телек\n  - [a, b]\n"
    assert only_problem(tmp_path, body).endswith(":3: a synonyms group needs at least two words")


def test_products_key_extends_what_the_shop_sells(tmp_path: Path) -> None:
    write(
        tmp_path,
        "ru.yaml",
        """\
        locale: ru
        products: [телевизор, ноутбук]
        entries:
          - id: credit
            questions: ["Можно купить в кредит?", "Есть рассрочка?"]
            answer: Да.
        """,
    )
    write(tmp_path, "en.yaml", "locale: en\nproducts: [laptop, телевизор]\n")
    result = load_faq_dir(tmp_path)
    assert result.problems == ()
    assert result.products == ("laptop", "телевизор", "ноутбук")
    answered = result.build().match("можно взять телевизор в кредит?", "ru")
    assert isinstance(answered, Answer) and answered.entry.id == "credit"


def test_others_key_names_other_companies_services(tmp_path: Path) -> None:
    body = """\
        locale: ru
        entries:
          - id: status
            questions: ["Где мой заказ?", "Как отследить заказ?"]
            answer: В личном кабинете.
        """
    write(tmp_path, "ru.yaml", body)
    question = "где мой заказ в литресе?"
    before = load_faq_dir(tmp_path).build().match(question, "ru")
    assert isinstance(before, Answer)  # an unknown word beside a clear topic
    write(tmp_path, "ru.yaml", body + "others: [Литрес, Кинобокс]\n")
    result = load_faq_dir(tmp_path)
    assert result.problems == ()
    assert result.others == ("Литрес", "Кинобокс")
    assert not isinstance(result.build().match(question, "ru"), Answer)
    assert isinstance(result.build().match("где мой заказ?", "ru"), Answer)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("locale: ru\nproducts: []\n", ":2: 'products' is empty"),
        ("locale: ru\nproducts: телевизор\n", ":2: 'products' must be a list"),
        ("locale: ru\nothers: []\n", ":2: 'others' is empty"),
        ("locale: ru\nothers: {a: 1}\n", ":2: 'others' must be a list"),
        ("locale: en\nexpressions: []\n", ":2: 'expressions' must be a mapping"),
        ("locale: en\nexpressions:\n  scrap: cancel\n", ":3: the expression 'scrap' needs two"),
        ("locale: en\nexpressions:\n  scrap it:\n", ":3: 'meaning of scrap it' is empty"),
        ("locale: en\nexpressions:\n  scrap it: '!!'\n", ":3: the meaning of 'scrap it' has no"),
    ],
)
def test_file_level_key_problems(tmp_path: Path, body: str, message: str) -> None:
    assert message in only_problem(tmp_path, body)


def test_expressions_key_extends_the_built_in_expressions(tmp_path: Path) -> None:
    body = """\
        locale: en
        entries:
          - id: cancel
            questions: ["How do I cancel my order?", "Can I cancel an order?"]
            answer: Write to us before it ships.
          - id: hours
            questions: ["When are you open?"]
            answer: 10 to 9.
        """
    write(tmp_path, "en.yaml", body)
    question = "can I pull the plug on my order?"
    assert not isinstance(load_faq_dir(tmp_path).build().match(question, "en"), Answer)
    more = "        expressions:\n          pull the plug: cancel\n"
    write(tmp_path, "en.yaml", body.rstrip(" ") + more)
    result = load_faq_dir(tmp_path)
    assert result.problems == ()
    assert result.expressions == {"en": {"pull the plug": "cancel"}}
    answered = result.build().match(question, "en")
    assert isinstance(answered, Answer) and answered.entry.id == "cancel"
