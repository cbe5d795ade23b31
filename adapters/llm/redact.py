"""Optional redaction of contact details before employee text leaves the process."""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# International or local numbers of 7+ digits, with the usual separators.
PHONE = re.compile(r"(?<![\w/])\+?\d(?:[\s().-]*\d){6,14}(?![\w/])")


def redact(text: str) -> str:
    return PHONE.sub("[phone]", EMAIL.sub("[email]", text))
