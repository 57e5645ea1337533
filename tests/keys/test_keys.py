"""Signing keys: life cycle, encryption at rest, the published JWKS and its CLI."""

import datetime as dt
import json

import pytest

from kernel.extensions import db
from keys import services
from keys.models import KeyStatus
from keys.models import SigningKey
from tests.conftest import NOW


@pytest.fixture
def box(app_ctx):
    return app_ctx.extensions["guichet.keybox"]


def test_first_key_is_current_and_the_second_is_next(box):
    first = services.generate("RS256", box=box, now=NOW)
    second = services.generate("ES256", box=box, now=NOW)
    assert (first.status, second.status) == (KeyStatus.CURRENT, KeyStatus.NEXT)
    with pytest.raises(services.NextKeyExists):
        services.generate("RS256", box=box, now=NOW)


def test_private_key_is_stored_encrypted(box):
    key = services.generate("RS256", box=box, now=NOW)
    db.session.commit()
    stored = db.session.get(SigningKey, key.id).private_key_encrypted
    assert b"PRIVATE KEY" not in stored
    assert "PRIVATE KEY" in box.decrypt(stored)


def test_a_box_with_another_key_cannot_read_the_keys(app_ctx, box):
    from kernel.secretbox import EncryptionKeyError
    from kernel.secretbox import SecretBox

    services.generate("RS256", box=box, now=NOW)
    services.forget_cached_keys()
    with pytest.raises(EncryptionKeyError):
        services.signing_key(box=SecretBox(None, "another-secret"))


def test_rotation_promotes_next_and_keeps_the_retired_key_published(box):
    old = services.ensure_current("RS256", box=box, now=NOW)
    upcoming = services.published(now=NOW, retired_days=7)[1]
    current, new_next = services.rotate(box=box, now=NOW)
    assert current.kid == upcoming.kid
    kids = [k["kid"] for k in services.jwks(now=NOW, retired_days=7)["keys"]]
    assert kids == [current.kid, new_next.kid, old.kid]
    later = NOW + dt.timedelta(days=8)
    assert old.kid not in [k["kid"] for k in services.jwks(now=later, retired_days=7)["keys"]]


def test_jwks_holds_public_parts_only(box):
    services.ensure_current("ES256", box=box, now=NOW)
    for key in services.jwks(now=NOW, retired_days=7)["keys"]:
        assert "d" not in key
        assert key["use"] == "sig" and key["alg"] == "ES256" and key["kid"]


def test_current_key_cannot_be_retired_but_can_be_rotated_away(box):
    current = services.ensure_current("RS256", box=box, now=NOW)
    with pytest.raises(services.CurrentKeyCannotRetire):
        services.retire(current.kid, now=NOW)


def test_withdrawn_key_leaves_the_jwks_at_once(box):
    old = services.ensure_current("RS256", box=box, now=NOW)
    services.rotate(box=box, now=NOW)
    services.retire(old.kid, now=NOW, withdraw=True)
    assert old.kid not in [k["kid"] for k in services.jwks(now=NOW, retired_days=7)["keys"]]


def test_cli_generate_rotate_list_retire(runner, app_ctx):
    result = runner.invoke(args=["keys", "generate", "--json"])
    assert result.exit_code == 0, result.output
    first = json.loads(result.output)
    assert first["status"] == "current" and first["alg"] == "RS256"
    assert runner.invoke(args=["keys", "generate", "--alg", "ES256"]).exit_code == 0
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    listed = json.loads(runner.invoke(args=["keys", "list", "--json"]).output)
    assert [k["status"] for k in listed] == ["retired", "current", "next"]
    assert listed[1]["alg"] == "ES256"
    result = runner.invoke(args=["keys", "retire", listed[1]["kid"]])
    assert result.exit_code != 0
    assert "rotate" in result.output
    assert runner.invoke(args=["keys", "retire", "nope"]).exit_code != 0


def test_jwks_and_discovery_are_cacheable(client, app_ctx, box):
    services.ensure_current("RS256", box=box, now=NOW)
    db.session.commit()
    for path in ("/jwks.json", "/.well-known/openid-configuration"):
        response = client.get(path)
        assert response.status_code == 200
        assert "max-age=" in response.headers["Cache-Control"]
