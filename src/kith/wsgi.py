import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kith.settings")
application = get_wsgi_application()

from kith.core.checks import secret_key_require  # noqa: E402 - needs the settings loaded

secret_key_require()
