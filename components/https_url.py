"""Issuer and audience URLs exactly as a token names them: https://HOST[:PORT][/PATH], one meaning to every parser.

A URL in an agent file becomes a token's `iss` or `aud` (compared as exact strings) and the address the broker
sends a credential to. A string that some parser reads as another host, port or path than a reviewer (or the
exact comparison) does is refused (red6, red7a item 13), with the rule it breaks:

* scheme `https`, no whitespace, no wildcard, no userinfo (`https://aud.example@evil.example` is evil.example's),
  no query or fragment (OpenID Connect Discovery 1.0 §3, RFC 8414 §2: an issuer has none; an audience with one is
  not the resource server's URL), no backslash anywhere (the WHATWG URL standard reads `\\` as `/` in https URLs,
  RFC 3986 does not: two hosts for one string);
* host (RFC 3986 §3.2.2): ASCII only (RFC 3986 §2; an internationalised name is written as its A-labels,
  `xn--...`, RFC 5890 §2.3.2.1 / RFC 5891 §4.4, and the A-label must decode as IDNA 2008 says (`idna` package));
  a U-label that mixes scripts or whose every letter has a Latin look-alike (Unicode TS #39 §5.1 "mixed-script",
  §4 "whole-script confusable", data from `confusable_homoglyphs`) is a homograph and refused even as an A-label;
  lower-case LDH labels (RFC 1123 §2.1), so no `%`, `;`, `_` or other character a resolver or URL parser decodes
  or splits on; no trailing dot; a name whose last label is a number is only accepted as a dotted-decimal IPv4
  address (the WHATWG host parser reads `2852039166` or `0xA9.0xFE.0xA9.0xFE` as 169.254.169.254);
* no address a credential must never go to: link-local (169.254/16, fe80::/10: the cloud instance-metadata
  services), unspecified (0.0.0.0, ::), loopback (127/8, ::1, `localhost` and `*.localhost`, RFC 6761 §6.3),
  multicast, broadcast, IPv4 embedded in IPv6 (::ffff:a.b.c.d, 64:ff9b::/96) of those, and the metadata endpoints
  named in data/metadata_endpoints.yaml (fd00:ec2::254, metadata.google.internal, ...);
* port: ASCII digits, 1 to 65535 (RFC 3986 §3.2.3; 0 is no port a server listens on), and not the default 443
  (RFC 3986 §6.2.3: `https://h:443` is `https://h`, written another way, so an exact `aud`/`iss` match and the
  kit's own comparisons would see two URLs);
* path (RFC 3986 §3.3): pchar only, no `.` or `..` segment (RFC 3986 §5.2.4 removes them: `/api/../admin` is
  `/admin`), and no percent-encoded `.`, `/` or `\\` (`%2e%2e`, `%2f`: decoded by some servers, not others).

`problem(url)` returns the first rule broken (one line) or None; `spec.HttpsUrl` raises it as a validation error.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import urllib.parse
from pathlib import Path

from agentid_components import data_yaml

DATA_FILE = Path(__file__).parent / "data" / "metadata_endpoints.yaml"
DEFAULT_PORT = 443

_LDH_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_NUMERIC_LABEL = re.compile(r"(?:0[xX][0-9A-Fa-f]*|[0-9]+)")  # WHATWG "ends in a number"
_PORT = re.compile(r"[0-9]{1,5}")
_PCHARS = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")
_ENCODED_SEPARATOR = re.compile(r"%(2[eEfF]|5[cC])")
_MAX_HOST = 253  # RFC 1035 §2.3.4 (255 octets on the wire)
# Unicode TS #39 §5.2 "Highly Restrictive": one script, or Latin with the scripts CJK writing mixes
_ALLOWED_MIXES = ({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}, {"LATIN", "HAN", "BOPOMOFO"}, {"LATIN", "HAN", "HANGUL"})


@functools.cache
def _metadata_endpoints() -> tuple[frozenset[str], tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]]:
    """(host names, networks) of cloud metadata services, from data/metadata_endpoints.yaml."""
    data = data_yaml.load(DATA_FILE)
    names = frozenset(entry["host"] for entry in data["names"])
    networks = tuple(ipaddress.ip_network(entry["address"]) for entry in data["addresses"])
    return names, networks


def problem(url: str) -> str | None:
    """The first rule `url` breaks, as one line to show after the URL, or None when it is a plain https URL."""
    if not url.startswith("https://") or len(url) <= len("https://") or any(c.isspace() for c in url):
        return "is not an https URL: issuers and audiences must be https://HOST[/PATH]"
    if "*" in url:
        return "holds a wildcard: name one exact URL"
    if "\\" in url:
        return ("holds a backslash: URL parsers disagree on it (WHATWG reads it as '/', RFC 3986 does not), so "
                "one string would name two hosts or paths; write https://HOST[/PATH] with '/' only")
    if not url.isascii():
        return _non_ascii(url)
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # an unclosed '[' (Python's own IPv6 check)
        return "has a bracketed host that is not an IPv6 address (RFC 3986 §3.2.2)"
    if "@" in parts.netloc:
        return "holds userinfo ('...@'): its host is what follows the '@'; write https://HOST[/PATH]"
    if parts.query or parts.fragment or "?" in url or "#" in url:
        return "has a query or fragment: issuers and audiences are https://HOST[/PATH]"
    host, port = _split_authority(parts.netloc)
    return _port_problem(port) or _host_problem(host) or _path_problem(parts.path)


def _non_ascii(url: str) -> str:
    netloc = urllib.parse.urlsplit(url).netloc
    host = netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc
    if host.isascii():
        return ("holds a character outside ASCII in its path or port: a URI is ASCII (RFC 3986 §2); "
                "percent-encode the path as the server names it")
    import idna  # RFC 5891: U-labels to A-labels

    try:
        ascii_host = idna.encode(host).decode()
    except (idna.IDNAError, UnicodeError, ValueError):
        return "has a host outside ASCII that is no valid internationalised name (RFC 5891): write the host in ASCII"
    labels = ascii_host.split(".")
    homograph = next(filter(None, (_a_label_problem(label, not labels[-1].startswith("xn--")) for label in labels
                                   if label.startswith("xn--"))), None)
    if homograph:
        return f"has a host outside ASCII whose {homograph.removeprefix('has ')}"
    return (f"has a host outside ASCII: write its A-labels (RFC 5891), https://{ascii_host}..., after checking it "
            "is the name you mean")


def _split_authority(netloc: str) -> tuple[str, str | None]:
    """(host, port text or None); an IPv6 literal keeps its brackets."""
    if netloc.startswith("["):
        end = netloc.find("]")
        if end == -1:
            return netloc, None
        rest = netloc[end + 1:]
        return netloc[:end + 1], rest[1:] if rest.startswith(":") else (rest or None)
    host, colon, port = netloc.partition(":")
    return host, port if colon else None


def _port_problem(port: str | None) -> str | None:
    if port is None:
        return None
    if not _PORT.fullmatch(port) or not 1 <= int(port) <= 65535:
        return f"has port '{port}': a port is a number from 1 to 65535 written in ASCII digits (RFC 3986 §3.2.3)"
    if int(port) == DEFAULT_PORT:
        return ("names the default port 443: https://HOST:443 is https://HOST (RFC 3986 §6.2.3), and tokens and "
                "exact comparisons see two URLs; leave ':443' out")
    return None


def _host_problem(host: str) -> str | None:
    if "%" in host:
        return ("has a '%' in its host: percent-encoding (or an IPv6 zone id) in a host is decoded by some parsers "
                "and not others (RFC 3986 §3.2.2); write the host in plain ASCII")
    if host.startswith("["):
        try:
            address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return "has a bracketed host that is not an IPv6 address (RFC 3986 §3.2.2; no zone ids)"
        return _address_problem(address)
    if not host or host.endswith("."):
        return "needs a host without a trailing dot: write the name as tokens do, https://HOST[/PATH]"
    if host != host.lower():
        return "has upper case in its host: write the host in lower case, as tokens name it"
    labels = host.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        try:
            address = ipaddress.IPv4Address(host)
        except ValueError:
            return ("has a host ending in a number that is not a dotted-decimal IPv4 address: URL parsers read "
                    "forms like 2852039166, 0xa9.0xfe.0xa9.0xfe or 0251.0376.0251.0376 as an address; write a DNS "
                    "name or a.b.c.d")
        return _address_problem(address)
    if len(host) > _MAX_HOST or not all(_LDH_LABEL.fullmatch(label) for label in labels):
        return ("has a host that is not a DNS name: labels of a-z, 0-9 and '-' (RFC 1123), no '%', '_', ';' or "
                "other characters a resolver or URL parser would decode or split on")
    for label in labels:
        if label.startswith("xn--"):
            found = _a_label_problem(label, latin_context=not labels[-1].startswith("xn--"))
            if found:
                return found
    names, _ = _metadata_endpoints()
    if host in names or host == "localhost" or host.endswith(".localhost"):
        return (f"names '{host}', a loopback or cloud instance-metadata host: a credential must never be sent "
                "there (RFC 6761 §6.3; metadata_endpoints.yaml)")
    return None


def _a_label_problem(label: str, latin_context: bool = True) -> str | None:
    """RFC 5891 §5.4: an A-label must decode to a valid U-label; and the U-label must not be a homograph: mixed
    scripts, or (under an ASCII top-level domain, `latin_context`, as browsers judge it) a whole-script look-alike
    of a Latin name."""
    import idna
    from confusable_homoglyphs import categories, confusables

    try:
        unicode = idna.decode(label)
    except (idna.IDNAError, UnicodeError):
        return f"has label '{label}', which is not a valid IDNA A-label (RFC 5891 §5.4)"
    scripts = {categories.alias(char) for char in unicode} - {"COMMON", "INHERITED"}
    if len(scripts) > 1 and not any(scripts <= mix for mix in _ALLOWED_MIXES):
        return (f"has label '{label}' ('{unicode}'), which mixes the scripts {', '.join(sorted(scripts))}: a "
                "homograph of another name (Unicode TS #39 §5.1); write the name you mean")
    letters = {char for char in unicode if categories.alias(char) not in ("COMMON", "INHERITED")}
    look_alikes = {entry["character"] for entry in confusables.is_confusable(
        unicode, greedy=True, preferred_aliases=["latin"]) or []}
    if latin_context and scripts and scripts != {"LATIN"} and letters and letters <= look_alikes:
        return (f"has label '{label}' ('{unicode}'), whose every letter looks like a Latin one: a homograph of "
                "a Latin name (Unicode TS #39 §4, whole-script confusable); write the name you mean")
    return None


def _address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    embedded = _embedded_ipv4(address)
    for candidate in filter(None, (address, embedded)):
        _, networks = _metadata_endpoints()
        why = ("link-local (instance metadata lives there)" if candidate.is_link_local else
               "unspecified (0.0.0.0 / :: reach this host)" if candidate.is_unspecified else
               "loopback" if candidate.is_loopback else
               "multicast" if candidate.is_multicast else
               "broadcast" if candidate == ipaddress.IPv4Address("255.255.255.255") else
               "a cloud instance-metadata address (metadata_endpoints.yaml)"
               if any(candidate in network for network in networks if network.version == candidate.version) else None)
        if why:
            return f"names address {candidate}, which is {why}: a credential must never be sent there"
    return None


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 §2.1 well-known prefix


def _embedded_ipv4(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (IPv4-mapped RFC 4291 §2.5.5.2, 6to4, NAT64), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _path_problem(path: str) -> str | None:
    if not _PCHARS.fullmatch(path):
        return ("has a character in its path that a URI does not allow unencoded (RFC 3986 §3.3) or a '%' not "
                "followed by two hex digits")
    if _ENCODED_SEPARATOR.search(path):
        return ("has a percent-encoded '.', '/' or '\\' in its path (%2e, %2f, %5c): some servers decode it into "
                "another path, others do not; write the path plainly")
    if any(segment in (".", "..") for segment in path.split("/")):
        return ("has a '.' or '..' path segment: RFC 3986 §5.2.4 removes it, so the URL names another path than "
                "written; write the path it resolves to")
    return None
