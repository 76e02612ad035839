"""Masking of personal data for logs: an operator sees enough to correlate, never the value itself."""


def mask_email(email: str | None) -> str:
    if not email:
        return ""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    return f"{phone[:3]}***{phone[-2:]}" if len(phone) > 6 else "***"
