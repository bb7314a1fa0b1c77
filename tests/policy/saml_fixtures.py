"""SAML 2.0 IdP metadata documents for tests, with signing certificates generated here (no key material committed).

Shapes follow OASIS saml-metadata-2.0-os: EntityDescriptor(entityID) > IDPSSODescriptor > KeyDescriptor(use) >
ds:KeyInfo > ds:X509Data > ds:X509Certificate (base64 DER).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


@lru_cache(maxsize=None)
def certificate(kind: str = "rsa2048", name: str = "idp") -> str:
    """A self-signed certificate, base64 DER: kind rsa2048 | rsa1024 | p256 (the rule never reads its dates)."""
    if kind.startswith("rsa"):
        key = rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    built = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
             .serial_number(1).not_valid_before(datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc))
             .not_valid_after(datetime.datetime(2040, 1, 1, tzinfo=datetime.timezone.utc))
             .sign(key, hashes.SHA256()))
    return base64.b64encode(built.public_bytes(serialization.Encoding.DER)).decode()


def sha256(cert: str) -> str:
    return hashlib.sha256(base64.b64decode(cert)).hexdigest()


def metadata(entity_id: str, *certificates: str, use: str | None = "signing", prefix: str = "md:") -> str:
    """IdP metadata naming `entity_id`, each certificate in its own KeyDescriptor (`use` None: both uses)."""
    use_attribute = f' use="{use}"' if use else ""
    keys = "".join(f'<{prefix}KeyDescriptor{use_attribute}><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
                   f"<ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
                   f"</{prefix}KeyDescriptor>" for cert in certificates)
    return (f'<?xml version="1.0"?><{prefix}EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            f'ID="_1" entityID="{entity_id}"><{prefix}IDPSSODescriptor protocolSupportEnumeration='
            f'"urn:oasis:names:tc:SAML:2.0:protocol">{keys}<{prefix}SingleSignOnService '
            f'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.org/sso"/>'
            f"</{prefix}IDPSSODescriptor></{prefix}EntityDescriptor>")
