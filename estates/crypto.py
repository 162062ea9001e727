"""Protection of personal data at rest (PIPL): encrypted value plus a keyed digest for look-ups.

The encrypted copy is what staff with a reason may reveal (and every reveal is logged); the digest
lets imports find "the same person" without decrypting anything; the masked copy is what lists,
exports and PDFs show.
"""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _key_material() -> bytes:
    return (settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY).encode()


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"anju-field-encryption:" + _key_material()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a key change without re-encryption: fail loudly
        raise ValueError("Personal data cannot be decrypted with the configured key.") from exc


def digest(value: str) -> str:
    """Keyed, deterministic: equal inputs give equal digests; the digest alone reveals nothing."""
    if not value:
        return ""
    key = hashlib.sha256(b"anju-field-digest:" + _key_material()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
