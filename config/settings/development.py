"""Local development: `make run`. Uses DATABASE_URL, else an embedded PostgreSQL."""

import warnings

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="development-only-not-secret")

if not DATABASES:
    from config.embedded_db import embedded_database_url

    warnings.filterwarnings("ignore", module="platformdirs")
    DATABASES = {"default": env.db_url_config(embedded_database_url())}

WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
