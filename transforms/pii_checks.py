"""Check digits and number plans that tell personal numbers from look-alikes (no regexes here).

- PRC resident ID numbers (GB 11643-1999): 6-digit region code, birth date ``YYYYMMDD``, 3-digit
  sequence, and a check character over ISO 7064 MOD 11-2 (``X`` for 10).
- Payment cards: the Luhn check (ISO/IEC 7812-1 annex B) and the issuer prefixes and lengths of
  the networks in use (ISO/IEC 7812 IINs as the networks publish them).
- Public IP addresses: the stdlib ``ipaddress`` registry flags, as datatrove's ``PIIFormatter``
  uses them (``is_global``), plus multicast, and IPv6 only inside 2000::/3, the one block IANA
  hands out for global unicast.
"""
from __future__ import annotations

import datetime as dt
import ipaddress

# GB/T 2260 province-level codes (first two digits of a resident ID number); 71/81/82 are the
# codes of Taiwan, Hong Kong and Macao residents' numbers, 83 of the residence permits.
ID_REGIONS = frozenset({11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
                        50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83})
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, ...
_ID_CHECK = "10X98765432"
MIN_BIRTH_YEAR = 1900


def id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of an ID number."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def id_birth_date_ok(digits: str) -> bool:
    """A region code in use and a real calendar date from 1900 on in positions 7-14."""
    if int(digits[:2]) not in ID_REGIONS:
        return False
    try:
        return dt.date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14])).year >= MIN_BIRTH_YEAR
    except ValueError:
        return False


def is_resident_id(number: str) -> bool:
    """An 18-character PRC resident ID number: region, birth date and check character all valid."""
    number = number.upper()
    return (len(number) == 18 and number[:17].isdigit() and id_birth_date_ok(number)
            and id_check_char(number[:17]) == number[17])


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# (first digits, low, high) prefix ranges with the lengths each network issues. Visa 19 and
# Discover/JCB 17-19 are left out on purpose: barely issued, while 19-digit order numbers are common.
_CARD_RANGES: tuple[tuple[int, int, frozenset[int]], ...] = (
    (4, 4, frozenset({13, 16})),                     # Visa
    (51, 55, frozenset({16})), (2221, 2720, frozenset({16})),  # Mastercard
    (34, 34, frozenset({15})), (37, 37, frozenset({15})),  # American Express
    (6011, 6011, frozenset({16})), (644, 649, frozenset({16})), (65, 65, frozenset({16})),  # Discover
    (3528, 3589, frozenset({16})),                   # JCB
    (300, 305, frozenset({14})), (36, 36, frozenset({14})), (38, 39, frozenset({14})),  # Diners Club
    (62, 62, frozenset({16, 17, 18, 19})),           # UnionPay (China UnionPay IIN 62)
)


def card_network_ok(digits: str) -> bool:
    """The number's length is one its issuer prefix is issued with."""
    n = len(digits)
    for low, high, lengths in _CARD_RANGES:
        width = len(str(low))
        if n in lengths and low <= int(digits[:width]) <= high:
            return True
    return False


def is_bank_card(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and card_network_ok(digits) and luhn_ok(digits)


_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")


def is_public_ip(text: str) -> bool:
    """A globally routable unicast address (not private, loopback, link-local, shared,
    documentation, reserved or multicast)."""
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return False
    if not ip.is_global or ip.is_multicast:
        return False
    return ip.version == 4 or ip in _GLOBAL_UNICAST
