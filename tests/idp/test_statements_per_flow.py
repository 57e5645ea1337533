"""The SQL statements and commits of the authorization endpoint, the token endpoint
and userinfo, pinned: single sign-on is the hot path (docs/benchmarks.md), so a
statement or a transaction more per flow must be a decision, not an accident of a
refactoring. Each statement is named by its verb and the table it reads or
writes; the per-process caches' refills (registered services, the signing key)
happen every few seconds whatever the flow, and are left out."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests
import time_machine
from sqlalchemy import event

from kernel.extensions import db
from tests.idp.conftest import post_consent
from tests.idp.conftest import post_sign_in_form

CACHED_TABLES = {"oidc_clients", "signing_keys"}
TABLE = re.compile(r"^(?:INSERT INTO|UPDATE|DELETE FROM|SELECT(?: DISTINCT)?) \(?(\w+)")


@dataclass
class Statements:
    """What the app ran since the last `take()`: ["SELECT login_sessions", …] and commits."""

    ran: list[str] = field(default_factory=list)
    commits: int = 0

    def executed(self, conn, cursor, statement, parameters, context, executemany) -> None:
        text = " ".join(statement.split())
        table = TABLE.match(text).group(1)
        if not (text.startswith("SELECT") and table in CACHED_TABLES):
            self.ran.append(f"{text.split()[0]} {table}")

    def committed(self, conn) -> None:
        self.commits += 1

    def take(self) -> tuple[list[str], int]:
        taken = (self.ran, self.commits)
        self.ran, self.commits = [], 0
        return taken


# A sign-in remembers its browser (accounts.devices, issue 17): a browser this account
# never used (no device cookie: nothing to look up) has the account's first browser
# checked for, is recorded, and the account's browsers are pruned (one DELETE, only
# when a browser is new: the records are bounded, accounts.devices.MAX_DEVICES_PER_ACCOUNT).
NEW_BROWSER = ["SELECT EXISTS", "INSERT known_devices", "DELETE known_devices"]
# At its first sign-in, an account takes the language its pages were read in (its
# emails and SMS follow it: kernel.languages); later sign-ins write nothing.
FIRST_LANGUAGE = ["UPDATE accounts"]


@pytest.fixture
def statements(provider) -> Iterator[Statements]:
    """Statements of the served app; the wall clock stands still, so that no session's
    idle clock comes due in the middle of a test (one UPDATE more, rightly)."""
    with provider.ctx():
        engine = db.engine
    recorder = Statements()
    event.listen(engine, "before_cursor_execute", recorder.executed)
    event.listen(engine, "commit", recorder.committed)
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False):
        yield recorder
    event.remove(engine, "before_cursor_execute", recorder.executed)
    event.remove(engine, "commit", recorder.committed)


def code_of(response) -> str:
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def test_a_signed_in_parents_flow_runs_five_statements(provider, parent, livret, statements):
    browser = provider.sign_in(parent)
    session = provider.rp(*livret)
    provider.code_flow(browser, session)  # the first one records the service reached
    statements.take()

    response, verifier, state = provider.authorize(browser, session, prompt="none")
    assert statements.take() == (["SELECT login_sessions", "INSERT oidc_codes"], 1)
    session.fetch_token(
        provider.url + "/token",
        authorization_response=response.headers["Location"],
        code_verifier=verifier,
        state=state,
    )
    assert statements.take() == (["UPDATE oidc_codes", "INSERT oidc_tokens"], 1)
    session.get(provider.url + "/userinfo")
    assert statements.take() == (["SELECT oidc_tokens"], 0)


def test_the_first_code_after_a_sign_in_records_the_service_once(
    provider, parent, livret, statements
):
    browser = provider.sign_in(parent)
    statements.take()
    provider.authorize(browser, provider.rp(*livret))
    assert statements.take() == (
        [
            "SELECT login_sessions",
            "INSERT oidc_codes",
            "INSERT oidc_session_services",
        ],
        1,
    )


def test_a_sign_in_posted_to_the_authorization_request_commits_with_its_code(
    provider, parent, livret, statements
):
    """Checking the password is accounts.authentication's (its statements are its
    own); from the session on, the statements are the provider's, and everything
    is one transaction."""
    browser = requests.Session()
    page, _, _ = provider.authorize(browser, provider.rp(*livret))
    assert statements.take() == ([], 0)
    answered = post_sign_in_form(browser, page, parent)
    assert "code=" in answered.headers["Location"]
    ran, commits = statements.take()
    assert ran[ran.index("INSERT login_sessions") :] == [
        "INSERT login_sessions",
        *NEW_BROWSER,
        *FIRST_LANGUAGE,
        "INSERT oidc_codes",
        "INSERT oidc_session_services",
    ]
    assert commits == 1


def test_a_refused_sign_in_commits_its_count_and_an_invalid_form_nothing(
    provider, parent, livret, statements
):
    browser = requests.Session()
    page, _, _ = provider.authorize(browser, provider.rp(*livret))
    statements.take()
    refused = post_sign_in_form(browser, page, parent, "not-the-password")
    assert refused.status_code == 400
    assert statements.take()[1] == 1  # the failure counts towards throttling
    invalid = browser.post(
        page.url, data={"identifier": parent, "password": "x"}, allow_redirects=False, timeout=5
    )
    assert invalid.status_code == 400  # no CSRF token: the form shows its error
    assert statements.take() == ([], 0)


def test_consent_asked_then_given_then_denied(provider, parent, statements):
    client = provider.add_client(name="Cantine", trusted=False)
    browser = provider.sign_in(parent)
    session = provider.rp(*client)
    statements.take()

    page, _, _ = provider.authorize(browser, session)
    assert page.status_code == 200
    assert statements.take() == (["SELECT login_sessions", "SELECT oidc_consents"], 1)
    silent, _, _ = provider.authorize(browser, session, prompt="none")
    assert "error=consent_required" in silent.headers["Location"]
    assert statements.take() == (["SELECT login_sessions", "SELECT oidc_consents"], 0)

    denied = post_consent(browser, page, "deny")
    assert "error=access_denied" in denied.headers["Location"]
    assert statements.take() == (["SELECT login_sessions", "SELECT oidc_consents"], 0)

    allowed = post_consent(browser, page, "allow")
    assert code_of(allowed)
    assert statements.take() == (
        [
            "SELECT login_sessions",
            "SELECT oidc_consents",
            "SELECT oidc_consents",
            "INSERT oidc_codes",
            "INSERT oidc_session_services",
            "INSERT oidc_consents",  # the ORM row, flushed by the commit
        ],
        1,
    )


def test_no_usable_session_asks_for_the_password_without_writing(
    provider, parent, livret, statements
):
    browser = provider.sign_in(parent)
    session = provider.rp(*livret)
    statements.take()
    page, _, _ = provider.authorize(browser, session, prompt="login")
    assert page.status_code == 200
    assert statements.take() == (["SELECT login_sessions"], 0)
    anonymous = requests.Session()
    response, _, _ = provider.authorize(anonymous, session, prompt="none")
    assert "error=login_required" in response.headers["Location"]
    assert statements.take() == ([], 0)


def test_a_sign_in_posted_where_consent_is_asked_is_kept_for_the_consent(
    provider, parent, statements
):
    client = provider.add_client(name="Cantine", trusted=False)
    browser = requests.Session()
    page, _, _ = provider.authorize(browser, provider.rp(*client))
    statements.take()
    consent = post_sign_in_form(browser, page, parent)
    assert consent.status_code == 200 and "Cantine" in consent.text
    ran, commits = statements.take()
    assert ran[ran.index("INSERT login_sessions") :] == [
        "INSERT login_sessions",
        *NEW_BROWSER,
        *FIRST_LANGUAGE,
        "SELECT oidc_consents",
    ]
    assert commits == 1
    allowed = post_consent(browser, consent, "allow")  # the page just shown works
    assert code_of(allowed)
