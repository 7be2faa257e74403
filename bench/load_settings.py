"""The load test's server (bench/load.py): the development settings (DEBUG off through the
environment), with the database connection kept for LOAD_CONN_MAX_AGE seconds when the load test
is asked to (--conn-max-age; 0, a connection a request, is development's own)."""

from config.settings.development import *  # noqa: F403
from config.settings.development import DATABASES, env

DATABASES["default"]["CONN_MAX_AGE"] = env.int("LOAD_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
