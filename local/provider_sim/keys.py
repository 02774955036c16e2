"""The simulator's key material, made once per process at start (like local/auth.py's token key):
for each provider the merchant's RSA key (which a real merchant makes and registers with the
provider) and the provider's own RSA key with a self-signed certificate and its serial, plus
WeChat's APIv3 key and Alipay's certificate-mode bundle (root, Alipay and app certificates).

The simulator keeps the provider halves; ``SimKeys.credentials()`` is what the runtime gets,
in the shape of the production secrets (docs/refunds.md, "Going live"): the merchant's private
key and serial and the provider's certificate by serial. Nothing here is written to disk.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from cancelflow.refunds import signing
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

PROVIDERS = ("alipay", "wechat_pay", "bank_card")
MERCHANT_IDS = {"alipay": "2021000000000001", "wechat_pay": "1900000001", "bank_card": "BANK000001"}


@dataclass(frozen=True)
class Party:
    """One RSA key: its PEMs and a certificate (serial as upper-case hex, WeChat's form)."""

    private_pem: str
    public_pem: str
    cert_pem: str
    serial: str


def _name(cn: str, org: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Simulator"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _cert(key: Any, subject: x509.Name, issuer: x509.Name, signer: Any, ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(signer, hashes.SHA256())
    )


def _party(cn: str, org: str, *, issuer: tuple[x509.Name, Any] | None = None, key: Any = None) -> Party:
    key = key or rsa.generate_private_key(65537, 2048)
    subject = _name(cn, org)
    name, signer = issuer or (subject, key)
    cert = _cert(key, subject, name, signer, ca=issuer is None)
    return Party(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        f"{cert.serial_number:X}",
    )


@dataclass(frozen=True)
class SimKeys:
    merchant: dict[str, Party]  # what the merchant (our runtime) signs with
    provider: dict[str, Party]  # what each simulated provider signs answers and callbacks with
    apiv3_key: str  # WeChat: the callbacks' AES-256-GCM key (32 characters)
    alipay_root: Party  # certificate mode: the root the Alipay and app certificates chain to
    alipay_app_cert: str  # the app's public key certificate, issued by the root
    # a key no provider holds: the ``bad_signature`` fault signs its forged answers with it, as
    # someone between us and the provider would (under the provider's serial)
    forger: Party

    @property
    def app_cert_sn(self) -> str:
        return signing.alipay_cert_sn(self.alipay_app_cert)

    @property
    def alipay_root_cert_sn(self) -> str:
        return signing.alipay_root_cert_sn(self.alipay_root.cert_pem)

    @property
    def alipay_cert_sn(self) -> str:
        return signing.alipay_cert_sn(self.provider["alipay"].cert_pem)

    def credentials(
        self, *, alipay_cert_mode: bool = False, notify_url: str = ""
    ) -> dict[str, dict[str, Any]]:
        """The runtime's side, one object per provider, as the production secrets hold it;
        ``notify_url`` is where callbacks go ("{provider}" replaced), named in WeChat requests."""
        out: dict[str, dict[str, Any]] = {}
        for p in PROVIDERS:
            serial = self.alipay_cert_sn if p == "alipay" else self.provider[p].serial
            # Alipay public-key mode holds the bare key; WeChat and the acquirer their certificates.
            plain = p == "alipay" and not alipay_cert_mode
            key = self.provider[p].public_pem if plain else self.provider[p].cert_pem
            out[p] = {
                "merchant_id": MERCHANT_IDS[p],
                "private_key": self.merchant[p].private_pem,
                "serial_no": self.merchant[p].serial,
                "provider_keys": {serial: key},
            }
        out["wechat_pay"]["apiv3_key"] = self.apiv3_key
        if notify_url:
            out["wechat_pay"]["notify_url"] = notify_url.replace("{provider}", "wechat_pay")
        if alipay_cert_mode:
            out["alipay"] |= {
                "app_cert_sn": self.app_cert_sn,
                "alipay_root_cert_sn": self.alipay_root_cert_sn,
            }
        return out


def make() -> SimKeys:
    merchant = {p: _party(f"{MERCHANT_IDS[p]} merchant", "cancelflow") for p in PROVIDERS}
    alipay_root = _party("Simulated Alipay Root CA", "Alipay (simulated)")
    root = (x509.load_pem_x509_certificate(alipay_root.cert_pem.encode()).subject, _load(alipay_root))
    provider = {
        "alipay": _party("Simulated Alipay public key", "Alipay (simulated)", issuer=root),
        "wechat_pay": _party("Simulated WeChat Pay platform", "Tenpay (simulated)"),
        "bank_card": _party("Simulated acquirer", "Acquirer (simulated)"),
    }
    app_key = _load(merchant["alipay"])
    app_cert = _party(MERCHANT_IDS["alipay"], "cancelflow", issuer=root, key=app_key).cert_pem
    forger = _party("Not a provider", "nobody")
    return SimKeys(merchant, provider, secrets.token_hex(16), alipay_root, app_cert, forger)


def _load(party: Party) -> Any:
    return serialization.load_pem_private_key(party.private_pem.encode(), password=None)


_current: SimKeys | None = None
_lock = threading.Lock()


def current() -> SimKeys:
    """This process's keys, made on first use (every simulator in a process shares them, so the
    credentials handed to the runtime match whichever simulator answers)."""
    global _current
    with _lock:
        if _current is None:
            _current = make()
        return _current
