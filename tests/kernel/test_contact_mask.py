"""A masked mobile reads as the parent writes their number (issue 15: «+336 1 •• ••
•• 04» was neither French nor international)."""

import pytest

from kernel.contact import mask_mobile


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+33612345604", "06 1• •• •• 04"),
        ("+33751234567", "07 5• •• •• 67"),
        ("+262692123456", "069• •• •• 56"),  # La Réunion: dialled with a 0 from France
        ("+32470123456", "+32 4•• •• •• 56"),
        ("+41781234567", "+41 7• ••• •• 67"),
        ("", "••"),
        ("n'importe quoi", "••"),
    ],
)
def test_a_masked_mobile_keeps_the_first_digits_and_the_last_two(e164, shown):
    assert mask_mobile(e164) == shown
