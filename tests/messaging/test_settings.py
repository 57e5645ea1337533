"""Messaging settings: read from the environment, wrong values refused at start."""

import pytest

from kernel.config import Settings


def messaging(tmp_path, **environ):
    return Settings.from_env({"SECRET_KEY": "k", **environ}, tmp_path).messaging


def test_defaults_are_the_development_backends(tmp_path):
    config = messaging(tmp_path)
    assert (config.sms_backend, config.mail_backend) == ("console", "outbox")
    assert config.uses_dev_backends
    assert config.retry_intervals_seconds == (15, 60, 240, 960)
    assert config.twilio_status_callback_url == ""


def test_retry_delays_and_timeouts_are_read(tmp_path):
    config = messaging(
        tmp_path,
        MESSAGE_RETRY_INTERVALS="5, 50,500",
        SMTP_TIMEOUT="2.5",
        TWILIO_STATUS_CALLBACK="oui",
        PUBLIC_URL="https://guichet.example/",
    )
    assert config.retry_intervals_seconds == (5, 50, 500)
    assert config.smtp_timeout_seconds == 2.5
    assert config.twilio_status_callback_url == "https://guichet.example/messaging/twilio/status"


@pytest.mark.parametrize(
    ("environ", "match"),
    [
        ({"MESSAGE_RETRY_INTERVALS": "15,soon"}, "MESSAGE_RETRY_INTERVALS"),
        ({"SMTP_TIMEOUT": "long"}, "SMTP_TIMEOUT"),
    ],
)
def test_unreadable_values_are_refused(tmp_path, environ, match):
    with pytest.raises(ValueError, match=match):
        messaging(tmp_path, **environ)


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"SMS_BACKEND": "carrier-pigeon"}, "SMS_BACKEND"),
        ({"MAIL_BACKEND": "fax"}, "MAIL_BACKEND"),
        ({"MESSAGE_MAX_ATTEMPTS": "0"}, "MESSAGE_MAX_ATTEMPTS"),
        ({"MESSAGE_RETRY_INTERVALS": "-1"}, "MESSAGE_RETRY_INTERVALS"),
    ],
)
def test_the_service_does_not_start_with_a_wrong_setting(make_app, settings, match):
    with pytest.raises(ValueError, match=match):
        make_app(**settings)
