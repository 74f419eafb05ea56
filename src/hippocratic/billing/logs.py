"""Card numbers never reach the logs (PAY-1).

Stripe's client logs each request's body at DEBUG ("Post details"), and a card
number is in the body of a tokenisation. This filter, on the loggers that could
see a number, masks any run of 12 to 19 digits (spaces or dashes between them
allowed) that passes the Luhn check.
"""

import logging
import re

from hippocratic.billing.processors import luhn_valid

_DIGITS = re.compile(r"(?<!\d)\d(?:[ -]?\d){11,18}(?!\d)")
# In a URL-encoded body the number follows "card[number]=" (encoded or not).
_FIELD = re.compile(r"(card(?:%5B|\[)number(?:%5D|\])=)[^&\s]*", re.IGNORECASE)
# A logger's filter sees only the records logged on that very logger, not its
# children's: Stripe logs on "stripe". Settings also put the filter on the console
# handler, which every propagated record passes through.
WATCHED = ("stripe",)


def mask(text: str) -> str:
    text = _FIELD.sub(r"\1[card number withheld]", text)

    def one(match: re.Match) -> str:
        digits = re.sub(r"[ -]", "", match.group())
        return "[card number withheld]" if luhn_valid(digits) else match.group()

    return _DIGITS.sub(one, text)


class MaskCardNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install() -> None:
    for name in WATCHED:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskCardNumbers) for f in logger.filters):
            logger.addFilter(MaskCardNumbers())
