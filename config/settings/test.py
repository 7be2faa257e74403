"""The test suite: a real PostgreSQL server and a real Redis, never SQLite."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-only-not-secret"
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/probation_inspections")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Serve static files from the app folders without a collectstatic step.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# No cache between tests: each test proves its numbers from the database. tests/test_dashboards.py
# turns a memory cache on where it tests the cache itself.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
