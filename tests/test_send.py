"""``taidan send`` against real SMTP servers (aiosmtpd) on 127.0.0.1: what arrives, byte for byte.

Each test runs the real command in a process of its own, in a project folder whose
taidan.toml points [send] at the server. The last received message's headers are saved
in send-received-headers.txt in the artefacts folder, for people to look at.
"""

from __future__ import annotations

import email
import email.policy
import os
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import INTERVIEW

aiosmtpd = pytest.importorskip("aiosmtpd")
# login over a plain connection is what the tests of "security = none" need
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

from taidan.publish import send  # noqa: E402

USER, PASSWORD = "editor@example.org", "correct horse battery staple"
KINDLE = "reader@kindle.example"
REFUSED = "nobody@kindle.example"


class Inbox:
    """An aiosmtpd handler that keeps what it receives and refuses one recipient."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, data):
        if isinstance(data, LoginPassword):
            self.logins.append((data.login, data.password))
            if data.login == USER.encode() and data.password == PASSWORD.encode():
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server():
    """server(**aiosmtpd options) -> (inbox, port); stopped after the test."""
    running = []

    def start(**options):
        inbox = Inbox()
        if options.pop("login", False):
            options.update(auth_required=True, authenticator=inbox.authenticate)
            options.setdefault("auth_require_tls", False)
        port = _free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port,
                                data_size_limit=60_000_000, **options)
        controller.start()
        running.append(controller)
        return inbox, port

    yield start
    for controller in running:
        controller.stop()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return folder / "cert.pem", context


def project(tmp_path: Path, port: int, security: str = "none", user: str = "",
            password_file: str = "") -> Path:
    lines = ["[send]", 'host = "127.0.0.1"', f"port = {port}", f'security = "{security}"',
             f'from = "{USER}"']
    if user:
        lines.append(f'user = "{user}"')
    if password_file:
        lines.append(f'password_file = "{password_file}"')
    (tmp_path / "taidan.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def run(folder: Path, *args, password: str | None = None, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != send.PASSWORD_VARIABLE}
    if password is not None:
        environment[send.PASSWORD_VARIABLE] = password
    environment.update(env)
    return subprocess.run([sys.executable, "-m", "taidan", "send", *map(str, args)], cwd=folder,
                          env=environment, capture_output=True, text=True, timeout=120)


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def attachments(raw: bytes) -> dict[str, tuple[str, bytes]]:
    return {part.get_filename(): (part.get_content_type(), part.get_content())
            for part in parsed(raw).iter_attachments()}


@pytest.fixture(scope="session")
def books(build_once):
    """A real EPUB and a real PDF of the interview."""
    epub = build_once("epub")[INTERVIEW.stem + ".epub"]
    pdf = build_once("handout")[INTERVIEW.stem + "-handout.pdf"]
    return [epub, pdf]


def test_books_arrive_byte_for_byte_after_a_login(server, tmp_path, books, artefacts):
    inbox, port = server(login=True)
    result = run(project(tmp_path, port, user=USER), *books, "--to", KINDLE, password=PASSWORD)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"sent {books[0].name}, {books[1].name} to {KINDLE}\n"
    assert PASSWORD not in result.stdout + result.stderr
    assert inbox.logins == [(USER.encode(), PASSWORD.encode())]
    [(sender, recipients, raw)] = inbox.messages
    assert (sender, recipients) == (USER, [KINDLE])
    got = attachments(raw)
    assert got == {books[0].name: ("application/epub+zip", books[0].read_bytes()),
                   books[1].name: ("application/pdf", books[1].read_bytes())}
    msg = parsed(raw)
    assert msg["From"] == USER and msg["To"] == KINDLE and msg["Subject"] == "2 books"
    body = msg.get_body(("plain",)).get_content()
    assert body.startswith("Sent with taidan.") and f"- {books[0].name} (" in body
    assert PASSWORD.encode() not in raw
    # what arrived, for people to look at (the files' base64 left out)
    shown = [f"{k}: {v}" for k, v in msg.items()]
    for part in msg.iter_parts():
        shown += ["", *(f"  {k}: {v}" for k, v in part.items())]
    (artefacts / "send-received-headers.txt").write_text("\n".join(shown) + "\n", encoding="utf-8")


def test_the_password_file_and_two_sends_give_the_same_bytes_but_date_and_id(server, tmp_path, books):
    inbox, port = server(login=True)
    (tmp_path / "secret").write_text(PASSWORD + "\n", encoding="utf-8")
    folder = project(tmp_path, port, user=USER, password_file="secret")
    for _ in range(2):
        assert run(folder, books[0], "--to", KINDLE).returncode == 0
    first, second = (parsed(raw) for _, _, raw in inbox.messages)
    assert first["Date"] and first["Message-ID"] != second["Message-ID"]
    for msg in (first, second):
        del msg["Date"]
        del msg["Message-ID"]
    assert first.as_bytes() == second.as_bytes()
    assert first["Subject"] == books[0].name


def test_a_wrong_password_is_one_line_and_status_2(server, tmp_path, books):
    inbox, port = server(login=True)
    result = run(project(tmp_path, port, user=USER), books[0], "--to", KINDLE, password="wrong")
    assert result.returncode == 2
    assert result.stderr == (f"taidan: 127.0.0.1:{port} refused the login for {USER}: "
                             "535 5.7.8 Authentication credentials invalid\n")
    assert "wrong" not in result.stderr and inbox.messages == []


def test_no_password_anywhere(server, tmp_path, books):
    _, port = server(login=True)
    result = run(project(tmp_path, port, user=USER), books[0], "--to", KINDLE)
    assert result.returncode == 2
    assert result.stderr.startswith(f"taidan: no password for {USER}: set TAIDAN_SMTP_PASSWORD")


def test_starttls_with_a_certificate_the_client_trusts(server, tmp_path, books, certificate):
    cert, context = certificate
    inbox, port = server(login=True, tls_context=context, require_starttls=True,
                         auth_require_tls=True)
    folder = project(tmp_path, port, security="starttls", user=USER)
    untrusted = run(folder, books[0], "--to", KINDLE, password=PASSWORD)
    assert untrusted.returncode == 2 and inbox.messages == []
    assert untrusted.stderr.startswith(f"taidan: cannot connect to 127.0.0.1:{port}: its "
                                       "certificate is not trusted (")
    trusted = run(folder, books[0], "--to", KINDLE, password=PASSWORD, SSL_CERT_FILE=str(cert))
    assert trusted.returncode == 0, trusted.stderr
    [(_, _, raw)] = inbox.messages
    assert attachments(raw) == {books[0].name: ("application/epub+zip", books[0].read_bytes())}


def test_ssl_from_the_first_byte(server, tmp_path, books, certificate):
    cert, context = certificate
    inbox, port = server(ssl_context=context)
    folder = project(tmp_path, port, security="ssl")
    result = run(folder, books[1], "--to", KINDLE, SSL_CERT_FILE=str(cert))
    assert result.returncode == 0, result.stderr
    [(_, _, raw)] = inbox.messages
    assert attachments(raw) == {books[1].name: ("application/pdf", books[1].read_bytes())}


def test_a_refused_recipient(server, tmp_path, books):
    inbox, port = server()
    result = run(project(tmp_path, port), books[0], "--to", REFUSED)
    assert result.returncode == 2 and inbox.messages == []
    assert result.stderr == (f"taidan: 127.0.0.1:{port} refused the recipient {REFUSED}: "
                             "550 5.1.1 no such mailbox here\n")


def test_no_server_listening(tmp_path, books):
    port = _free_port()
    result = run(project(tmp_path, port), books[0], "--to", KINDLE)
    assert result.returncode == 2
    assert result.stderr == f"taidan: cannot connect to 127.0.0.1:{port}: Connection refused\n"


def test_26_files_go_in_two_messages_kepub_included(server, tmp_path):
    inbox, port = server()
    folder = project(tmp_path, port)
    files = []
    for n in range(26):
        path = folder / f"book-{n:02}.kepub.epub"
        path.write_bytes(f"book {n}\n".encode() * (n + 1))
        files.append(path)
    result = run(folder, *files, "--to", KINDLE)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2
    assert result.stdout.splitlines()[1] == f"sent book-25.kepub.epub to {KINDLE} (message 2 of 2)"
    assert len(inbox.messages) == 2
    first, second = (attachments(raw) for _, _, raw in inbox.messages)
    assert list(first) == [p.name for p in files[:25]] and list(second) == [files[25].name]
    for path in files:
        kind, data = (first | second)[path.name]
        assert kind == "application/epub+zip" and data == path.read_bytes()
    subjects = [parsed(raw)["Subject"] for _, _, raw in inbox.messages]
    assert subjects == ["25 books (1 of 2)", "book-25.kepub.epub (2 of 2)"]


def test_the_50_mb_limit_counts_encoded_bytes(tmp_path):
    """Sparse files: their sizes are real, and nothing is sent."""
    def sized(name, size):
        path = tmp_path / name
        with open(path, "wb") as handle:
            handle.truncate(size)
        return path

    # 15 MB is 20.5 MB in base64 lines: two fit in a message, three do not
    files = [sized(f"part-{n}.pdf", 15_000_000) for n in range(5)]
    assert [[p.name for p in group] for group in send.batches(files)] == [
        ["part-0.pdf", "part-1.pdf"], ["part-2.pdf", "part-3.pdf"], ["part-4.pdf"]]
    # 36 MB fits by itself once encoded (49.3 MB); 37 MB does not (50.6 MB)
    assert len(send.batches([sized("fits.pdf", 36_000_000)])) == 1
    with pytest.raises(send.SendFailed, match=r"too large to send \(37.0 MB, 50.6 MB encoded"):
        send.batches([sized("big.pdf", 37_000_000)])


def test_file_problems_are_found_before_connecting(tmp_path):
    folder = project(tmp_path, _free_port())  # nothing listens there
    (folder / "big.epub").write_bytes(b"")
    os.truncate(folder / "big.epub", 40_000_000)
    (folder / "notes.txt").write_text("x", encoding="utf-8")
    for args, line in [
        (["missing.epub"], "taidan: missing.epub: no such file\n"),
        (["big.epub"], "taidan: big.epub: too large to send (40.0 MB, 54.7 MB encoded; "
                       "a message may carry 50.0 MB)\n"),
        (["notes.txt"], "taidan: notes.txt: not an EPUB or PDF file (taidan sends .epub, "
                        ".kepub.epub and .pdf)\n"),
    ]:
        result = run(folder, *args, "--to", KINDLE)
        assert (result.returncode, result.stderr) == (2, line)


def test_missing_settings_name_taidan_toml(tmp_path):
    (tmp_path / "taidan.toml").write_text('[build]\npaper = "A5"\n\n[send]\nport = 587\n',
                                          encoding="utf-8")
    (tmp_path / "a.epub").write_bytes(b"x")
    result = run(tmp_path, "a.epub", "--to", KINDLE)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        'taidan.toml:4: [send] has no host (e.g. host = "smtp.example.com")',
        'taidan.toml:4: [send] has no from (e.g. from = "you@example.com", a sender the '
        'Kindle account approves)']


def test_the_password_never_reaches_the_command_line():
    result = subprocess.run([sys.executable, "-m", "taidan", "send", "--help"],
                            capture_output=True, text=True)
    assert "--to" in result.stdout and "--password" not in result.stdout


def test_without_taidan_toml(tmp_path):
    (tmp_path / "a.epub").write_bytes(b"x")
    result = run(tmp_path, "a.epub", "--to", KINDLE)
    assert (result.returncode, result.stderr) == (2, (
        "taidan: no taidan.toml in this folder or above it: taidan send takes the mail server "
        "from its [send] table (host, from ...; see the README)\n"))


def test_line_breaks_in_a_file_name_or_in_from_are_refused(server, tmp_path, books):
    inbox, port = server()
    folder = project(tmp_path, port)
    injected = folder / "book\r\nBcc: thief@example.com.epub"
    injected.write_bytes(books[0].read_bytes())
    result = run(folder, injected.name, "--to", KINDLE)
    assert (result.returncode, result.stderr) == (2, (
        "taidan: book\\r\\nBcc: thief@example.com.epub: a file name with a line break or other "
        "control character cannot go in an email (rename the file)\n"))
    (folder / "taidan.toml").write_text(f'[send]\nhost = "127.0.0.1"\nport = {port}\n'
                                        'from = "me@example.com\\r\\nBcc: thief@example.com"\n',
                                        encoding="utf-8")
    result = run(folder, books[0], "--to", KINDLE)
    assert (result.returncode, result.stderr) == (2, (
        "taidan.toml:1: [send] from 'me@example.com\\r\\nBcc: thief@example.com' is not one "
        'email address (e.g. from = "you@example.com")\n'))
    assert inbox.messages == []


def test_a_user_or_password_that_is_not_ascii_is_one_line(server, tmp_path, books):
    inbox, port = server(login=True)
    result = run(project(tmp_path, port, user=USER), books[0], "--to", KINDLE, password="pässwörd")
    assert (result.returncode, result.stderr) == (2, (
        f"taidan: the password for {USER} is not ASCII, which an SMTP login cannot carry "
        "(check TAIDAN_SMTP_PASSWORD or [send] password_file)\n"))
    result = run(project(tmp_path, port, user="редактор@example.org"), books[0], "--to", KINDLE,
                 password=PASSWORD)
    assert (result.returncode, result.stderr) == (2, (
        "taidan.toml:1: [send] user 'редактор@example.org' is not ASCII, which an SMTP login "
        "cannot carry (the server's login name, e.g. you@example.com)\n"))
    assert inbox.logins == [] and inbox.messages == []


def test_an_unreadable_file_is_called_unreadable(server, tmp_path):
    inbox, port = server()
    folder = project(tmp_path, port)
    (folder / "book.epub").symlink_to("/proc/self/mem")  # a regular file no read succeeds on
    result = run(folder, "book.epub", "--to", KINDLE)
    assert (result.returncode, result.stderr) == (
        2, "taidan: book.epub: cannot read it: Input/output error\n")
    if os.geteuid() != 0:  # root reads any file whatever its mode
        (folder / "locked.pdf").write_bytes(b"%PDF-1.7")
        (folder / "locked.pdf").chmod(0)
        result = run(folder, "locked.pdf", "--to", KINDLE)
        assert (result.returncode, result.stderr) == (
            2, "taidan: locked.pdf: cannot read it: Permission denied\n")
    assert inbox.messages == []


def test_one_recipient_as_the_standard_librarys_parser_reads_it(server, tmp_path, books):
    inbox, port = server()
    folder = project(tmp_path, port)
    for to in ("a@x.example,b@y.example", "a@x.example>", "a@x.example\nBcc: thief@example.com",
               "a@", "@x.example", "a b@x.example", "Group: a@x.example;"):
        result = run(folder, books[0], "--to", to)
        shown = to.replace("\n", "\\n")
        assert (result.returncode, result.stderr) == (2, (
            f"taidan: '{shown}' is not an email address (one address, e.g. name@kindle.com)\n")), to
    assert inbox.messages == []
    result = run(folder, books[0], "--to", f"My Kindle <{KINDLE}>")
    assert result.returncode == 0, result.stderr
    [(_, recipients, raw)] = inbox.messages
    assert recipients == [KINDLE] and parsed(raw)["To"] == f"My Kindle <{KINDLE}>"
