"""SMS through Twilio's Messaging API, with the official client (SMS_BACKEND=twilio).

The sender is TWILIO_MESSAGING_SERVICE_SID when set (Twilio picks a number from
the service's pool), else TWILIO_FROM (a Twilio number or alphanumeric sender
id). Twilio answers at once whether it accepted the message; what it refuses
is mapped here to an `ErrorCode`, permanent when the number itself is the
problem (so a journey tells the parent and does not retry), temporary on an
outage, a 5xx, a rate limit or a timeout (so the job queue tries again).
"""

from __future__ import annotations

import logging

import requests
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from kernel.config import MessagingConfig
from messaging.models import Message
from messaging.transports import ErrorCode
from messaging.transports import SendResult
from messaging.transports import TransportError

# https://www.twilio.com/docs/api/errors — refusals that name the recipient's number.
NUMBER_ERRORS: dict[int, ErrorCode] = {
    21211: ErrorCode.INVALID_NUMBER,  # Invalid 'To' Phone Number
    21217: ErrorCode.INVALID_NUMBER,  # Phone number does not appear to be valid
    21614: ErrorCode.NOT_MOBILE,  # 'To' number is not a valid mobile number
    21407: ErrorCode.NOT_MOBILE,  # This phone number type does not support SMS
    21408: ErrorCode.UNREACHABLE,  # Permission to send an SMS not enabled for the region
    21612: ErrorCode.UNREACHABLE,  # 'To' phone number is not currently reachable via SMS
    21608: ErrorCode.UNREACHABLE,  # unverified number (trial account)
    21610: ErrorCode.OPTED_OUT,  # the recipient replied STOP
}
# Refusals that are our fault: credentials, sender, messaging service.
CONFIGURATION_ERRORS = frozenset(
    {20003, 20404, 21212, 21601, 21603, 21606, 21659, 21701, 21702, 21703, 21704, 21705}
)
TEMPORARY_ERRORS = frozenset({20429, 20500, 20503, 30001})
# Failures Twilio reports later, in a status callback, once carriers have answered.
DELIVERY_ERRORS: dict[int, ErrorCode] = {
    30003: ErrorCode.UNREACHABLE,  # Unreachable destination handset
    30004: ErrorCode.UNREACHABLE,  # Message blocked
    30005: ErrorCode.INVALID_NUMBER,  # Unknown destination handset
    30006: ErrorCode.NOT_MOBILE,  # Landline or unreachable carrier
    30007: ErrorCode.REJECTED,  # Message filtered by the carrier
    30008: ErrorCode.UNAVAILABLE,  # Unknown error
    30001: ErrorCode.UNAVAILABLE,  # Queue overflow
    30002: ErrorCode.CONFIGURATION,  # Account suspended
    21610: ErrorCode.OPTED_OUT,
}

# The client logs each request and response at INFO; keep that out of our logs.
_http_log = logging.getLogger("guichet.messaging.twilio_http")
_http_log.setLevel(logging.WARNING)


class TwilioSms:
    def __init__(self, config: MessagingConfig):
        if not (config.twilio_account_sid and config.twilio_auth_token):
            raise ValueError("SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        if not (config.twilio_messaging_service_sid or config.twilio_from):
            raise ValueError("SMS_BACKEND=twilio needs TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM")
        self._options = (
            {"messaging_service_sid": config.twilio_messaging_service_sid}
            if config.twilio_messaging_service_sid
            else {"from_": config.twilio_from}
        )
        if config.twilio_status_callback_url:
            self._options["status_callback"] = config.twilio_status_callback_url
        self._client = Client(
            config.twilio_account_sid,
            config.twilio_auth_token,
            http_client=TwilioHttpClient(timeout=config.twilio_timeout_seconds, logger=_http_log),
        )

    def send(self, message: Message) -> SendResult:
        try:
            sent = self._client.messages.create(
                to=message.recipient, body=message.body, **self._options
            )
        except TwilioException as exc:
            raise _refusal(exc) from exc
        except requests.Timeout as exc:
            raise TransportError(
                "Twilio did not answer in time", permanent=False, code=ErrorCode.UNAVAILABLE
            ) from exc
        except requests.RequestException as exc:
            raise TransportError(
                f"Twilio unreachable: {type(exc).__name__}",
                permanent=False,
                code=ErrorCode.UNAVAILABLE,
            ) from exc
        if sent.status in ("failed", "undelivered"):
            # Rare at creation, but then final: Twilio will not try again.
            raise TransportError(
                f"Twilio {sent.status} ({sent.error_code}): {sent.error_message}",
                permanent=True,
                code=NUMBER_ERRORS.get(sent.error_code or 0, ErrorCode.REJECTED),
            )
        return SendResult(provider_id=sent.sid)


def _refusal(exc: TwilioException) -> TransportError:
    status = getattr(exc, "status", None) or 0
    code = getattr(exc, "code", None)
    text = getattr(exc, "msg", None) or getattr(exc, "title", None) or type(exc).__name__
    detail = f"Twilio HTTP {status} error {code}: {text}"
    if code in NUMBER_ERRORS:
        return TransportError(detail, permanent=True, code=NUMBER_ERRORS[code])
    if code in TEMPORARY_ERRORS or status >= 500 or status == 429 or status == 0:
        return TransportError(detail, permanent=False, code=ErrorCode.UNAVAILABLE)
    if code in CONFIGURATION_ERRORS or status in (401, 403):
        return TransportError(detail, permanent=True, code=ErrorCode.CONFIGURATION)
    return TransportError(detail, permanent=True, code=ErrorCode.REJECTED)


def delivery_failure(twilio_status: str, error_code: str | None) -> ErrorCode | None:
    """The reason a status callback reports, or None when it reports no failure."""
    if twilio_status not in ("failed", "undelivered"):
        return None
    try:
        code = int(error_code or 0)
    except ValueError:
        code = 0
    return DELIVERY_ERRORS.get(code, NUMBER_ERRORS.get(code, ErrorCode.REJECTED))
