"""What a failed text message raises; callers catch SmsError and tell the customer."""


class SmsError(Exception):
    """The message could not be handed to the gateway (or may not be sent at all)."""


class SmsLimited(SmsError):
    """The number has had HUITOU_SMS_DAILY_LIMIT messages today (local time)."""


def mask_number(number: str) -> str:
    """138****8000: enough to tell numbers apart in logs and errors, not to dial one."""
    if len(number) <= 7:
        return number[:2] + "****"
    return f"{number[:3]}****{number[-4:]}"
