"""Password sign-in (SPEC §4, §6.1): where a correct password leads, and the one check
of an identifier and its password (accounts.authentication.verify_password) behind
sign-in, the merge's «Recherchez le compte» (§6.6) and the profile's current password
(§6.7): same refusal and same cost whether or not the identifier exists, one throttle
per identifier."""

import contextlib
import datetime as dt

import pytest
from argon2 import PasswordHasher

from accounts import audit
from accounts import authentication
from accounts import states
from accounts import throttle
from accounts.models import AccountOrigin
from accounts.models import AccountState
from enrollment import merge
from enrollment import profile
from kernel import runtime
from kernel.config import AccountRules
from kernel.errors import DomainError
from tests import factories

NOW = dt.datetime(2026, 11, 24, 9, 30)


@pytest.fixture
def argon2_verifications(monkeypatch) -> list:
    """Every argon2id verification that runs: what an onlooker timing the answer sees
    (counted, since wall-clock time is too noisy on a shared machine)."""
    calls = []
    verify = PasswordHasher.verify

    def counted(self, hash, password):
        calls.append(hash)
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    return calls


def sign_in(identifier, password, *, keep=None, today=None):
    return authentication.authenticate(
        identifier,
        password,
        now=NOW,
        passwords=runtime.passwords(),
        rules=AccountRules(),
        today=today or NOW.date(),
    )


def find_for_merge(identifier, password, *, keep):
    return merge.find_other(
        keep, identifier, password, now=NOW, passwords=runtime.passwords(), rules=AccountRules()
    )


def change_password(identifier, password, *, keep):
    assert identifier == keep.identifier  # the profile checks the signed-in account's
    return profile.change_password(
        keep, password, "Nouveau2026", now=NOW, passwords=runtime.passwords(), keep_session=None
    )


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (AccountState.NOTIFIED, authentication.Next.ACTIVATE),
        (AccountState.ACTIVATED, authentication.Next.CHANGE_PASSWORD),
    ],
)
def test_temporary_password_leads_to_the_next_step(app_ctx, state, expected):
    account = factories.make_account()
    factories.set_state(account, state)
    if state == AccountState.ACTIVATED:
        runtime.passwords().issue_temporary(account, today=NOW.date())
    password = runtime.passwords().temporary_password(account)
    assert sign_in(account.identifier, password).next == expected


def test_own_password_of_activated_account_signs_in(app_ctx):
    account = factories.make_account()
    factories.activate(account, password="Secret123")
    assert sign_in(account.identifier, "Secret123").next == authentication.Next.SIGNED_IN


def test_en_cours_account_is_told_the_email_awaits(app_ctx):
    account = factories.make_account()
    factories.set_state(account, AccountState.ACTIVATING)
    assert sign_in(account.identifier, "Secret123").next == authentication.Next.CONFIRM_EMAIL


def test_expired_temporary_password_says_to_contact_the_school(app_ctx):
    account = factories.make_account()
    factories.set_state(account, AccountState.NOTIFIED)
    password = runtime.passwords().temporary_password(account)
    with pytest.raises(authentication.TemporaryPasswordExpired):
        sign_in(account.identifier, password, today=NOW.date() + dt.timedelta(days=93))


@pytest.mark.parametrize("case", ["unknown", "wrong", "not_notified"])
def test_refusals_are_identical(app_ctx, case):
    account = factories.make_account()
    if case == "wrong":
        factories.activate(account, password="Secret123")
    identifier = "x.nobody" if case == "unknown" else account.identifier
    password = runtime.passwords().temporary_password(account) or "Wrong1234"
    with pytest.raises(authentication.InvalidCredentials) as error:
        sign_in(identifier, password)
    assert str(error.value.message) == "Identifiant ou mot de passe incorrect."


def _attempts(school):
    """(identifier, password) of each kind of attempt, right or wrong."""
    not_notified = factories.make_account("Nina", "Nonnotifie")
    deleted = factories.make_account("Denis", "Supprime")
    factories.set_state(deleted, AccountState.NOTIFIED)
    states.delete_merged(
        deleted, into=factories.make_account("Denis", "Garde"), now=NOW, actor=audit.OPERATOR
    )
    # A FranceConnect account the demo seeds: no password of ours at all.
    franceconnect = factories.make_account("Fanny", "Connect")
    franceconnect.temporary_password_encrypted = None
    franceconnect.must_change_password = False
    states.activate_directly(franceconnect, via=AccountOrigin.FRANCECONNECT, now=NOW)
    own = factories.make_family(school, first_name="Olive", last_name="Propre")[0].account
    factories.activate(own, password="Propre2026")
    temporary = factories.make_family(school, first_name="Tom", last_name="Provisoire")[0].account
    factories.set_state(temporary, AccountState.NOTIFIED)
    clear = runtime.passwords().temporary_password(temporary)
    return {
        "unknown identifier": ("x.personne", "Propre2026"),
        "Non notifié": (
            not_notified.identifier,
            runtime.passwords().temporary_password(not_notified),
        ),
        "deleted": (deleted.identifier, "Secret123"),
        "no password of ours": (franceconnect.identifier, "Propre2026"),
        "wrong own password": (own.identifier, "Mauvais2026"),
        "own password": (own.identifier, "Propre2026"),
        "wrong temporary password": (temporary.identifier, "ABCD2345"),
        "temporary password": (temporary.identifier, clear),
    }


@pytest.mark.parametrize("journey", [sign_in, find_for_merge], ids=["sign-in", "merge"])
def test_every_password_check_costs_one_argon2_verification(
    app_ctx, school, argon2_verifications, journey
):
    """Whether the identifier exists, and what password it has, must not show in the time
    the answer takes: each attempt runs exactly one argon2id verification."""
    keep = factories.make_family(school, first_name="Karl", last_name="Garde")[0].account
    factories.activate(keep, password="Garde2026")
    attempts = _attempts(school)
    costs = {}
    for case, (identifier, password) in attempts.items():
        before = len(argon2_verifications)
        with contextlib.suppress(DomainError):  # refused, or a later step's refusal
            journey(identifier, password, keep=keep)
        costs[case] = len(argon2_verifications) - before
    assert costs == dict.fromkeys(attempts, 1)


@pytest.mark.parametrize(
    "guessed_through",
    [sign_in, find_for_merge, change_password],
    ids=["sign-in", "merge", "profile"],
)
def test_guesses_count_against_the_identifier_whichever_page_they_come_from(
    app_ctx, school, guessed_through
):
    """Switching from the sign-in form to the merge or the profile gives a guesser no
    fresh tries: five wrong passwords anywhere and every page makes the identifier wait."""
    account = factories.make_family(school)[0].account
    factories.activate(account, password="Secret123")
    for _ in range(throttle.POLICIES["password"].free_attempts):
        with pytest.raises((authentication.InvalidCredentials, profile.WrongCurrentPassword)):
            guessed_through(account.identifier, "Mauvais2026", keep=account)
    for journey in (sign_in, find_for_merge, change_password):
        with pytest.raises(throttle.TooManyAttempts):
            journey(account.identifier, "Secret123", keep=account)
