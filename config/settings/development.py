"""Local development: `make run`. Uses DATABASE_URL, else an embedded PostgreSQL."""

import warnings

from .base import *  # noqa: F403
from .base import DATABASE_APP_USER, env

# Off unless asked for (DJANGO_DEBUG=true): `make run` shows what users see, the GOV.UK error
# pages included, and debug pages never reach anyone by accident. Static files are served by
# WhiteNoise from the app folders either way (WHITENOISE_USE_FINDERS below).
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="development-only-not-secret")

if not DATABASES:
    from config.embedded_db import embedded_database_url

    warnings.filterwarnings("ignore", module="platformdirs")
    # The application role, as in production; `make migrate` runs as the owner (embedded_db.py).
    DATABASES = {"default": env.db_url_config(embedded_database_url(user=DATABASE_APP_USER))}
# runserver serves each request in a thread of its own, so a kept connection would never be reused.
DATABASES["default"]["CONN_MAX_AGE"] = 0

WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
