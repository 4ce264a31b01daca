"""Masking of secrets in text that came from elsewhere (server reasons, error messages).

A stable Iggy server answers a login with an unknown PAT with `Resource with key: <token> was
not found.`, so a server's reason can carry a raw token. Everything the tool prints from a
server goes through `redact` first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MASK = "***"
# Iggy PATs: 50 random bytes in standard base64 with padding, always 68 characters.
_PAT_SHAPE = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{66}==?(?![A-Za-z0-9+/=])")
# JWTs: three base64url parts.
_JWT_SHAPE = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


SECRET_KEYS = frozenset({"token", "password", "access_token"})


def mask_json(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of a JSON value with secret keys masked and secrets in other strings redacted."""
    secrets = tuple(secrets)
    if isinstance(value, dict):
        return {
            key: MASK
            if key in SECRET_KEYS and not isinstance(item, dict | list)
            else mask_json(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_json(item, secrets) for item in value]
    if isinstance(value, str):
        return redact(value, secrets)
    return value


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    text = _PAT_SHAPE.sub(MASK, text)
    return _JWT_SHAPE.sub(MASK, text)
