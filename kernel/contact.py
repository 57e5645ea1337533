"""Normalisation of contact data, so that numbers and addresses written in any
way compare equal (sibling grouping, SMS matching, lost identifier)."""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError
from email_validator import validate_email

DEFAULT_REGION = "FR"


_CAN_RECEIVE_SMS = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


def normalise_mobile(
    raw: str | None, region: str = DEFAULT_REGION, *, mobile_only: bool = False
) -> str | None:
    """E.164 form (`+33612345678`) of a number written any usual way, or None when it
    is not a valid number. `06 12 34 56 78`, `+33 6 12 34 56 78` and `0033612345678`
    all give the same result. `mobile_only` also refuses numbers that cannot receive
    an SMS (landlines), for the forms that send a code."""
    if not raw or not raw.strip():
        return None
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if mobile_only and phonenumbers.number_type(number) not in _CAN_RECEIVE_SMS:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# RFC 5322 dot-atom local part @ LDH domain with an alphabetic TLD: addresses of this
# plain ASCII shape are valid for email-validator too, and the nightly import meets
# 100,000 of them; anything else (quoted, international, odd) goes through the library.
_PLAIN_ADDRESS = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)


def normalise_email(raw: str | None) -> str | None:
    """Lowercased, syntax-checked address (no DNS lookup), or None when invalid."""
    if not raw or not raw.strip():
        return None
    lowered = raw.strip().lower()
    plain = len(lowered) <= 254 and len(lowered.partition("@")[0]) <= 64
    if plain and _PLAIN_ADDRESS.fullmatch(lowered):
        return lowered
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None
    return result.normalized.lower()


# Regions dialled from France with a leading 0 (mainland and the overseas departments
# and collectivities of the French numbering plan): shown as their parents write them.
FRENCH_NUMBERING_PLAN = {"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF"}


def mask_mobile(e164: str) -> str:
    """A number as the parent writes it, digits hidden but the first three and the last
    two: `+33612345678` → `06 1• •• •• 78` (French numbers in the national form every
    parent knows, others in the international form: `+32 4•• •• •• 56`). Enough to
    recognise one's own number without showing it to whoever looks at the screen."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "••"
    if not phonenumbers.is_valid_number(number):
        return "••"
    national = phonenumbers.region_code_for_number(number) in FRENCH_NUMBERING_PLAN
    style = phonenumbers.PhoneNumberFormat
    text = phonenumbers.format_number(number, style.NATIONAL if national else style.INTERNATIONAL)
    shown_first = 3 if national else len(str(number.country_code)) + 1
    digits = sum(char.isdigit() for char in text)
    masked, seen = [], 0
    for char in text:
        if char.isdigit():
            seen += 1
            hidden = shown_first < seen <= digits - 2
            char = "•" if hidden else char
        masked.append(char)
    return "".join(masked)
