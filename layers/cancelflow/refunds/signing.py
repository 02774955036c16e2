"""Signatures shared by the provider clients and the simulated providers: SHA256withRSA
(PKCS#1 v1.5, base64) with PEM keys, AEAD_AES_256_GCM for WeChat Pay's encrypted callbacks,
and the providers' documented messages (Alipay: sorted ``k=v`` pairs, the answer's node text;
WeChat Pay API v3 and our acquirer: newline-terminated lines, the ``Authorization`` header).

``cryptography`` is imported inside the functions, never at module level: only a refund
attempt or a callback pays its import (about 50 ms), so the worker's cold start stays that of
a bare boto3 process. Parsed keys are cached by their PEM text, so a rotated key (a new PEM)
is parsed once and an old one simply stops being used.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

WECHAT_SCHEME = "WECHATPAY2-SHA256-RSA2048"


class BadKey(ValueError):
    """A configured key or certificate that does not parse (a configuration error)."""


@lru_cache(maxsize=16)
def _private(pem: str) -> Any:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        return load_pem_private_key(_pem(pem, "PRIVATE KEY").encode(), password=None)
    except (ValueError, TypeError):
        raise BadKey("private key does not parse") from None


@lru_cache(maxsize=64)
def _public(pem: str) -> tuple[Any, float, float]:
    """(public key, not valid before, not valid after) of a PEM public key or certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        if "CERTIFICATE" in pem:
            cert = x509.load_pem_x509_certificate(pem.encode())
            return (
                cert.public_key(),
                cert.not_valid_before_utc.timestamp(),
                cert.not_valid_after_utc.timestamp(),
            )
        return load_pem_public_key(_pem(pem, "PUBLIC KEY").encode()), 0.0, float("inf")
    except (ValueError, TypeError):
        raise BadKey("public key or certificate does not parse") from None


def _pem(text: str, kind: str) -> str:
    """Accept a bare base64 body too (how both providers' consoles hand keys out)."""
    text = text.strip()
    return text if text.startswith("-----") else f"-----BEGIN {kind}-----\n{text}\n-----END {kind}-----\n"


def rsa_sign(private_pem: str, message: str) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    sig = _private(private_pem).sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(sig).decode()


def rsa_encrypt(public_pem: str, text: str) -> str:
    """WeChat Pay's encryption of a sensitive field (a card number, a name): RSA-OAEP with SHA-1
    and MGF1-SHA-1 under the WeChat Pay public key or platform certificate, base64."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key, _, _ = _public(public_pem)
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    return base64.b64encode(key.encrypt(text.encode(), oaep)).decode()


def rsa_decrypt(private_pem: str, ciphertext: str) -> str:
    """The provider's side of ``rsa_encrypt`` (the simulator plays it)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    return str(_private(private_pem).decrypt(base64.b64decode(ciphertext), oaep).decode())


def valid_until(public_pem: str, at: float | None = None) -> float | None:
    """When a certificate stops being valid (inf for a bare public key), or None when it is not
    valid at ``at`` (wall time) or does not parse."""
    try:
        _, not_before, not_after = _public(public_pem)
    except BadKey:
        return None
    now = time.time() if at is None else at
    return not_after if not_before <= now <= not_after else None


def rsa_verify(public_pem: str, message: str, signature: str, at: float | None = None) -> bool:
    """Whether ``signature`` is the key's over ``message``; a certificate must also be valid
    at ``at`` (wall time). Anything malformed is False, never an exception."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        key, not_before, not_after = _public(public_pem)
        raw = base64.b64decode(signature, validate=True)
    except (BadKey, ValueError, binascii.Error):
        return False
    now = time.time() if at is None else at
    if not not_before <= now <= not_after:
        return False
    try:
        key.verify(raw, message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


class DecryptError(ValueError):
    """An AEAD_AES_256_GCM resource that does not decrypt (wrong key, tampered, malformed)."""


def aes_gcm_decrypt(key: str, nonce: str, associated_data: str, ciphertext: str) -> str:
    """WeChat Pay's resource decryption: the APIv3 key, nonce and associated data as UTF-8,
    the ciphertext (with its 16-byte tag) base64."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        plain = AESGCM(key.encode()).decrypt(
            nonce.encode(), base64.b64decode(ciphertext, validate=True), associated_data.encode()
        )
        return plain.decode()
    except (InvalidTag, ValueError, binascii.Error, UnicodeDecodeError):
        raise DecryptError("resource does not decrypt") from None


def aes_gcm_encrypt(key: str, nonce: str, associated_data: str, plaintext: str) -> str:
    """The provider's side of ``aes_gcm_decrypt`` (the simulator, tests)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    sealed = AESGCM(key.encode()).encrypt(nonce.encode(), plaintext.encode(), associated_data.encode())
    return base64.b64encode(sealed).decode()


# ---------------------------------------------------------------- Alipay


def alipay_content(params: Mapping[str, str]) -> str:
    """Alipay's string to sign: every non-empty parameter but ``sign``, sorted, ``k=v&...``."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign" and params[k] != "")


def alipay_node(raw: str, node: str) -> tuple[str, dict[str, Any], str, str] | None:
    """Of an Alipay answer: (the node's exact text, as signed; the node; ``sign``;
    ``alipay_cert_sn``), reading only top-level keys. ``node`` may be absent when the gateway
    answers ``error_response``, which is then returned. None: not such an answer. ``raw`` must
    already have passed the depth-limited parser (``cancelflow.http.body``)."""
    dec = json.JSONDecoder()
    found: dict[str, tuple[int, int, Any]] = {}
    i = _ws(raw, 0)
    if raw[i : i + 1] != "{":
        return None
    i = _ws(raw, i + 1)
    try:
        while raw[i : i + 1] != "}":
            name, i = dec.raw_decode(raw, i)
            i = _ws(raw, i)
            if raw[i : i + 1] != ":":
                return None
            start = _ws(raw, i + 1)
            value, end = dec.raw_decode(raw, start)
            found.setdefault(str(name), (start, end, value))  # the first one, as Alipay's SDKs read
            i = _ws(raw, end)
            if raw[i : i + 1] == ",":
                i = _ws(raw, i + 1)
            elif raw[i : i + 1] != "}":
                return None
    except ValueError:
        return None
    key = node if node in found else "error_response"
    if key not in found or not isinstance(found[key][2], dict):
        return None
    start, end, value = found[key]
    sign, sn = (found.get(k, (0, 0, ""))[2] for k in ("sign", "alipay_cert_sn"))
    return raw[start:end], value, sign if isinstance(sign, str) else "", sn if isinstance(sn, str) else ""


def _ws(s: str, i: int) -> int:
    while i < len(s) and s[i] in " \t\r\n":
        i += 1
    return i


def alipay_cert_sn(cert_pem: str) -> str:
    """Alipay's certificate SN: MD5 of the issuer as ``CN=..,OU=..,O=..,C=..`` followed by the
    decimal serial (certificate mode's ``app_cert_sn`` and ``alipay_cert_sn``)."""
    from cryptography import x509

    return _cert_sn(x509.load_pem_x509_certificate(cert_pem.encode()))


def alipay_root_cert_sn(chain_pem: str) -> str:
    """``alipay_root_cert_sn``: the SNs of the chain's RSA-signed certificates joined by ``_``
    (Alipay's root bundle also holds SM2 certificates, which are left out)."""
    from cryptography import x509
    from cryptography.x509.oid import SignatureAlgorithmOID as Alg

    rsa = {Alg.RSA_WITH_SHA1, Alg.RSA_WITH_SHA256, Alg.RSA_WITH_SHA384, Alg.RSA_WITH_SHA512, Alg.RSA_WITH_MD5}
    certs = x509.load_pem_x509_certificates(chain_pem.encode())
    return "_".join(_cert_sn(c) for c in certs if c.signature_algorithm_oid in rsa)


def _cert_sn(cert: Any) -> str:
    from cryptography.x509.oid import NameOID

    def part(oid: Any) -> str:
        got = cert.issuer.get_attributes_for_oid(oid)
        return str(got[0].value) if got else "None"

    issuer = ",".join(
        f"{label}={part(oid)}"
        for label, oid in (
            ("CN", NameOID.COMMON_NAME),
            ("OU", NameOID.ORGANIZATIONAL_UNIT_NAME),
            ("O", NameOID.ORGANIZATION_NAME),
            ("C", NameOID.COUNTRY_NAME),
        )
    )
    return hashlib.md5((issuer + str(cert.serial_number)).encode()).hexdigest()  # Alipay's SN definition


# ---------------------------------------------------------------- WeChat Pay API v3 (and our acquirer)


def wechat_message(*lines: str) -> str:
    """Request ``METHOD\\nURL\\nTS\\nNONCE\\nBODY\\n``; answer and callback ``TS\\nNONCE\\nBODY\\n``."""
    return "".join(f"{line}\n" for line in lines)


def wechat_authorization(
    mchid: str, serial_no: str, private_pem: str, method: str, url: str, body: str, ts: str, nonce: str
) -> str:
    """The ``Authorization`` header of a WeChat Pay API v3 request (``url``: path and query)."""
    sig = rsa_sign(private_pem, wechat_message(method, url, ts, nonce, body))
    return (
        f'{WECHAT_SCHEME} mchid="{mchid}",nonce_str="{nonce}",signature="{sig}",'
        f'timestamp="{ts}",serial_no="{serial_no}"'
    )


def parse_authorization(header: str) -> tuple[str, dict[str, str]]:
    """(scheme, its ``k="v"`` pairs); the pairs may come in any order."""
    scheme, _, rest = header.strip().partition(" ")
    pairs: dict[str, str] = {}
    for part in rest.split(","):
        k, eq, v = part.partition("=")
        if eq:
            pairs[k.strip()] = v.strip().strip('"')
    return scheme, pairs
