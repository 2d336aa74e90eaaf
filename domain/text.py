"""Participant text, cleaned the one way every text field uses (``domain/values.py:text`` and ``multiline``).

Following Unicode's guidance for identifiers and spoofing (UAX #31, UTS #39) as far as free text allows:

- NFC, before and after cleaning (removing a character can bring two others together);
- **default-ignorable characters are removed** (they draw nothing, so two names that look the same could differ,
  and text could hide more text): zero-width space and no-break space (BOM), word joiner, soft hyphen, LRM, RLM,
  ALM, invisible operators, Hangul fillers, tag characters and the rest of Default_Ignorable_Code_Point, **except
  where they do something visible**: ZWJ inside an emoji sequence (👩‍💻) or next to a virama (after it: a Devanagari
  half form; before it: the Marathi eyelash ra र‍्य, the Bengali ya-phala অ‍্যা), ZWNJ after a virama or
  between Arabic-script letters (Persian), a variation selector after a symbol or digit (❤️, 1️⃣), an ideographic
  variation selector after a CJK ideograph, a Mongolian variation selector after a Mongolian letter, and tag
  characters inside a flag sequence (🏴 + tags + cancel tag);
- U+2800 BRAILLE PATTERN BLANK draws nothing either: it becomes a plain space;
- bidirectional embeddings, overrides and isolates, control, surrogate, private-use and unassigned characters are
  **refused** (they change how other text displays, or mean nothing);
- line and paragraph separators (U+2028, U+2029, NEL, CR) are line breaks: refused in single-line fields, turned
  into ``\\n`` in multi-line ones;
- a name of a person or an organisation (``identity=True``) may not mix, within one word, letters of scripts whose
  letters look alike (Latin, Greek, Cyrillic, Armenian, Cherokee, Coptic): "Anna" written with a Cyrillic A
  (U+0410) is refused (UTS #39's mixed-script confusables; whole-text skeletons need its data tables: not checked).
  A word is a run of letters, marks and digits: "Иван/Ivan" and "Smith-Иванов" are two words each, and fine. One
  mix is allowed: a word that *starts* with a single Greek letter from ``GREEK_PREFIXES`` followed by Latin ones
  ("μLab", "λDesign", "ΔT"), as scientists and firms write them; those letters were chosen because none looks
  like a Latin letter (omicron, alpha, nu, rho, capital kappa... are left out: "olga" spelled with a Greek omicron
  is still refused).
"""

from __future__ import annotations

import unicodedata

from domain.errors import InvalidText

# Default_Ignorable_Code_Point (Unicode 15, DerivedCoreProperties.txt), as ranges.
_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip
# Bidirectional embeddings, overrides and isolates: refused, not removed (the sender meant to reorder text).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_BREAKS = ("\r\n", "\r", "\u2028", "\u2029", "\x85")
ZWJ, ZWNJ = "\u200d", "\u200c"
BLACK_FLAG, CANCEL_TAG = "\U0001f3f4", "\U000e007f"
LOOKALIKE_SCRIPTS = frozenset({"LATIN", "GREEK", "CYRILLIC", "ARMENIAN", "CHEROKEE", "COPTIC"})
# Greek letters that may open a Latin word (a unit, a variable, a brand: "μLab"); none looks like a Latin letter.
GREEK_PREFIXES = frozenset("μδλπσφψωθβξζηΔΛΠΣΦΨΩΘΓΞ")


def ignorable(ch: str) -> bool:
    """Whether ``ch`` is a Default_Ignorable_Code_Point."""
    cp = ord(ch)
    return any(low <= cp <= high for low, high in _IGNORABLE)


def _emoji(ch: str) -> bool:
    cp = ord(ch)
    return unicodedata.category(ch) == "So" or 0x1F3FB <= cp <= 0x1F3FF or 0x1F000 <= cp <= 0x1FAFF


def _arabic(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L") and unicodedata.name(ch, "").startswith(("ARABIC", "SYRIAC"))


def _kept(text: str, i: int) -> bool:
    """Whether the ignorable character at ``i`` does something visible where it stands."""
    ch = text[i]
    before = next((c for c in reversed(text[:i]) if c not in "\ufe0f\u200d"), "")
    after = text[i + 1] if i + 1 < len(text) else ""
    virama = bool(before) and unicodedata.combining(text[i - 1]) == 9
    if ch == ZWJ:
        virama_next = bool(before) and bool(after) and unicodedata.combining(after) == 9
        return virama or virama_next or (bool(before) and bool(after) and _emoji(before) and _emoji(after))
    if ch == ZWNJ:
        return virama or (bool(before) and bool(after) and _arabic(before) and _arabic(after))
    cp = ord(ch)
    if 0xFE00 <= cp <= 0xFE0F:  # variation selectors: emoji or text presentation, keycaps
        prev = text[i - 1] if i else ""
        if prev and prev in "0123456789#*":  # a keycap needs its enclosing keycap after
            return text[i + 1 : i + 2] == "\u20e3"
        return bool(prev) and not ignorable(prev) and unicodedata.category(prev)[0] == "S"
    if 0xE0100 <= cp <= 0xE01EF:  # ideographic variation selectors: a glyph variant of a name's kanji
        return i > 0 and unicodedata.name(text[i - 1], "").startswith("CJK")
    if 0x180B <= cp <= 0x180F:
        return i > 0 and 0x1820 <= ord(text[i - 1]) <= 0x18AF and unicodedata.category(text[i - 1]) == "Lo"
    if 0xE0020 <= cp <= 0xE007F:  # a flag's tag sequence: U+1F3F4, tags, then the cancel tag
        start = i
        while start > 0 and 0xE0020 <= ord(text[start - 1]) <= 0xE007E:
            start -= 1
        end = i
        while end < len(text) and 0xE0020 <= ord(text[end]) <= 0xE007E:
            end += 1
        return start > 0 and text[start - 1] == BLACK_FLAG and end < len(text) and text[end] == CANCEL_TAG
    return False


def _script(ch: str) -> str:
    return unicodedata.name(ch, "").split(" ", 1)[0] if unicodedata.category(ch).startswith("L") else ""


def _words(text: str) -> list[str]:
    """Runs of letters, marks and digits (a mark does not end a word: a combining accent cannot split a spoof)."""
    words, current = [], []
    for ch in text:
        if unicodedata.category(ch)[0] in "LMN":
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    return [*words, "".join(current)] if current else words


def _mixed_lookalikes(text: str) -> bool:
    for word in _words(text):
        scripts = {s for s in map(_script, word) if s in LOOKALIKE_SCRIPTS}
        if scripts == {"GREEK", "LATIN"} and word[0] in GREEK_PREFIXES and _script(word[1]) != "GREEK":
            scripts = {s for s in map(_script, word[1:]) if s in LOOKALIKE_SCRIPTS}  # "μLab": see the docstring
        if len(scripts) > 1:
            return True
    return False


def clean_line(value: str, key: str, *, identity: bool = False) -> str:
    """One line of text, cleaned (see the module's docstring), trimmed; ``InvalidText`` if it cannot be."""
    value = unicodedata.normalize("NFC", value)
    bad = next((ch for ch in value if ch in BIDI_CONTROLS or ch in "\n\u2028\u2029"), None)
    if bad is None:
        bad = next((ch for ch in value if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn")), None)
    if bad is not None:
        what = "a line break" if bad in "\n\r\x85\u2028\u2029" else "a control or invalid character"
        raise InvalidText(f"'{key}' contains {what} (U+{ord(bad):04X})")
    value = value.replace("\u2800", " ")
    if any(ignorable(ch) for ch in value):
        value = "".join(ch for i, ch in enumerate(value) if not ignorable(ch) or _kept(value, i))
        value = unicodedata.normalize("NFC", value)
    value = value.strip()
    if value and all(unicodedata.category(ch) in ("Cf", "Zs", "Mn", "Me") or ignorable(ch) for ch in value):
        raise InvalidText(f"'{key}' has no visible character")
    if identity and _mixed_lookalikes(value):
        raise InvalidText(f"'{key}' mixes letters of scripts that look alike (such as Latin and Cyrillic) in a word")
    return value


def clean_lines(value: str, key: str) -> str:
    """Several lines: each cleaned like one line; line separators become ``\\n``; trimmed."""
    for brk in LINE_BREAKS:
        value = value.replace(brk, "\n")
    return "\n".join(clean_line(line, key) for line in value.split("\n")).strip()
