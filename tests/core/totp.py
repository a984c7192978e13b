"""A TOTP code computed here, as an authenticator app would (RFC 6238: HMAC-SHA1, 30 s, 6 digits)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct


def totp_code(secret: str, at: float) -> str:
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"
