"""The languages treffpunkt speaks to residents, and which of them read right to left."""

from typing import Literal

Locale = Literal["de", "en", "uk", "ar", "tr", "fa"]
LOCALES: tuple[Locale, ...] = ("de", "en", "uk", "ar", "tr", "fa")
DEFAULT_LOCALE: Locale = "de"
RTL_LOCALES = frozenset({"ar", "fa"})
