"""A small app that plugs into every door (kith.core.apps.KithAppConfig), enabled for the tests
only (tests/settings.py). It touches nothing outside this folder but INSTALLED_APPS."""
