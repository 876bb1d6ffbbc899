"""Requests to URLs that users configure (webhooks, WebSub hubs), kept off internal networks.

A webhook URL is chosen by whoever holds an admin key; without a guard, the server would POST
wherever it points: its own loopback services, the private network, a cloud's metadata service
(169.254.169.254). So every target is checked when it is configured and again at each delivery,
after DNS resolution (a name may resolve elsewhere by then), and the request goes to the very
address that was checked (the URL's host stays in ``Host`` and in TLS's SNI and certificate
check), so that a second lookup cannot swap in another one. Redirects are never followed.

Only public (globally routable) addresses pass: loopback, private, link-local (metadata),
shared (100.64/10), multicast, reserved and unspecified ones are refused, in IPv4, IPv6 and
IPv6 that carries an IPv4 address (IPv4-mapped, NAT64, 6to4) alike.
``KHABAR_ALLOW_PRIVATE_WEBHOOKS=1`` turns the guard off for tests and intranets.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(ValueError):
    """The URL may not be requested: wrong scheme, no host, or an address that is not public."""


# Where packets to these IPv6 addresses end up is the IPv4 address inside them: NAT64's
# well-known prefix (RFC 6052) and 6to4 (RFC 3056) carry one, like IPv4-mapped addresses do.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
    return address


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` may not be reached, or None when it is a public address."""
    address = _embedded_ipv4(address)
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private address"
    # is_global alone lets through IPv6's reserved ::/8 (IPv4-compatible addresses such as
    # ::127.0.0.1, other translation prefixes) and the deprecated site-local fec0::/10.
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    if not address.is_global or address.is_reserved or site_local:
        return "a reserved or shared address"
    return None


def parse(url: str) -> httpx.URL:
    """The URL, if it is absolute http(s) with a host; else UnsafeURL."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise UnsafeURL(f"«{url}» is not a valid URL.") from exc
    if parsed.scheme not in ("http", "https"):
        raise UnsafeURL("Only http and https URLs can be used.")
    if not parsed.host:
        raise UnsafeURL("The URL has no host.")
    return parsed


def _ascii(parsed: httpx.URL) -> str:
    """The host as it goes on the wire: an IDN in its IDNA (punycode) form."""
    return parsed.raw_host.decode("ascii")


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def resolve(url: str) -> tuple[httpx.URL, list[IPAddress]]:
    """The URL and every address its host resolves to, each one checked: UnsafeURL if any is
    not public (a name with one public and one private address is refused outright)."""
    parsed = parse(url)
    host = parsed.host  # shown in messages; an IDN in Unicode
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(_ascii(parsed), parsed.port or 443, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise UnsafeURL(f"The host «{host}» does not resolve.") from exc
        addresses = []
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if address not in addresses:
                addresses.append(address)
    for address in addresses:
        why = refusal(address)
        if why is not None:
            shown = host if literal is not None else f"{host} ({address})"
            raise UnsafeURL(
                f"«{shown}» is {why}; set KHABAR_ALLOW_PRIVATE_WEBHOOKS=1 to allow such targets."
            )
    return parsed, addresses


def check(url: str, *, allow_private: bool) -> None:
    """Refuse a target when it is configured (UnsafeURL says why)."""
    if allow_private:
        parse(url)
    else:
        resolve(url)


def _pinned(url: str, allow_private: bool) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
    """Where to send the request, one way per checked address, in the resolver's order: the
    URL with its host replaced by the address, the headers to add (Host) and the TLS server
    name to keep (the URL as it is when private targets are allowed).

    httpx pools connections by scheme, address and port only: an idle TLS connection opened
    (and its certificate checked) for one name would carry the request for another name on the
    same address, unchecked. So a guarded https request closes its connection after the
    response (HTTP/1.1 only: the client must not enable HTTP/2)."""
    if allow_private:
        parse(url)
        return [(url, {}, {})]
    parsed, addresses = resolve(url)
    close = {"Connection": "close"} if parsed.scheme == "https" else {}
    if _literal(parsed.host) is not None:
        return [(url, close, {})]
    host = _ascii(parsed)
    host_header = host if parsed.port is None else f"{host}:{parsed.port}"
    extensions = {"sni_hostname": host} if parsed.scheme == "https" else {}
    return [
        (str(parsed.copy_with(host=str(address))), {"Host": host_header, **close}, extensions)
        for address in addresses
    ]


def post(
    client: httpx.Client,
    url: str,
    *,
    allow_private: bool,
    content: bytes | None = None,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST to a configured target (UnsafeURL when it is refused). Redirects are not followed:
    a 3xx is returned as it is, for the caller to count as a failure. When the name has
    several addresses, the next is tried if one cannot be connected to."""
    ways = _pinned(url, allow_private)
    for n, (target, extra, extensions) in enumerate(ways, start=1):
        try:
            return client.post(
                target,
                content=content,
                data=data,
                headers={**(headers or {}), **extra},
                extensions=extensions,
                follow_redirects=False,
            )
        except httpx.ConnectError:
            if n == len(ways):
                raise
    raise AssertionError("unreachable: _pinned gives at least one way")


async def apost(
    client: httpx.AsyncClient,
    url: str,
    *,
    allow_private: bool,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """The asynchronous ``post`` (the DNS lookup runs in a thread)."""
    ways = await asyncio.to_thread(_pinned, url, allow_private)
    for n, (target, extra, extensions) in enumerate(ways, start=1):
        try:
            return await client.post(
                target,
                content=content,
                headers={**(headers or {}), **extra},
                extensions=extensions,
                follow_redirects=False,
            )
        except httpx.ConnectError:
            if n == len(ways):
                raise
    raise AssertionError("unreachable: _pinned gives at least one way")
