from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "kith.identity"
    label = "identity"
