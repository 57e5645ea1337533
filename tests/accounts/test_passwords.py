"""SPEC §3: temporary passwords, the chosen-password policy, argon2id, encryption at rest."""

import datetime as dt
import re

import pytest

from accounts.errors import PasswordPolicyError
from accounts.passwords import generate_temporary_password
from accounts.passwords import temporary_password_valid_through
from accounts.passwords import validate_chosen_password
from kernel import runtime
from kernel.config import PasswordPolicy
from kernel.extensions import db
from kernel.secretbox import SecretBox
from tests import factories


def test_temporary_password_is_8_uppercase_letters_and_digits():
    for _ in range(200):
        password = generate_temporary_password()
        assert re.fullmatch(r"[A-Z0-9]{8}", password)
        assert re.search(r"[A-Z]", password) and re.search(r"[0-9]", password)


def test_temporary_passwords_do_not_repeat():
    assert len({generate_temporary_password() for _ in range(1000)}) == 1000


@pytest.mark.parametrize("password", ["abc12345", "Secret123", "A1b2C3d4E5f6G7", "motdepasse2"])
def test_policy_accepts_8_to_14_with_letters_and_digits(password):
    validate_chosen_password(password, PasswordPolicy())


@pytest.mark.parametrize("password", ["abc1234", "A1b2C3d4E5f6G7h", "motdepasse", "12345678", ""])
def test_policy_refuses_other_passwords_with_the_french_rule(password):
    with pytest.raises(PasswordPolicyError) as error:
        validate_chosen_password(password, PasswordPolicy())
    assert "8 à 14 caractères" in str(error.value.message)


def test_temporary_password_is_stored_encrypted_never_in_clear(app_ctx):
    account = factories.make_account()
    clear = runtime.passwords().issue_temporary(account, today=dt.date(2026, 11, 24))
    db.session.commit()
    raw = db.session.execute(
        db.text("SELECT temporary_password_encrypted FROM accounts WHERE id = :id"),
        {"id": account.id},
    ).scalar_one()
    assert clear.encode() not in bytes(raw)
    assert runtime.passwords().temporary_password(account) == clear


def test_temporary_password_cannot_be_read_with_another_key(app_ctx):
    account = factories.make_account()
    runtime.passwords().issue_temporary(account, today=None)
    other = SecretBox(None, "another-secret")
    with pytest.raises(Exception) as error:
        other.decrypt(account.temporary_password_encrypted)
    assert error.value.code == "encryption_key"


def test_chosen_password_is_hashed_with_argon2id_and_drops_the_temporary_one(app_ctx):
    account = factories.make_account()
    service = runtime.passwords()
    service.set_chosen(account, "Secret123")
    assert account.password_hash.startswith("$argon2id$")
    assert service.verify_hash(account.password_hash, "Secret123")
    assert not service.verify_hash(account.password_hash, "Secret124")
    assert service.temporary_password(account) is None
    assert account.must_change_password is False


def test_a_new_temporary_password_stops_the_old_passwords_at_once(app_ctx):
    account = factories.make_account()
    service = runtime.passwords()
    service.set_chosen(account, "Secret123")
    first = service.issue_temporary(account, today=dt.date(2026, 11, 24))
    second = service.issue_temporary(account, today=dt.date(2026, 11, 24))
    assert not service.verify_hash(account.password_hash, "Secret123")
    assert not service.check_temporary(account, first) or first == second
    assert service.check_temporary(account, second)


@pytest.mark.parametrize(
    ("issued", "last_day"),
    [
        (dt.date(2026, 12, 7), dt.date(2027, 3, 7)),  # SPEC §4's example
        (dt.date(2027, 5, 31), dt.date(2027, 8, 31)),
        (dt.date(2026, 11, 30), dt.date(2027, 2, 28)),  # no 30 February: its last day
        (dt.date(2027, 11, 30), dt.date(2028, 2, 29)),
    ],
)
def test_temporary_password_is_valid_three_calendar_months_from_issue(app_ctx, issued, last_day):
    account = factories.make_account()
    service = runtime.passwords()
    service.issue_temporary(account, today=issued)
    assert temporary_password_valid_through(account, validity_months=3) == last_day
    assert not service.temporary_password_expired(account, today=last_day, validity_months=3)
    day_after = last_day + dt.timedelta(days=1)
    assert service.temporary_password_expired(account, today=day_after, validity_months=3)
    assert service.usable_temporary_password(account, today=day_after, validity_months=3) is None


def test_a_never_distributed_temporary_password_is_not_valid(app_ctx):
    account = factories.make_account()
    assert runtime.passwords().temporary_password_expired(
        account, today=dt.date(2026, 11, 24), validity_months=3
    )
