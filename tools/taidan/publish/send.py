"""``taidan send``: books by email, to a Send to Kindle address or anyone else.

Settings come from taidan.toml ``[send]`` (host, port, security, user, from,
password_file); the password only from ``TAIDAN_SMTP_PASSWORD`` or the password file, so it
never appears on a command line or in what taidan prints. Amazon takes at most 25
attachments and 50 MB per message: more books are split over several messages, counted by
their size once base64-encoded, which is what the mail server measures.
"""

from __future__ import annotations

import hashlib
import os
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email import policy
from email.errors import HeaderParseError
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from taidan.config.project import find
from taidan.config.schema import PORTS
from taidan.publish import megabytes, size_text
from taidan.errors import Problem, ProblemsFound, Refused, shown

MAX_ATTACHMENTS = 25
MAX_MESSAGE_BYTES = 50_000_000  # the whole message as sent: headers, body, encoded files
HEADROOM = 16_384  # headers, the text body and the MIME boundaries of one message
PART_HEADERS = 512  # the headers of one attachment (its name may be long)
TIMEOUT = 60  # seconds without an answer from the server
TYPES = {".pdf": "application/pdf", ".epub": "application/epub+zip"}  # .kepub.epub too
PASSWORD_VARIABLE = "TAIDAN_SMTP_PASSWORD"


class SendFailed(Refused):
    """Something the user can fix: one line, exit status 2."""


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    security: str  # "starttls" | "ssl" | "none"
    user: str
    sender: str
    password_file: Path | None


def settings(project) -> Settings:
    """The [send] table of the project's taidan.toml, checked for what sending needs.
    A missing key is a problem in taidan.toml (ProblemsFound)."""
    if project.file is None:
        raise SendFailed("no taidan.toml in this folder or above it: taidan send takes the mail "
                         "server from its [send] table (host, from ...; see the README)")
    send = project.config["send"]
    missing = [Problem(*_where(project), f"[send] has no {key}", example)
               for key, example in (("host", 'e.g. host = "smtp.example.com"'),
                                    ("from", 'e.g. from = "you@example.com", a sender the '
                                             'Kindle account approves'))
               if not send[key]]
    if missing:
        raise ProblemsFound(missing)
    if mailbox(send["from"]) is None:
        raise ProblemsFound([Problem(*_where(project), f"[send] from '{visible(send['from'])}' is "
                                     "not one email address", 'e.g. from = "you@example.com"')])
    if not send["user"].isascii():  # smtplib's login sends ASCII only
        raise ProblemsFound([Problem(*_where(project), f"[send] user '{visible(send['user'])}' "
                                     "is not ASCII, which an SMTP login cannot carry",
                                     "the server's login name, e.g. you@example.com")])
    security = send["security"]
    return Settings(host=send["host"], port=send["port"] or PORTS[security], security=security,
                    user=send["user"], sender=send["from"],
                    password_file=project.path(send["password_file"]) if send["password_file"] else None)


def _where(project) -> tuple[Path, int]:
    """taidan.toml and the line of its [send] table, for a setting that is missing."""
    lines = project.file.read_text(encoding="utf-8").splitlines()
    line = next((n for n, text in enumerate(lines, 1) if text.strip().startswith("[send]")), 1)
    return shown(project.file), line


def password(s: Settings) -> str | None:
    """From the environment, else the password file's first line; None when no login is
    configured."""
    if not s.user:
        return None
    value = os.environ.get(PASSWORD_VARIABLE)
    if value:
        return value
    if s.password_file is None:
        raise SendFailed(f"no password for {s.user}: set {PASSWORD_VARIABLE} or "
                         "[send] password_file in taidan.toml (never on the command line)")
    try:
        lines = s.password_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or "not UTF-8 text"
        raise SendFailed(f"{s.password_file}: cannot read the password file: {reason}") from None
    if not lines or not lines[0]:
        raise SendFailed(f"{s.password_file}: the password file is empty")
    return lines[0]  # the first line, spaces and all


def mailbox(text: str) -> str | None:
    """The address (local@domain) of ``text`` when it is exactly one mailbox ("a@x" or
    "Name <a@x>") without a fault, as the standard library's header parser reads it."""
    if not text or not text.isprintable():  # CR, LF and other controls: a header injected
        return None
    try:
        header = policy.default.header_factory("To", text)
    except (HeaderParseError, IndexError, ValueError):  # the parser's own faults ("a@")
        return None
    if header.defects or len(header.groups) != 1 or header.groups[0].display_name is not None:
        return None
    [address] = header.addresses
    return address.addr_spec if address.username and address.domain else None


def visible(text: str) -> str:
    """``text`` on one line: control characters written as escapes (\\n)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


# ---- what goes in each message ----------------------------------------------------------

def media_type(path: Path) -> str:
    kind = TYPES.get(path.suffix.lower())
    if kind is None:
        raise SendFailed(f"{path}: not an EPUB or PDF file (taidan sends .epub, .kepub.epub "
                         "and .pdf)")
    return kind


def encoded_size(size: int) -> int:
    """Bytes a file of ``size`` bytes takes in a message: base64 in lines of 76 plus CRLF."""
    encoded = (size + 2) // 3 * 4
    return encoded + (encoded + 75) // 76 * 2 + PART_HEADERS


def batches(files: list[Path]) -> list[list[Path]]:
    """The files in order, as few per message as the limits require: at most 25 each and
    50 MB encoded. Every file must exist and fit in a message by itself."""
    limit = MAX_MESSAGE_BYTES - HEADROOM
    groups: list[list[Path]] = []
    size = 0
    for path in files:
        if not path.is_file():
            reason = "is a folder" if path.is_dir() else "no such file"
            raise SendFailed(f"{visible(str(path))}: {reason}")
        if not path.name.isprintable():  # it becomes a header: a line break would end it
            raise SendFailed(f"{visible(str(path))}: a file name with a line break or other "
                             "control character cannot go in an email (rename the file)")
        media_type(path)
        _read(path, 1)  # unreadable: said now, not as a failed connection later
        need = encoded_size(path.stat().st_size)
        if need > limit:
            raise SendFailed(f"{path}: too large to send ({megabytes(path.stat().st_size)}, "
                             f"{megabytes(need)} encoded; a message may carry "
                             f"{megabytes(MAX_MESSAGE_BYTES)})")
        if not groups or len(groups[-1]) == MAX_ATTACHMENTS or size + need > limit:
            groups.append([])
            size = 0
        groups[-1].append(path)
        size += need
    return groups


def message(sender: str, to: str, files: list[Path], number: int, count: int) -> EmailMessage:
    """One message; the same files give the same bytes, except Date and Message-ID."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    names = [p.name for p in files]
    what = names[0] if len(names) == 1 else f"{len(names)} books"
    msg["Subject"] = f"{what} ({number} of {count})" if count > 1 else what
    msg["Date"] = format_datetime(_now())
    msg["Message-ID"] = make_msgid(domain=(mailbox(sender) or sender).rpartition("@")[2] or None)
    lines = ["Sent with taidan." if count == 1 else f"Sent with taidan: message {number} of {count}.",
             "", "Attached:"]
    lines += [f"- {p.name} ({size_text(p.stat().st_size)})" for p in files]
    msg.set_content("\n".join(lines) + "\n")
    digest = hashlib.sha256()
    for path in files:
        data = _read(path)
        digest.update(path.name.encode() + b"\0" + data)
        maintype, subtype = media_type(path).split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=path.name)
    # a boundary from the contents, not a random one; base64 and our text never contain it
    msg.set_boundary(f"=_taidan_{digest.hexdigest()[:32]}")
    return msg


def _read(path: Path, size: int = -1) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError as err:
        raise SendFailed(f"{visible(str(path))}: cannot read it: {err.strerror or err}") from None


def _now():
    """The only clock read: the Date header (and the Message-ID) of each message."""
    import datetime  # deferred: the one clock read, kept beside its reason

    return datetime.datetime.now(datetime.timezone.utc)


# ---- talking to the server ----------------------------------------------------------------

def send(files: list[Path], to: str, s: Settings, secret: str | None, say=lambda line: None) -> int:
    """Sends every file to ``to``; returns the number of messages sent. Raises SendFailed."""
    recipient = mailbox(to)
    if recipient is None:
        raise SendFailed(f"'{visible(to)}' is not an email address (one address, e.g. "
                         "name@kindle.com)")
    if secret is not None and not secret.isascii():  # smtplib's login sends ASCII only
        raise SendFailed(f"the password for {s.user} is not ASCII, which an SMTP login cannot "
                         f"carry (check {PASSWORD_VARIABLE} or [send] password_file)")
    groups = batches(files)
    server = f"{s.host}:{s.port}"
    sent = 0
    try:
        with _connect(s) as smtp:
            if s.user:
                smtp.login(s.user, secret or "")
            for number, group in enumerate(groups, 1):
                smtp.send_message(message(s.sender, to, group, number, len(groups)),
                                  from_addr=mailbox(s.sender), to_addrs=[recipient])
                sent += 1
                say(f"sent {', '.join(p.name for p in group)} to {to}"
                    + (f" (message {number} of {len(groups)})" if len(groups) > 1 else ""))
    except smtplib.SMTPAuthenticationError as err:
        raise SendFailed(f"{server} refused the login for {s.user}: {_reply(err)}") from None
    except smtplib.SMTPRecipientsRefused as err:
        code, text = next(iter(err.recipients.values()))
        raise SendFailed(f"{server} refused the recipient {to}: {_reply_of(code, text)}"
                         + _partly(sent, len(groups))) from None
    except smtplib.SMTPSenderRefused as err:
        raise SendFailed(f"{server} refused the sender {s.sender}: {_reply(err)}"
                         + _partly(sent, len(groups))) from None
    except smtplib.SMTPNotSupportedError as err:
        raise SendFailed(f"{server}: {err} (check [send] security and user in taidan.toml)") from None
    except smtplib.SMTPResponseException as err:
        raise SendFailed(f"{server} refused the message: {_reply(err)}" + _partly(sent, len(groups))) from None
    except ssl.SSLCertVerificationError as err:
        raise SendFailed(f"cannot connect to {server}: its certificate is not trusted "
                         f"({err.verify_message})") from None
    except ssl.SSLError as err:
        raise SendFailed(f"cannot connect to {server}: TLS failed ({err.reason or err}; "
                         "is [send] security right for this port?)") from None
    except smtplib.SMTPServerDisconnected as err:
        raise SendFailed(f"{server} closed the connection: {err or 'no reason given'}"
                         + _partly(sent, len(groups))) from None
    except smtplib.SMTPException as err:
        raise SendFailed(f"{server}: {err}" + _partly(sent, len(groups))) from None
    except socket.gaierror as err:
        raise SendFailed(f"cannot connect to {server}: unknown host ({err.strerror})") from None
    except (TimeoutError, socket.timeout):
        raise SendFailed(f"cannot connect to {server}: no answer in {TIMEOUT} s"
                         + _partly(sent, len(groups))) from None
    except OSError as err:
        raise SendFailed(f"cannot connect to {server}: {err.strerror or err}"
                         + _partly(sent, len(groups))) from None
    return sent


def _connect(s: Settings) -> smtplib.SMTP:
    context = ssl.create_default_context()  # honours SSL_CERT_FILE for a private server
    if s.security == "ssl":
        return smtplib.SMTP_SSL(s.host, s.port, timeout=TIMEOUT, context=context)
    smtp = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT)
    try:
        if s.security == "starttls":
            smtp.starttls(context=context)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _reply(err: smtplib.SMTPResponseException) -> str:
    return _reply_of(err.smtp_code, err.smtp_error)


def _reply_of(code: int, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(str(text).split())}"


def _partly(sent: int, total: int) -> str:
    return f" ({sent} of {total} messages were sent)" if sent else ""


def run(files: list[Path], to: str, say=lambda line: None) -> int:
    """The command: every file to ``to``, with the project's [send] settings; returns the
    number of messages sent. Raises ProblemsFound (taidan.toml at fault) or SendFailed."""
    s = settings(find())
    batches(files)  # files are checked before asking for the password or connecting
    return send(files, to, s, password(s), say=say)
