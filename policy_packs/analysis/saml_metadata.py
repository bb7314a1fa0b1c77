"""What an IdP's SAML 2.0 metadata document says about who may sign the assertions a service provider accepts.

An IAM SAML provider (`aws.iam.SamlProvider.samlMetadataDocument`) or a Cognito SAML identity provider
(`providerDetails.MetadataFile`) is built from the IdP's metadata. AWS then accepts any assertion whose Issuer is
the metadata's entityID and whose signature verifies with one of its signing certificates
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_saml.html). The entityID is an
identifier (OASIS saml-metadata-2.0-os 2.3.2: an anyURI of at most 1024 characters: `http://www.okta.com/exk...`,
`urn:acme.auth0.com` and `https://sts.windows.net/TENANT/` alike), never a URL anyone fetches; the signing
certificates are the trust itself: whoever holds a private key matching one of them signs in as anyone.

Read without an XML parser (no entity expansion, no DTD), from the first 256 KiB: IAM takes metadata documents up to
10,000,000 characters, but the root element, the IdP descriptor and its keys come first. Shapes:
    read(text) -> Metadata(entity_id: str | None, signing: tuple[Certificate, ...])
    Certificate(sha256: str (64 lower-case hex of the DER), key: str ("RSA 2048", "EC secp256r1"), problem: str)
A KeyDescriptor without `use` serves both signing and encryption (saml-metadata 2.4.1.1), so it counts as signing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

SCANNED = 256 * 1024
MAX_CERTIFICATES = 20
_ENTITY_ID = re.compile(r"<(?:[\w.-]+:)?EntityDescriptor\b[^>]{0,2048}?\bentityID\s*=\s*(['\"])([^'\"<>]{1,1024})\1",
                        re.DOTALL)
_IDP = re.compile(r"<(?:[\w.-]+:)?IDPSSODescriptor\b.*?</(?:[\w.-]+:)?IDPSSODescriptor\s*>", re.DOTALL)
_KEY = re.compile(r"<(?:[\w.-]+:)?KeyDescriptor\b([^>]{0,512})>(.*?)</(?:[\w.-]+:)?KeyDescriptor\s*>", re.DOTALL)
_USE = re.compile(r"\buse\s*=\s*(['\"])(\w+)\1")
_CERTIFICATE = re.compile(r"<(?:[\w.-]+:)?X509Certificate\s*>([A-Za-z0-9+/=\s]{1,16384})</(?:[\w.-]+:)?X509Certificate\s*>")
# NIST SP 800-131A rev. 2: RSA keys below 2048 bits are disallowed for signatures; elliptic curves below 224 bits too
MIN_RSA_BITS = 2048
MIN_EC_BITS = 224


@dataclass(frozen=True)
class Certificate:
    sha256: str  # hex of the DER encoding's SHA-256 ("" when it does not parse)
    key: str  # "RSA 2048", "EC secp256r1", "Ed25519"
    problem: str  # why it cannot bound the trust ("" when it is sound)


@dataclass(frozen=True)
class Metadata:
    entity_id: str | None
    signing: tuple[Certificate, ...]


def _certificate(text: str) -> Certificate:
    try:
        der = base64.b64decode("".join(text.split()), validate=True)
        certificate = x509.load_der_x509_certificate(der)
        key = certificate.public_key()
    except (binascii.Error, ValueError) as error:
        return Certificate("", "", f"a signing certificate is not a DER X.509 certificate ({str(error)[:80]})")
    digest = hashlib.sha256(der).hexdigest()
    if isinstance(key, rsa.RSAPublicKey):
        described = f"RSA {key.key_size}"
        weak = key.key_size < MIN_RSA_BITS
    elif isinstance(key, ec.EllipticCurvePublicKey):
        described = f"EC {key.curve.name}"
        weak = key.curve.key_size < MIN_EC_BITS
    elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        described, weak = type(key).__name__.removesuffix("PublicKey").removeprefix("_"), False
    else:
        return Certificate(digest, type(key).__name__, "a signing certificate holds a key type SAML signatures do not use")
    return Certificate(digest, described, f"signing certificate {digest[:16]}... holds a weak key ({described})"
                       if weak else "")


def read(text: str) -> Metadata:
    """The IdP's entityID and signing certificates (see the module docstring); a document that is not metadata
    gives Metadata(None, ())."""
    head = text[:SCANNED]
    found = _ENTITY_ID.search(head)
    descriptor = _IDP.search(head)
    signing = []
    for key in _KEY.finditer(descriptor.group(0) if descriptor else ""):
        use = _USE.search(key.group(1))
        if use and use.group(2).lower() != "signing":
            continue
        signing += [_certificate(match.group(1)) for match in _CERTIFICATE.finditer(key.group(2))]
        if len(signing) >= MAX_CERTIFICATES:
            break
    return Metadata(found.group(2).strip() if found else None, tuple(signing[:MAX_CERTIFICATES]))
