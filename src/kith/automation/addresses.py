"""The SSRF guard: webhooks go only to public internet addresses.

A URL's host is resolved and every address it resolves to must be public: loopback, private
(10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 with the cloud metadata address
169.254.169.254, fe80::/10), shared, reserved, multicast and unspecified addresses are refused,
also behind IPv4-mapped IPv6. The connection is then made to the address that was checked, so a
name that resolves differently a moment later (DNS rebinding) cannot slip through.

KITH_WEBHOOKS_ALLOW_PRIVATE lets an admin allow them: "true" allows every address, a
comma-separated list of networks ("127.0.0.0/8,10.1.0.0/16") only those.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Exception):
    """The URL may not be called; the message says why (for the delivery log and forms)."""


def _allowed_networks() -> tuple[bool, list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    raw = str(getattr(settings, "KITH_WEBHOOKS_ALLOW_PRIVATE", "") or "").strip()
    if raw.lower() in {"1", "true", "yes", "all"}:
        return True, []
    networks = []
    for part in raw.split(","):
        if part.strip():
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
    return False, networks


def address_is_public(address: Address) -> bool:
    """Whether `address` is a public unicast address (see the module docstring)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def address_allowed(address: Address) -> bool:
    """Public, or inside what KITH_WEBHOOKS_ALLOW_PRIVATE allows."""
    if address_is_public(address):
        return True
    allow_all, networks = _allowed_networks()
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return allow_all or any(address in network for network in networks)


def url_resolve(url: str) -> tuple[str, int, str]:
    """(host, port, the checked address to connect to) for an http(s) URL; AddressRefused when
    the URL is malformed, does not resolve or resolves to an address that is not allowed."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise AddressRefused(_("Use an http:// or https:// address."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise AddressRefused(_("The port is not a number.")) from error
    host = parts.hostname
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(_("The host name does not resolve.")) from error
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise AddressRefused(_("The host name does not resolve."))
    for address in addresses:
        if not address_allowed(address):
            raise AddressRefused(
                _("%(host)s resolves to %(address)s, a private or local address.")
                % {"host": host, "address": address}
            )
    return host, port, str(addresses[0])
