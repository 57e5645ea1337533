"""The transports chosen by configuration (SMS_BACKEND, MAIL_BACKEND)."""

from __future__ import annotations

from kernel.config import MessagingConfig
from messaging.smtp_mail import SmtpMail
from messaging.transports import ConsoleSms
from messaging.transports import OutboxMail
from messaging.transports import Transport
from messaging.twilio_sms import TwilioSms

SMS_BACKENDS = ("console", "twilio")
MAIL_BACKENDS = ("outbox", "smtp")


def build_transports(config: MessagingConfig) -> dict[str, Transport]:
    """The configured transports; a missing credential fails at start, not at the first send."""
    if config.sms_backend not in SMS_BACKENDS:
        raise ValueError(
            f"SMS_BACKEND={config.sms_backend!r} is not available (one of {SMS_BACKENDS})"
        )
    if config.mail_backend not in MAIL_BACKENDS:
        raise ValueError(
            f"MAIL_BACKEND={config.mail_backend!r} is not available (one of {MAIL_BACKENDS})"
        )
    if config.sms_backend == "twilio":
        sms: Transport = TwilioSms(config)
    else:
        sms = ConsoleSms()
    if config.mail_backend == "smtp":
        mail: Transport = SmtpMail(config)
    else:
        mail = OutboxMail()
    return {"sms": sms, "email": mail}
