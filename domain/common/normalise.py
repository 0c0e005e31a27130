"""Normalising names, phone numbers and addresses for matching (design sections 5 and 6)."""
import re
import unicodedata

# Longest first, so that 有限责任公司 is not left as 有限责任 by dropping 公司.
_COMPANY_SUFFIXES = ("有限责任公司", "有限公司", "公司")


def institution_key(name):
    """Design section 5: NFKC, drop whitespace and punctuation (P*), then one trailing company suffix."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch for ch in text if not ch.isspace() and not unicodedata.category(ch).startswith("P"))
    for suffix in _COMPANY_SUFFIXES:
        if text.endswith(suffix):
            return text[: -len(suffix)]
    return text


def phone_digits(phone):
    """Phone numbers match on their digits alone (after NFKC, so full-width digits count)."""
    if not phone:
        return ""
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", phone))


def address_key(address):
    """Design section 6: a unit's address is compared after NFKC with all whitespace removed."""
    if not address:
        return ""
    return "".join(ch for ch in unicodedata.normalize("NFKC", address) if not ch.isspace())


def credit_code_key(code):
    """统一社会信用代码: 18 characters, compared case-insensitively without spaces."""
    return address_key(code).upper()
