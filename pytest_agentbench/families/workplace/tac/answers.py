"""Reading an agent's answer the way a competent reviewer reads it: every usual way of writing it.

A grader that compares with ``float(cell)``, a literal word or a fixed line format takes points
from right answers written another way ("14,079.00", "Dear Ms Whitfield", "1. Done: 7", "9.30 am").
These helpers accept the usual variants and nothing else, and every check that fails logs what it
expected and what it found: inside a ``@grader`` function that line becomes the checkpoint's reason.

* numbers: ``to_number``, ``same_number``: thousands separators, currency, percent, signs,
  accounting parentheses, trailing zeros;
* words and names: ``normalize_words``, ``same_name``, ``mentions``: case, accents, honorifics,
  punctuation and spacing;
* lists: ``list_items``: bullets, numbering, check boxes, emphasis, or plain lines;
  ``names_listed``: which of the names a reviewer looks for the list gives;
* dates and times: ``find_dates``, ``mentions_date`` (a year written must be the right one),
  ``find_times``, ``mentions_time``;
* tables: ``read_table``: CSV with or without its header row, any quoting and line ending, header
  names in any case, comma, semicolon or tab; order is compared only where the task asks for it
  (``same_items``, ``same_order``);

``AnswerError`` is an answer that cannot be read at all (a missing column, a file that is not JSON):
``@grader`` shows its message as the reason, without a traceback.

Standard library only: this module also runs in the grader container.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterable, Sequence

__all__ = ["AnswerError", "check", "to_number", "same_number", "normalize_words", "name_key", "same_name",
           "contains_words", "mentions", "list_items", "names_listed", "same_items", "same_order", "find_dates",
           "mentions_date", "find_times", "mentions_time", "read_table", "read_json"]

logger = logging.getLogger("tac")


class AnswerError(ValueError):
    """The agent's answer cannot be read as the task asks; the message says why (the reason shown)."""


def _show(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def check(ok: bool, what: str, expected: Any, found: Any) -> bool:
    """``ok``, logging ``what: expected ..., found ...`` when it is False (the checkpoint's reason)."""
    if not ok:
        logger.info("%s: expected %s, found %s", what, _show(expected), _show(found))
    return bool(ok)


# --- numbers -----------------------------------------------------------------------------------

_CURRENCY = r"[$€£¥]|\b(?:USD|EUR|GBP|dollars?)\b"
# Digits grouped by thousands (1,240,800 / 1 240 800 / 1_240_800 / 1'240'800) or not, then decimals.
_NUMBER = re.compile(r"(?P<int>\d{1,3}(?:(?P<sep>[,\u00a0\u202f '_])\d{3})(?:(?P=sep)\d{3})*|\d+)?"
                     r"(?P<frac>\.\d+)?")


def to_number(text: Any) -> float | None:
    """``text`` as one number, written any usual way, or None (logged) when it is not one.

    "14,079.00", "$14,079", "1 240 800", "-6,840.00", "−6840", "(6,840.00)" (accounting: negative),
    "+12.7", "12.7%" (the number 12.7: percent stays in the unit the task asks for), "5.0",
    "USD 2,028.08", "2028.08 dollars". Not a number: "", "n/a", "12.7 and 3", "1,2,3".
    """
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return float(text)
    raw = str(text or "")
    s = unicodedata.normalize("NFKC", raw).strip().replace("\u2212", "-")
    s = re.sub(_CURRENCY, "", s, flags=re.IGNORECASE).strip()
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    s = re.sub(r"\s*%$", "", s)
    if s and s[0] in "+-":
        negative, s = negative or s[0] == "-", s[1:].strip()
    s = re.sub(_CURRENCY, "", s, flags=re.IGNORECASE).strip()  # "-$6,840" has the sign first
    match = _NUMBER.fullmatch(s)
    if not s or match is None or not (match.group("int") or match.group("frac")):
        logger.info("not a number: %s", _show(raw))
        return None
    value = float((match.group("int") or "0").translate({ord(c): None for c in ",\u00a0\u202f '_"})
                  + (match.group("frac") or ""))
    return -value if negative else value


def same_number(found: Any, expected: float, tolerance: float = 0.005, what: str = "number") -> bool:
    """Whether ``found`` (text or number) is ``expected`` within ``tolerance``; logs both when not."""
    value = to_number(found)
    return check(value is not None and abs(value - expected) <= tolerance, what, expected, found)


# --- words and names ---------------------------------------------------------------------------

HONORIFICS = ("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "dame")


def normalize_words(text: Any) -> str:
    """Lower case, accents dropped, punctuation as spaces, one space between words
    ("Tomás  O'Connor" -> "tomas o connor")."""
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.findall(r"[^\W_]+", plain))


def name_key(text: Any) -> str:
    """A name as compared: ``normalize_words`` without a leading honorific ("Mr. Tomás Ortega" -> "tomas ortega")."""
    parts = normalize_words(text).split()
    while parts and parts[0] in HONORIFICS:
        parts = parts[1:]
    return " ".join(parts)


def same_name(found: Any, expected: str, what: str = "name") -> bool:
    """Whether ``found`` names ``expected``: case, accents, punctuation and a leading honorific aside."""
    ok = name_key(found) == name_key(expected)
    return check(ok, what, expected, found)


def contains_words(text: Any, phrase: str) -> bool:
    """Whether ``text`` contains ``phrase`` as whole words (case, accents, punctuation aside); logs nothing."""
    words = normalize_words(phrase)
    return bool(words) and f" {words} " in f" {normalize_words(text)} "


def mentions(text: Any, *phrases: str, what: str | None = None) -> bool:
    """Whether ``text`` contains one of ``phrases`` as whole words (case, accents, punctuation aside).

    ``mentions(email, "photo ID", "identification", "passport")``; logs the phrases when none is there.
    """
    ok = any(contains_words(text, p) for p in phrases)
    if not ok:
        logger.info("%s: none of %s", what or "not mentioned", ", ".join(repr(p) for p in phrases))
    return ok


# --- list items --------------------------------------------------------------------------------

_ITEM_MARK = re.compile(r"^(?:[-*+\u2022\u2013\u2014>]\s+|\(?\d{1,3}[.)]\s+|\(?[a-z][.)]\s+|\[[ xX]?\]\s*)+")


def list_items(text: Any) -> list[str]:
    """The items of a list written one a line: bullets ("- ", "* ", "• "), numbering ("1. ", "2) ",
    "a) "), check boxes and emphasis removed; blank lines, Markdown headings and title lines ending
    with ":" left out. A file of plain lines gives its lines."""
    items = []
    for line in str(text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.endswith(":"):
            continue
        line = _ITEM_MARK.sub("", line).strip()
        line = re.sub(r"^([*_`]{1,3})(.*?)\1$", r"\2", line).strip()
        if line:
            items.append(line)
    return items


def names_listed(text: Any, known: Iterable[str]) -> list[str]:
    """The ``known`` names that the list in ``text`` gives, one per item as written ("1. Marketing
    (12.7% over)" gives Marketing; "Ms Elif Demir" gives Elif Demir); an item naming several gives
    each, and lines naming none of them (a title, a remark) are left out. Compare the result with
    ``same_items``: a wrong or missing name still shows."""
    known = list(known)
    return [name for item in list_items(text) for name in known if contains_words(item, name)]


def same_items(found: Iterable[Any], expected: Iterable[Any], what: str = "items", key=lambda x: x) -> bool:
    """The same items, each as often, in any order (``key`` normalises both sides); logs what is missing and extra."""
    found, expected = list(found), list(expected)
    got, want = sorted(map(key, found), key=repr), sorted(map(key, expected), key=repr)
    if got == want:
        return True
    missing = [x for x in want if x not in got]
    extra = [x for x in got if x not in want]
    logger.info("%s: expected %s; missing %s, extra %s", what, _show(want, 200), _show(missing), _show(extra))
    return False


def same_order(found: Sequence[Any], expected: Sequence[Any], what: str = "order") -> bool:
    """The same sequence; logs the first position where they differ."""
    found, expected = list(found), list(expected)
    if found == expected:
        return True
    at = next((i for i, (a, b) in enumerate(zip(found, expected)) if a != b), min(len(found), len(expected)))
    logger.info("%s: differs at position %d: expected %s, found %s", what, at + 1,
                _show(expected[at:at + 3]), _show(found[at:at + 3]))
    return False


# --- dates and times ---------------------------------------------------------------------------

_MONTHS = {m.lower(): i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
     "November", "December"], 1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>\d{4}))?"
_DATE_FORMS = [
    re.compile(r"\b(?P<year>\d{4})([-/.])(?P<month>\d{1,2})\2(?P<day>\d{1,2})\b"),          # 2025-03-03, 2025/03/03
    re.compile(rf"\b{_DAY}(?:\s+of)?\s+{_MONTH}{_YEAR}\b", re.IGNORECASE),                  # 3rd March 2025
    re.compile(rf"\b{_MONTH}\s+{_DAY}{_YEAR}\b", re.IGNORECASE),                            # March 3, 2025
    re.compile(r"\b(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<year>\d{4})\b"),                  # 03/03/2025
]


def find_dates(text: Any) -> list[tuple[int | None, int, int]]:
    """The dates written in ``text``, as (year or None, month, day): ISO, "3 March 2025",
    "3rd of March", "Mar 3, 2025", "Monday, 3 March". A numeric d/m/y date counts both ways
    when it is ambiguous (03/04/2025), one way when not (13/03/2025)."""
    text, dates = str(text or ""), []
    for form in _DATE_FORMS:
        for m in form.finditer(text):
            groups = m.groupdict()
            year = int(groups["year"]) if groups.get("year") else None
            if "a" in groups:
                a, b = int(groups["a"]), int(groups["b"])
                pairs = {(b, a), (a, b)}  # (month, day): day first (most of the world), or month first
            else:
                month = groups["month"]
                pairs = {(int(month) if month.isdigit() else _MONTHS[month.lower()], int(groups["day"]))}
            for month, day in sorted(pairs):
                try:
                    dt.date(year or 2000, month, day)
                except ValueError:
                    continue
                dates.append((year, month, day))
    return dates


def mentions_date(text: Any, date: dt.date | str, what: str = "date") -> bool:
    """Whether ``text`` gives ``date``, in any usual format; a date written with a year must have
    ``date``'s year (3 March 2026 is not 3 March 2025), one without a year is taken as meant."""
    want = dt.date.fromisoformat(date) if isinstance(date, str) else date
    same_day = [y for y, m, d in find_dates(text) if (m, d) == (want.month, want.day)]
    ok = bool(same_day) and all(y in (None, want.year) for y in same_day)
    found = [f"{y or '????'}-{m:02d}-{d:02d}" for y, m, d in find_dates(text)]
    return check(ok, what, want.isoformat(), found or "no date")


_HOURS = ["twelve", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"]
_SPOKEN = re.compile(r"\b(?P<part>half past|quarter past|quarter to) (?P<hour>" + "|".join(_HOURS) + r")\b"
                     r"(?:\s*(?P<ampm>[ap]\.?\s?m\b\.?|in the (?:morning|afternoon|evening)))?", re.IGNORECASE)
_TIME = re.compile(r"\b(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2}))?\s*(?P<ampm>[ap]\.?\s?m\b\.?)?", re.IGNORECASE)


def find_times(text: Any) -> list[dt.time]:
    """The clock times in ``text``: "9:30", "09:30", "9.30 am", "9:30 a.m.", "9h30", "9am", "21:30",
    "9:30 pm" (21:30), "half past nine", "quarter to ten in the morning". A bare number ("9") is not a time."""
    times = []
    for m in _SPOKEN.finditer(str(text or "")):
        hour = _HOURS.index(m.group("hour").lower())
        part = m.group("part").lower()
        minute = {"half past": 30, "quarter past": 15, "quarter to": 45}[part]
        hour = (hour - 1) % 12 if part == "quarter to" else hour
        later = (m.group("ampm") or "").lower()
        if later.startswith("p") or later.endswith(("afternoon", "evening")):
            hour += 12
        times.append(dt.time(hour, minute))
    for m in _TIME.finditer(str(text or "")):
        if m.group("m") is None and m.group("ampm") is None:
            continue
        hour, minute = int(m.group("h")), int(m.group("m") or 0)
        ampm = (m.group("ampm") or "").lower()
        if ampm.startswith("p") and hour < 12:
            hour += 12
        elif ampm.startswith("a") and hour == 12:
            hour = 0
        if hour < 24 and minute < 60:
            times.append(dt.time(hour, minute))
    return times


def mentions_time(text: Any, time: dt.time | str, what: str = "time") -> bool:
    """Whether ``text`` gives the clock time ``time`` ("09:30") in any usual format."""
    want = dt.time.fromisoformat(time) if isinstance(time, str) else time
    found = find_times(text)
    return check(want in found, what, want.strftime("%H:%M"), [t.strftime("%H:%M") for t in found] or "no time")


# --- tables ------------------------------------------------------------------------------------

def read_table(path: str | Path, columns: Sequence[str]) -> list[dict[str, str]]:
    """A CSV's rows as dicts keyed by ``columns``, cells stripped.

    Accepts what spreadsheets and csv writers produce: any quoting, CRLF or LF line endings, a
    byte-order mark, a comma, semicolon or tab delimiter, header names in any case or with spaces
    ("Booking A"), extra columns, and no header row at all (the first row is then data, in
    ``columns``' order). A missing file or a missing column is an ``AnswerError`` naming it.
    """
    p = Path(path)
    if not p.is_file():
        raise AnswerError(f"{p} does not exist")
    text = p.read_text(encoding="utf-8-sig", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise AnswerError(f"{p} is empty")
    first = lines[0]
    delimiter = ","
    if "," not in first:
        delimiter = next((d for d in ";\t|" if d in first), ",")
    rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)]
    want = [_column_key(c) for c in columns]
    header = [_column_key(c) for c in rows[0]]
    if set(want) <= set(header):
        index = {name: header.index(name) for name in want}
        data = rows[1:]
    elif set(header) & set(want):  # a header, but without some of the columns
        missing = [c for c, k in zip(columns, want) if k not in header]
        raise AnswerError(f"{p.name} has no column {', '.join(missing)} (its header: {','.join(rows[0])})")
    elif len(rows[0]) >= len(columns):  # no header row: the columns in the order the task gives them
        index = {name: i for i, name in enumerate(want)}
        data = rows
    else:
        raise AnswerError(f"{p.name}: expected the columns {','.join(columns)}, found {','.join(rows[0])}")
    return [{c: (row[index[k]] if index[k] < len(row) else "") for c, k in zip(columns, want)} for row in data]


def _column_key(name: str) -> str:
    return normalize_words(name).replace(" ", "_")


def read_json(path: str | Path) -> Any:
    """A JSON file's value; a missing file or invalid JSON is an ``AnswerError`` saying where."""
    p = Path(path)
    if not p.is_file():
        raise AnswerError(f"{p} does not exist")
    try:
        return json.loads(p.read_text(encoding="utf-8-sig", errors="replace"))
    except ValueError as exc:
        raise AnswerError(f"{p.name} is not valid JSON: {exc}") from None
