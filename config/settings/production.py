"""Production: every secret comes from the environment; a missing one stops start-up."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASE_CONNECTIONS, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
DATABASES = {"default": {**env.db("DATABASE_URL"), **DATABASE_CONNECTIONS}}
REDIS_URL = env("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = False
DEMO_LOGINS_ALLOWED = False
# Every account signs in with a second factor (accounts/two_factor.py); not an environment variable here.
OTP_REQUIRED = True

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The client's IP address, for sign-in lockouts (django-axes reads it with django-ipware). Behind a
# proxy REMOTE_ADDR is the proxy's, so everyone would share one address; the proxy's X-Forwarded-For
# names the client, but a client can send that header too. So the header is read only when the
# order names it (e.g. HTTP_X_FORWARDED_FOR,REMOTE_ADDR) and AXES_IPWARE_PROXY_COUNT says how many
# proxy addresses follow the client's in it (0 for one proxy): a header of any other length, as one
# a client added to, is not believed and the next in the order is used.
AXES_IPWARE_META_PRECEDENCE_ORDER = env.list("AXES_IPWARE_META_PRECEDENCE_ORDER", default=["REMOTE_ADDR"])
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=None)
if AXES_IPWARE_PROXY_COUNT is None and AXES_IPWARE_META_PRECEDENCE_ORDER != ["REMOTE_ADDR"]:
    # Without a count django-ipware takes the header's first public address, which the client chooses.
    raise ImproperlyConfigured("Set AXES_IPWARE_PROXY_COUNT when AXES_IPWARE_META_PRECEDENCE_ORDER reads a header")
