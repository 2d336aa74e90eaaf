"""Property tests of the text every field goes through (domain/text.py): NFC, no invisible or spoofing character
survives except where it draws something, no line break in a single line, and cleaning twice changes nothing."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import values
from domain.errors import InvalidText
from domain.text import BIDI_CONTROLS, _kept, clean_line, clean_lines, ignorable

INVISIBLE = [
    "\u200b", "\u200c", "\u200d", "\ufeff", "\u200e", "\u200f", "\u061c", "\u2060", "\u2061", "\u00ad", "\u034f",
    "\u180e", "\u3164", "\uffa0", "\u115f", "\U000e0041", "\U000e0001", "\U000e007f", "\ufe0f", "\u2800",
]  # fmt: skip
LINE_SEPARATORS = ["\n", "\r", "\u2028", "\u2029", "\x85"]
PROPS = settings(max_examples=300, deadline=None, database=None)

anything = st.text(st.characters(codec=None), max_size=40)
# Text that a person could mean, with the invisible and spoofing characters mixed in.
mixed = st.lists(
    st.one_of(st.characters(categories=("L", "N", "P", "Zs", "So", "Mn")), st.sampled_from(INVISIBLE)), max_size=30
).map("".join)
visible = st.text(st.characters(categories=("Lu", "Ll", "Nd")), min_size=1, max_size=20)


def _check_clean(out: str) -> None:
    assert out == unicodedata.normalize("NFC", out)
    assert out == out.strip()
    for i, ch in enumerate(out):
        assert unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp"), f"U+{ord(ch):04X}"
        assert ch not in BIDI_CONTROLS and ch != "\u2800"
        assert not ignorable(ch) or _kept(out, i), f"U+{ord(ch):04X} kept at {i} of {out!r}"
    if out:
        assert any(unicodedata.category(c) not in ("Cf", "Zs", "Mn", "Me") and not ignorable(c) for c in out)


@PROPS
@given(st.one_of(anything, mixed))
def test_a_cleaned_line_is_nfc_trimmed_visible_and_keeps_no_invisible_character(value: str) -> None:
    try:
        out = clean_line(value, "name")
    except InvalidText:
        return
    _check_clean(out)


@PROPS
@given(st.one_of(anything, mixed))
def test_cleaning_twice_changes_nothing(value: str) -> None:
    try:
        once = clean_line(value, "name")
    except InvalidText:
        return
    assert clean_line(once, "name") == once


@PROPS
@given(visible, st.lists(st.tuples(st.integers(0, 20), st.sampled_from(INVISIBLE)), min_size=1, max_size=4))
def test_invisible_characters_cannot_make_two_names_differ(name: str, inserts: list[tuple[int, str]]) -> None:
    """Letters and digits with invisible characters slipped in clean to the same name (or are refused)."""
    spoofed = name
    for at, ch in inserts:
        spoofed = spoofed[:at] + ch + spoofed[at:]
    try:
        out = clean_line(spoofed, "name")
    except InvalidText:
        return
    assert out.replace(" ", "") == clean_line(name, "name")  # U+2800 becomes a space


@PROPS
@given(anything, st.sampled_from(LINE_SEPARATORS), anything)
def test_a_single_line_field_refuses_every_line_separator(before: str, brk: str, after: str) -> None:
    with pytest.raises(InvalidText):
        clean_line(f"x{before}{brk}{after}x", "name")


@PROPS
@given(st.lists(st.one_of(anything, mixed), max_size=4), st.sampled_from([*LINE_SEPARATORS, "\r\n"]))
def test_several_lines_keep_only_plain_line_breaks_each_line_clean(lines: list[str], brk: str) -> None:
    try:
        out = clean_lines(brk.join(lines), "text")
    except InvalidText:
        return
    assert not any(c in out for c in "\r\u2028\u2029\x85")
    for line in out.split("\n"):
        _check_clean(line)


@PROPS
@given(st.lists(st.sampled_from(["\u3164", "\u2800", "\uffa0", "\u115f", "\u200b", "\ufeff", " ", "\u00ad"]),
                min_size=1, max_size=12).map("".join))  # fmt: skip
def test_a_name_of_blank_looking_characters_only_is_refused(name: str) -> None:
    with pytest.raises(InvalidText):
        values.text({"name": name}, "name", values.NAME_MAX)


@pytest.mark.parametrize(
    "kept",
    [
        "\U0001f469\u200d\U0001f4bb",  # woman technologist: ZWJ sequence
        "\U0001f468\U0001f3fd\u200d\U0001f9b0",  # with a skin tone
        "\u2764\ufe0f",  # red heart, emoji presentation
        "1\ufe0f\u20e3",  # keycap one
        "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # flag of England
        "\u0915\u094d\u200d\u0937",  # Devanagari half form: ZWJ after a virama
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian: ZWNJ between Arabic letters
        "\u845b\U000e0100",  # an ideographic variation selector after a kanji
    ],
)
def test_invisible_characters_that_draw_something_are_kept(kept: str) -> None:
    assert clean_line(f"Ana {kept}", "name") == unicodedata.normalize("NFC", f"Ana {kept}")


@pytest.mark.parametrize(
    ("spoofed", "clean"),
    [
        ("Ann\u200ba", "Anna"),
        ("\ufeffAnna", "Anna"),
        ("An\u200dna", "Anna"),
        ("An\u200ena\u200f", "Anna"),
        ("Ann\u061ca", "Anna"),
        ("Anna\U000e0069\U000e0067\U000e006e", "Anna"),  # tag characters smuggling text
        ("Anna\U0001f3f4\U000e0067", "Anna\U0001f3f4"),  # an unfinished tag sequence
        ("Ann\u00ada", "Anna"),
    ],
)
def test_invisible_characters_are_removed(spoofed: str, clean: str) -> None:
    assert values.text({"name": spoofed}, "name", values.NAME_MAX, identity=True) == clean


@pytest.mark.parametrize("name", ["\u0410nna", "P\u0430ypal", "\u03bflga Nov\u0430k", "Ann\u0430 Smith"])
def test_a_name_mixing_look_alike_scripts_in_a_word_is_refused(name: str) -> None:
    with pytest.raises(InvalidText, match="scripts that look alike"):
        values.text({"name": name}, "name", values.NAME_MAX, identity=True)


@pytest.mark.parametrize(
    "name",
    ["\u0410\u043d\u043d\u0430 Smith", "\u039d\u03af\u03ba\u03bf\u03c2", "\u5c71\u7530 \u3042\u304d\u3089", "ΔT probe"],
)
def test_one_script_per_word_and_other_scripts_are_fine(name: str) -> None:
    assert values.text({"name": name}, "name", values.NAME_MAX, identity=name != "ΔT probe") == name
    assert values.text({"title": name}, "title", values.TITLE_MAX) == name


@pytest.mark.parametrize(
    "name", ["Иван/Ivan", "Smith-Иванов", "Ива́нов-Smith", "μLab", "µLab", "λDesign Studio", "ΔT Probes GmbH"]
)
def test_scripts_are_compared_per_word_not_per_space_and_a_greek_prefix_letter_is_allowed(name: str) -> None:
    assert values.text({"name": name}, "name", values.NAME_MAX, identity=True) == unicodedata.normalize("NFC", name)


@pytest.mark.parametrize("name", ["\u03bflga", "\u0430\u0301nna", "Smith-\u0410nna", "\u03bc\u03bcLab", "Lab\u03bc"])
def test_a_look_alike_mix_inside_a_word_is_still_refused(name: str) -> None:
    """A Greek omicron is not an allowed prefix; a combining accent does not split a word; μ only as the first and
    only Greek letter."""
    with pytest.raises(InvalidText, match="scripts that look alike"):
        values.text({"name": name}, "name", values.NAME_MAX, identity=True)


@pytest.mark.parametrize(
    "kept",
    [
        "\u0930\u200d\u094d\u092f",  # Marathi eyelash ra: RA, ZWJ, then the virama
        "\u0985\u200d\u09cd\u09af\u09be",  # Bengali ya-phala: A, ZWJ, then the virama, YA, AA
    ],
)
def test_a_zwj_before_a_virama_is_kept(kept: str) -> None:
    assert clean_line(f"Ana {kept}", "name") == f"Ana {kept}"
