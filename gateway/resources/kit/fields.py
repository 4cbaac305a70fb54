"""Field checks shared by the resources' input models: text limits that match the schema's
``varchar`` sizes, the control-character rule, dates, flags, and how the problems found
become a fault's ``data.details``."""

import datetime as dt
import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StringConstraints, ValidationError

__all__ = [
    "TEXT_MAX",
    "UNSAFE_MESSAGE",
    "Date",
    "Flag",
    "InvalidData",
    "LongText",
    "Text",
    "details_of",
    "email_key",
    "has_unsafe_characters",
    "parse_date",
    "parse_datetime",
    "text_of",
]

# varchar(255) in schema/: the limit the models check before the database would.
TEXT_MAX = 255

# Control characters other than tab, LF and CR (PostgreSQL refuses NUL outright), and what
# XML 1.0 cannot carry either (lone surrogates, U+FFFE, U+FFFF): text stored is text that every
# front-end, REST's XML and SOAP included, can answer.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
UNSAFE_MESSAGE = "control characters (other than tab, LF, CR) and U+FFFE/U+FFFF are not allowed"


def has_unsafe_characters(value: str) -> bool:
    return _UNSAFE.search(value) is not None


def email_key(email: str) -> str:
    """What makes two emails one within a website: Unicode's compatibility normalisation and
    full case folding (fullwidth letters and plain ones, ligatures and their letters, ``ß``
    and ``ss``), as people read them. The email itself is stored as given (in its normal form)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", email).casefold())


def _safe_text(value: str) -> str:
    if has_unsafe_characters(value):
        raise ValueError(UNSAFE_MESSAGE)
    return value


def text_of(max_length: int) -> Any:
    """Text of at most ``max_length`` characters, holding no unsafe character."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_safe_text)]


Text = text_of(TEXT_MAX)
LongText = text_of(1024)

_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T]00:00:00)?")
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2}))?")


def parse_date(value: Any) -> dt.date:
    """``YYYY-MM-DD``, also with a midnight time (as Magento writes dates)."""
    match = _DATE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError("must be a date, YYYY-MM-DD")
    return dt.date.fromisoformat(match.group(1))


def parse_datetime(value: Any) -> dt.datetime:
    """``YYYY-MM-DD HH:MM:SS`` or ``YYYY-MM-DD`` (midnight), in UTC."""
    match = _DATETIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError("must be a date and time, YYYY-MM-DD HH:MM:SS")
    moment = dt.datetime.fromisoformat(f"{match.group(1)} {match.group(2) or '00:00:00'}")
    return moment.replace(tzinfo=dt.UTC)


def _date_or_none(value: Any) -> dt.date | None:
    return None if value is None else parse_date(value)


Date = Annotated[dt.date | None, BeforeValidator(_date_or_none)]


def _flag(value: Any) -> Any:
    if isinstance(value, str) and value.strip() == "":
        return False
    return value


# Booleans as Magento clients send them: true/false, 1/0, "1"/"0", "true"/"false".
Flag = Annotated[bool, BeforeValidator(_flag)]


class InvalidData(ValueError):
    """Input that fails its checks: one ``{field, message}`` per problem, all found at once.
    Each resource answers it with its own fault."""

    def __init__(self, details: list[dict[str, str]]) -> None:
        self.details = details
        super().__init__("\n".join(f"{d['field']}: {d['message']}" for d in details))


def details_of(error: ValidationError) -> list[dict[str, str]]:
    """One ``{field, message}`` per problem, in the order pydantic found them."""
    details = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "(data)"
        if problem["type"] == "extra_forbidden":
            message = "is not a known field"
        elif problem["type"] == "missing":
            message = "is required"
        else:
            message = problem["msg"].removeprefix("Value error, ")
        details.append({"field": field, "message": message})
    return details
