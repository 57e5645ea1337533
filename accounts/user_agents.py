"""A browser and a device in plain words, from what a browser says of itself
(«Mes connexions», issue 17), and the network a sign-in came from without its host.

A deliberately small parser for the browsers and systems parents use; anything
else reads «navigateur inconnu» rather than a guess. The order of the rules
matters: Edge and Opera say «Chrome» too, Chrome says «Safari», and iPadOS may
say «Macintosh».
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from flask_babel import gettext as _

# (pattern, name) — the first that matches wins.
_BROWSERS = (
    (re.compile(r"\bEdg(e|A|iOS)?/"), "Edge"),
    (re.compile(r"\b(OPR|Opera)/"), "Opera"),
    (re.compile(r"\bSamsungBrowser/"), "Samsung Internet"),
    (re.compile(r"\b(Firefox|FxiOS)/"), "Firefox"),
    (re.compile(r"\b(Chrome|CriOS|Chromium)/"), "Chrome"),
    (re.compile(r"\bVersion/[\d.]+.*\bSafari/"), "Safari"),
)
_SYSTEMS = (
    (re.compile(r"\biPhone\b"), "iPhone"),
    (re.compile(r"\biPad\b"), "iPad"),
    (re.compile(r"\bAndroid\b"), "Android"),
    (re.compile(r"\bCrOS\b"), "ChromeOS"),
    (re.compile(r"\bWindows\b"), "Windows"),
    (re.compile(r"\bMac OS X\b|\bMacintosh\b"), "macOS"),
    (re.compile(r"\bLinux\b"), "Linux"),
)


@dataclass(frozen=True)
class Device:
    browser: str | None
    system: str | None

    def describe(self) -> str:
        """«Firefox sur Windows», «Safari sur iPhone», «Navigateur inconnu»."""
        if self.browser and self.system:
            return _("%(browser)s sur %(system)s", browser=self.browser, system=self.system)
        if self.browser:
            return _("%(browser)s, système inconnu", browser=self.browser)
        if self.system:
            return _("Navigateur inconnu sur %(system)s", system=self.system)
        return _("Navigateur inconnu")


def parse(user_agent: str | None) -> Device:
    text = user_agent or ""
    browser = next((name for pattern, name in _BROWSERS if pattern.search(text)), None)
    system = next((name for pattern, name in _SYSTEMS if pattern.search(text)), None)
    return Device(browser, system)


def describe(user_agent: str | None) -> str:
    return parse(user_agent).describe()


def approximate_network(address: str | None) -> str | None:
    """The network an address belongs to, the host dropped (IPv4 /24, IPv6 /48): enough
    for a parent to tell home from elsewhere, never the exact address kept."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
