"""treffpunkt: events, registrations, calendars and mail for municipal integration work."""

import os

# Piccolo finds its configuration through this variable; set it before any table is used.
os.environ.setdefault("PICCOLO_CONF", "treffpunkt.piccolo_conf")

__version__ = "0.1.0"
