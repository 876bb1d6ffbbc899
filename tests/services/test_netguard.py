"""The SSRF guard: only public addresses are reached, at the very address that was checked
(the name kept in Host and TLS), and redirects are never followed.

The receivers listen on 127.0.0.1, which the guard refuses; the tests that need a request to
get through let 127.0.0.1 alone pass (``allow_loopback``) and make test names resolve to it
(``FakeDNS``)."""

from __future__ import annotations

import asyncio
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from app.services import netguard

REAL_GETADDRINFO = socket.getaddrinfo
FORM = {"hub.mode": "publish", "hub.url": "https://news.example/v1/feeds/rss"}


@dataclass(frozen=True)
class Received:
    path: str
    host: str
    body: bytes


class Receiver:
    """An HTTP(S) server on 127.0.0.1 that records every POST and answers ``status`` (with a
    ``Location`` when one is given)."""

    def __init__(
        self, *, status: int = 204, location: str | None = None, tls: ssl.SSLContext | None = None
    ) -> None:
        self.received: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps connections open, as real servers do

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.lock:
                    receiver.received.append(Received(self.path, self.headers["host"], body))
                self.send_response(status)
                if location is not None:
                    self.send_header("location", location)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def requests(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeDNS:
    """Answers for the names in ``answers``, the real resolver for the others. Each name
    answers once: a second lookup fails, as if the name had since been rebound elsewhere, so a
    request that looked the name up again (instead of using the checked address) would fail."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []
        monkeypatch.setattr("app.services.netguard.socket.getaddrinfo", self.getaddrinfo)

    def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in self.answers:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        self.lookups.append(host)
        if self.lookups.count(host) > 1:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} looked up twice")
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in self.answers[host]
        ]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def allow_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let 127.0.0.1 (and nothing else the guard refuses) through, for requests that must
    reach a receiver with the guard on."""
    refusal = netguard.refusal

    def loopback_allowed(address: netguard.IPAddress) -> str | None:
        return None if address == ipaddress.ip_address("127.0.0.1") else refusal(address)

    monkeypatch.setattr(netguard, "refusal", loopback_allowed)


class TestCheck:
    @pytest.mark.parametrize(
        ("url", "why"),
        [
            ("http://127.0.0.1/", "loopback"),
            ("http://127.1.2.3:8080/hook", "loopback"),
            ("http://10.0.0.1/", "private"),
            ("http://172.16.5.4/", "private"),
            ("http://192.168.1.1/", "private"),
            ("http://169.254.169.254/latest/meta-data/", "link-local"),
            ("http://100.64.0.1/", "shared"),
            ("http://0.0.0.0/", "unspecified"),
            ("http://224.0.0.1/", "multicast"),
            ("http://240.0.0.1/", "private"),
            ("https://[::1]/", "loopback"),
            ("http://[fe80::1]/", "link-local"),
            ("http://[fc00::1]/", "private"),
            ("http://[ff02::1]/", "multicast"),
            ("http://[::]/", "unspecified"),
            ("http://[::ffff:127.0.0.1]/", "loopback"),
            ("http://[::ffff:10.0.0.1]/", "private"),
            ("http://[::ffff:169.254.169.254]/", "link-local"),
            # IPv4 inside IPv6 otherwise: NAT64's well-known prefix, 6to4, IPv4-compatible.
            ("http://[64:ff9b::10.0.0.1]/", "private"),
            ("http://[64:ff9b::169.254.169.254]/", "link-local"),
            ("http://[2002:7f00:1::1]/", "loopback"),
            ("http://[::127.0.0.1]/", "reserved"),
            ("http://[fec0::1]/", "reserved"),  # site-local, deprecated
            # Spelled as one number: getaddrinfo reads it as 127.0.0.1.
            ("http://2130706433/", "loopback"),
        ],
    )
    def test_a_non_public_address_is_refused(self, url: str, why: str) -> None:
        with pytest.raises(netguard.UnsafeURL, match=why) as refused:
            netguard.check(url, allow_private=False)
        assert "KHABAR_ALLOW_PRIVATE_WEBHOOKS=1" in str(refused.value)

    def test_a_name_resolving_to_loopback_is_refused(self) -> None:
        with pytest.raises(netguard.UnsafeURL, match=r"localhost \(.+\)» is a loopback"):
            netguard.check("http://localhost:8000/hook", allow_private=False)

    def test_one_private_address_among_public_ones_refuses_the_name(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        FakeDNS(
            monkeypatch,
            {"mixed.example.test": ["93.184.215.14", "10.0.0.7", "2606:2800:220:1::1"]},
        )
        with pytest.raises(netguard.UnsafeURL, match=r"mixed\.example\.test \(10\.0\.0\.7\)"):
            netguard.check("https://mixed.example.test/hook", allow_private=False)

    def test_every_address_of_a_public_name_is_kept_once(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        FakeDNS(
            monkeypatch,
            {"hooks.example.test": ["93.184.215.14", "2606:2800:220:1::1", "93.184.215.14"]},
        )
        parsed, addresses = netguard.resolve("https://hooks.example.test/hook")
        assert parsed.host == "hooks.example.test"
        assert addresses == [
            ipaddress.ip_address("93.184.215.14"),
            ipaddress.ip_address("2606:2800:220:1::1"),
        ]

    @pytest.mark.parametrize("allow_private", [False, True])
    @pytest.mark.parametrize(
        "url",
        ["ftp://93.184.215.14/", "file:///etc/passwd", "gopher://93.184.215.14/", "mailto:a@b.c"],
    )
    def test_only_http_and_https(self, url: str, allow_private: bool) -> None:
        with pytest.raises(netguard.UnsafeURL, match="Only http and https"):
            netguard.check(url, allow_private=allow_private)

    @pytest.mark.parametrize("allow_private", [False, True])
    @pytest.mark.parametrize("url", ["http://", "https:///hook", "/hook", ""])
    def test_a_url_without_a_host_is_refused(self, url: str, allow_private: bool) -> None:
        with pytest.raises(netguard.UnsafeURL):
            netguard.check(url, allow_private=allow_private)

    def test_an_unresolvable_host_is_refused(self) -> None:
        with pytest.raises(netguard.UnsafeURL, match="does not resolve"):
            netguard.check("https://nonexistent.invalid/hook", allow_private=False)

    @pytest.mark.parametrize(
        "url",
        [
            "http://93.184.215.14/hook",
            "https://93.184.215.14:8443/hook?x=1",
            "https://[2606:2800:220:1::1]/hook",
            "http://[::ffff:93.184.215.14]/",
            "http://[64:ff9b::93.184.215.14]/",  # NAT64 to a public address (DNS64 networks)
        ],
    )
    def test_a_public_address_passes(self, url: str) -> None:
        netguard.check(url, allow_private=False)

    @pytest.mark.parametrize(
        "url", ["http://127.0.0.1:8000/", "http://localhost/", "http://[::1]/", "http://10.0.0.1/"]
    )
    def test_allow_private_lets_internal_targets_through(self, url: str) -> None:
        netguard.check(url, allow_private=True)


class TestPost:
    def test_a_refused_target_receives_nothing(self, receiver: Receiver) -> None:
        with httpx.Client() as client, pytest.raises(netguard.UnsafeURL, match="loopback"):
            netguard.post(client, receiver.url, allow_private=False, data=FORM)
        assert receiver.requests() == []

    def test_delivered_when_private_targets_are_allowed(self, receiver: Receiver) -> None:
        with httpx.Client() as client:
            response = netguard.post(client, receiver.url, allow_private=True, data=FORM)
        assert response.status_code == 204
        [received] = receiver.requests()
        assert received.host == f"127.0.0.1:{receiver.port}"
        assert parse_qs(received.body.decode()) == {k: [v] for k, v in FORM.items()}

    @pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
    def test_a_redirect_is_returned_not_followed(self, receiver: Receiver, status: int) -> None:
        redirecting = Receiver(status=status, location=receiver.url)
        try:
            # Even a client that follows redirects does not follow them here.
            with httpx.Client(follow_redirects=True) as client:
                response = netguard.post(client, redirecting.url, allow_private=True, data=FORM)
            assert response.status_code == status
            assert response.headers["location"] == receiver.url
            assert len(redirecting.requests()) == 1
            assert receiver.requests() == []
        finally:
            redirecting.close()

    @pytest.mark.usefixtures("allow_loopback")
    def test_the_request_goes_to_the_checked_address(
        self, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        dns = FakeDNS(monkeypatch, {"hooks.example.test": ["127.0.0.1"]})
        url = f"http://hooks.example.test:{receiver.port}/hook?site=khabar"
        with httpx.Client() as client:
            response = netguard.post(client, url, allow_private=False, content=b"payload")
        assert response.status_code == 204
        # One lookup, by the guard: the connection went to the address it checked.
        assert dns.lookups == ["hooks.example.test"]
        assert receiver.requests() == [
            Received("/hook?site=khabar", f"hooks.example.test:{receiver.port}", b"payload")
        ]

    def test_an_address_that_refuses_the_connection_falls_back_to_the_next(
        self, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        refusal = netguard.refusal
        allowed = {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("127.0.0.2")}
        monkeypatch.setattr(netguard, "refusal", lambda a: None if a in allowed else refusal(a))
        # Nothing listens on 127.0.0.2 (the receiver is bound to 127.0.0.1).
        FakeDNS(monkeypatch, {"hooks.example.test": ["127.0.0.2", "127.0.0.1"]})
        url = f"http://hooks.example.test:{receiver.port}/hook"
        with httpx.Client() as client:
            response = netguard.post(client, url, allow_private=False, content=b"payload")
        assert response.status_code == 204
        assert [r.host for r in receiver.requests()] == [f"hooks.example.test:{receiver.port}"]

    @pytest.mark.usefixtures("allow_loopback")
    def test_an_internationalised_name_goes_out_in_punycode(
        self, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        dns = FakeDNS(monkeypatch, {"xn--igbicxr.example": ["127.0.0.1"]})
        with httpx.Client() as client:
            response = netguard.post(
                client, f"http://أخبار.example:{receiver.port}/", allow_private=False, data=FORM
            )
        assert response.status_code == 204
        assert dns.lookups == ["xn--igbicxr.example"]
        assert [r.host for r in receiver.requests()] == [f"xn--igbicxr.example:{receiver.port}"]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for hooks.example.test: (certificate, key)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            *["req", "-x509", "-nodes", "-days", "2", "-newkey", "ec"],
            *["-pkeyopt", "ec_paramgen_curve:prime256v1"],
            *["-subj", "/CN=hooks.example.test"],
            *["-addext", "subjectAltName=DNS:hooks.example.test"],
            *["-keyout", str(key), "-out", str(cert)],
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_receiver(certificate: tuple[Path, Path]) -> Iterator[Receiver]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server = Receiver(tls=context)
    yield server
    server.close()


@pytest.fixture
def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


class TestPostOverTLS:
    """The pinned request still checks the certificate against the URL's name."""

    @pytest.mark.usefixtures("allow_loopback")
    def test_the_name_is_sent_and_checked(
        self, tls_receiver: Receiver, trusting: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        FakeDNS(monkeypatch, {"hooks.example.test": ["127.0.0.1"]})
        url = f"https://hooks.example.test:{tls_receiver.port}/hook"
        with httpx.Client(verify=trusting) as client:
            response = netguard.post(client, url, allow_private=False, data=FORM)
        assert response.status_code == 204
        [received] = tls_receiver.requests()
        assert received.host == f"hooks.example.test:{tls_receiver.port}"

    @pytest.mark.usefixtures("allow_loopback")
    def test_a_connection_is_not_reused_for_another_name(
        self, tls_receiver: Receiver, trusting: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Both names resolve to the receiver; its certificate is only good for the first.
        FakeDNS(
            monkeypatch,
            {"hooks.example.test": ["127.0.0.1"], "other.example.test": ["127.0.0.1"]},
        )
        with httpx.Client(verify=trusting) as client:
            first = f"https://hooks.example.test:{tls_receiver.port}/"
            assert netguard.post(client, first, allow_private=False).status_code == 204
            other = f"https://other.example.test:{tls_receiver.port}/"
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                netguard.post(client, other, allow_private=False)
        assert len(tls_receiver.requests()) == 1


class TestAsyncPost:
    def test_a_refused_target_receives_nothing(self, receiver: Receiver) -> None:
        async def attempt() -> None:
            async with httpx.AsyncClient() as client:
                await netguard.apost(client, receiver.url, allow_private=False, content=b"x")

        with pytest.raises(netguard.UnsafeURL, match="loopback"):
            asyncio.run(attempt())
        assert receiver.requests() == []

    def test_delivered_when_private_targets_are_allowed(self, receiver: Receiver) -> None:
        async def attempt() -> httpx.Response:
            async with httpx.AsyncClient() as client:
                return await netguard.apost(client, receiver.url, allow_private=True, content=b"x")

        assert asyncio.run(attempt()).status_code == 204
        assert receiver.requests() == [Received("/", f"127.0.0.1:{receiver.port}", b"x")]

    @pytest.mark.usefixtures("allow_loopback")
    def test_the_request_goes_to_the_checked_address(
        self, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        dns = FakeDNS(monkeypatch, {"hooks.example.test": ["127.0.0.1"]})
        url = f"http://hooks.example.test:{receiver.port}/hook"

        async def attempt() -> httpx.Response:
            async with httpx.AsyncClient() as client:
                return await netguard.apost(client, url, allow_private=False, content=b"x")

        assert asyncio.run(attempt()).status_code == 204
        assert dns.lookups == ["hooks.example.test"]
        assert receiver.requests() == [
            Received("/hook", f"hooks.example.test:{receiver.port}", b"x")
        ]

    def test_a_redirect_is_returned_not_followed(self, receiver: Receiver) -> None:
        redirecting = Receiver(status=302, location=receiver.url)

        async def attempt() -> httpx.Response:
            async with httpx.AsyncClient(follow_redirects=True) as client:
                return await netguard.apost(client, redirecting.url, allow_private=True)

        try:
            assert asyncio.run(attempt()).status_code == 302
            assert receiver.requests() == []
        finally:
            redirecting.close()
