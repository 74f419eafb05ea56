"""Reading periods written in words, such as "at least thirty (10) business days".

Seed 004 states its notice period as "thirty (10)": the words and the digits
disagree. POL-5 asks that such a contradiction is flagged and that the stricter
reading applies; for a notice the provider must give, stricter means longer.
"""

import re
from dataclasses import dataclass

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip

_NUMBER_WORDS = "|".join(sorted([*_UNITS, *_TENS], key=len, reverse=True))
_PERIOD = re.compile(
    rf"^(?:at\s+least\s+)?"
    rf"(?:(?P<words>(?:{_NUMBER_WORDS})(?:[\s-](?:{_NUMBER_WORDS}))?)\s*)?"
    rf"(?:\(?\s*(?P<digits>\d+)\s*\)?\s*)?"
    rf"business\s+days?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class BusinessDays:
    """A period in business days, with every reading the text allowed."""

    text: str
    readings: tuple[int, ...]

    @property
    def days(self) -> int:
        """The stricter (longer) reading: the one that protects the subject."""
        return max(self.readings)

    @property
    def contradictory(self) -> bool:
        return len(set(self.readings)) > 1


def words_to_number(words: str) -> int:
    total = 0
    for word in re.split(r"[\s-]+", words.strip().lower()):
        if word in _TENS:
            total += _TENS[word]
        elif word in _UNITS:
            total += _UNITS[word]
        else:
            raise ValueError(f"'{word}' is not a number word")
    return total


def parse_business_days(value: int | str) -> BusinessDays:
    """Parse `10`, `"10 business days"` or `"at least thirty (10) business days"`.

    Raises ValueError with a message that says what was expected.
    """
    if isinstance(value, bool):
        raise ValueError("a yes/no value is not a period")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{value} is negative")
        return BusinessDays(text=f"{value} business days", readings=(value,))
    text = " ".join(str(value).split())
    match = _PERIOD.match(text)
    if not match or not (match["words"] or match["digits"]):
        raise ValueError(
            f"'{text}' is not a period in business days, expected a number or a phrase "
            "such as 'at least ten (10) business days'"
        )
    readings = []
    if match["words"]:
        readings.append(words_to_number(match["words"]))
    if match["digits"]:
        readings.append(int(match["digits"]))
    return BusinessDays(text=text, readings=tuple(readings))
