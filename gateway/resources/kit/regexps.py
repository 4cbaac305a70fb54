"""Which regular expressions a filter may carry: those PostgreSQL's engine runs in bounded time
and memory.

PostgreSQL matches without backtracking, except for back-references; and it expands each
bounded repetition (``a{1,200}``) into copies of its atom, so repetitions nested in one another
multiply (``(a{1,200}){1,200}`` asks for 40,000 copies and a huge allocation). Refused here:
back-references, quantified groups nested more than ``MAX_NESTING`` deep, patterns whose
repetitions expand to more than ``MAX_EXPANSION`` atoms, and patterns over ``MAX_LENGTH``
characters. What remains still runs as a heavy statement, under a timeout of its own.
"""

import re
from dataclasses import dataclass

__all__ = ["MAX_EXPANSION", "MAX_LENGTH", "MAX_NESTING", "regexp_problem"]

MAX_LENGTH = 256
MAX_NESTING = 2
MAX_EXPANSION = 256

_BOUND = re.compile(r"\{(\d{1,4})(,(\d{0,4}))?\}")
_BACK_REFERENCE = re.compile(r"[1-9]")


class _Refused(ValueError):
    pass


@dataclass(slots=True)
class _Cost:
    nesting: int = 0  # quantified groups inside one another
    expansion: int = 0  # atoms once every repetition is expanded


def regexp_problem(pattern: str) -> str | None:
    """Why ``pattern`` is refused, or None when it may run."""
    if len(pattern) > MAX_LENGTH:
        return f"a regular expression may be at most {MAX_LENGTH} characters long"
    try:
        cost, end = _sequence(pattern, 0)
        if end < len(pattern):
            return "unbalanced parentheses in the regular expression"
    except _Refused as refused:
        return str(refused)
    if cost.nesting > MAX_NESTING:
        return f"quantified groups may be nested at most {MAX_NESTING} deep"
    if cost.expansion > MAX_EXPANSION:
        return (
            f"the repetitions expand to {cost.expansion} atoms; at most {MAX_EXPANSION} are allowed"
        )
    return None


def _sequence(pattern: str, at: int) -> tuple[_Cost, int]:
    """The cost of the alternatives from ``at`` up to an unmatched ``)`` or the end."""
    total = _Cost()
    while at < len(pattern) and pattern[at] != ")":
        if pattern[at] == "|":
            at += 1
            continue
        atom, at = _atom(pattern, at)
        atom, at = _quantified(pattern, at, atom)
        total.nesting = max(total.nesting, atom.nesting)
        total.expansion += atom.expansion
    return total, at


def _atom(pattern: str, at: int) -> tuple[_Cost, int]:
    char = pattern[at]
    if char == "(":
        inner, end = _sequence(pattern, at + 1)
        if end >= len(pattern):
            raise _Refused("unbalanced parentheses in the regular expression")
        return inner, end + 1
    if char == "[":
        return _Cost(0, 1), _bracket_end(pattern, at)
    if char == "\\":
        if at + 1 >= len(pattern):
            raise _Refused("the regular expression ends with an escape character")
        if _BACK_REFERENCE.match(pattern[at + 1]):
            raise _Refused("back-references are not allowed in a regular expression")
        return _Cost(0, 1), at + 2
    return _Cost(0, 1), at + 1


def _bracket_end(pattern: str, at: int) -> int:
    """Just after the bracket expression that starts at ``at``."""
    at += 1
    if at < len(pattern) and pattern[at] == "^":
        at += 1
    if at < len(pattern) and pattern[at] == "]":
        at += 1  # a leading ] is a literal
    while at < len(pattern):
        if pattern.startswith(("[:", "[.", "[="), at):
            close = pattern.find(pattern[at + 1] + "]", at + 2)
            at = len(pattern) if close < 0 else close + 2
        elif pattern[at] == "\\":
            at += 2
        elif pattern[at] == "]":
            return at + 1
        else:
            at += 1
    raise _Refused("unbalanced brackets in the regular expression")


def _quantified(pattern: str, at: int, atom: _Cost) -> tuple[_Cost, int]:
    """The atom with the quantifiers that follow it, if any."""
    while at < len(pattern):
        char = pattern[at]
        if char in "*+?":
            times, at = 1, at + 1
        elif char == "{" and (bound := _BOUND.match(pattern, at)):
            low, comma, high = bound.groups()
            times = max(int(low), int(high) if high else 0) if comma else int(low)
            at = bound.end()
        else:
            break
        if at < len(pattern) and pattern[at] == "?":
            at += 1  # non-greedy
        atom = _Cost(atom.nesting + 1, atom.expansion * max(times, 1))
    return atom, at
