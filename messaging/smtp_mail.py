"""Email through an SMTP relay (MAIL_BACKEND=smtp).

One connection per message: implicit TLS when SMTP_SSL is on (port 465),
otherwise STARTTLS when SMTP_STARTTLS is on (port 587; the server must offer
it, we never fall back to clear text), login when SMTP_USERNAME is set. The
message is multipart (text, and HTML when the template has one) with the
headers mail servers and spam filters expect. SMTP's own reply codes decide
the outcome: 5xx is final, 4xx and network trouble are worth another try.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from dataclasses import replace
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from email.utils import make_msgid
from email.utils import parseaddr

from kernel.config import MessagingConfig
from messaging.models import Message
from messaging.transports import ErrorCode
from messaging.transports import SendResult
from messaging.transports import TransportError


class SmtpMail:
    def __init__(self, config: MessagingConfig):
        if config.smtp_ssl and config.smtp_starttls:
            # SMTP_STARTTLS defaults to on; implicit TLS simply takes precedence.
            config = replace(config, smtp_starttls=False)
        self._config = config
        _, self._sender_address = parseaddr(config.mail_sender)
        if "@" not in self._sender_address:
            raise ValueError(f"MAIL_SENDER={config.mail_sender!r} has no address")
        self._domain = self._sender_address.rpartition("@")[2]
        self._tls = ssl.create_default_context(cafile=config.smtp_ca_file or None)

    def build(self, message: Message, *, now: dt.datetime | None = None) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self._config.mail_sender
        email["To"] = Address(addr_spec=message.recipient)
        email["Subject"] = message.subject
        email["Date"] = format_datetime((now or dt.datetime.now(dt.UTC)).replace(tzinfo=dt.UTC))
        email["Message-ID"] = make_msgid(idstring=f"m{message.id}", domain=self._domain)
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(message.body)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        return email

    def send(self, message: Message) -> SendResult:
        try:
            email = self.build(message)
        except (ValueError, IndexError, HeaderParseError) as exc:
            raise TransportError(
                f"not a deliverable address: {exc}",
                permanent=True,
                code=ErrorCode.ADDRESS_REJECTED,
            ) from exc
        try:
            with self._connect() as smtp:
                refused = smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise _by_reply_code(code, reply, ErrorCode.ADDRESS_REJECTED) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise _by_reply_code(exc.smtp_code, exc.smtp_error, ErrorCode.REJECTED) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise TransportError(
                f"SMTP login refused ({exc.smtp_code})",
                permanent=True,
                code=ErrorCode.CONFIGURATION,
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise TransportError(
                f"SMTP server lacks a required extension: {exc}",
                permanent=True,
                code=ErrorCode.CONFIGURATION,
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise _by_reply_code(exc.smtp_code, exc.smtp_error, ErrorCode.REJECTED) from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Connection refused or lost, TLS failure, DNS, timeout: try again later.
            raise TransportError(
                f"SMTP server {self._config.smtp_host}:{self._config.smtp_port} "
                f"unavailable: {type(exc).__name__}: {exc}",
                permanent=False,
                code=ErrorCode.UNAVAILABLE,
            ) from exc
        if refused:
            code, reply = next(iter(refused.values()))
            raise _by_reply_code(code, reply, ErrorCode.ADDRESS_REJECTED)
        return SendResult(provider_id=email["Message-ID"])

    def _connect(self) -> smtplib.SMTP:
        config = self._config
        timeout = config.smtp_timeout_seconds
        if config.smtp_ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                config.smtp_host, config.smtp_port, timeout=timeout, context=self._tls
            )
        else:
            smtp = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=timeout)
        try:
            if config.smtp_starttls:
                smtp.starttls(context=self._tls)
            if config.smtp_username:
                smtp.login(config.smtp_username, config.smtp_password)
        except BaseException:
            smtp.close()
            raise
        return smtp


def _by_reply_code(code: int, reply: bytes | str, permanent_code: ErrorCode) -> TransportError:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    detail = f"SMTP {code} {text}"
    if 500 <= code < 600:
        return TransportError(detail, permanent=True, code=permanent_code)
    return TransportError(detail, permanent=False, code=ErrorCode.UNAVAILABLE)
