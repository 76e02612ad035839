"""Masking of personal data for logs: an operator sees enough to correlate, never the value itself."""

import re


def mask_email(email: str | None) -> str:
    if not email:
        return ""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    return f"{phone[:3]}***{phone[-2:]}" if len(phone) > 6 else "***"


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d .()-]{7,}\d")


def mask_text(text: str) -> str:
    """Free text bound for a log (an error's cause, a service's refusal) with every email and phone in it masked:
    AWS and our own errors quote addresses ("identities failed the check: admin@shop.vn")."""
    text = _EMAIL.sub(lambda match: mask_email(match.group()), text)
    return _PHONE.sub(lambda match: mask_phone(re.sub(r"[^\d+]", "", match.group())), text)
