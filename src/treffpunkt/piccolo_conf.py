"""Piccolo's configuration module (PICCOLO_CONF=treffpunkt.piccolo_conf).

The engine comes from the same settings the app uses, so `piccolo` commands and
`treffpunkt migrate` always act on the configured database.
"""

from piccolo.conf.apps import AppRegistry

from treffpunkt.db import engine_for
from treffpunkt.settings import load_settings

_settings = load_settings()
DB = engine_for(_settings)

APP_REGISTRY = AppRegistry(apps=["treffpunkt.piccolo_app"])
