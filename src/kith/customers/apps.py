from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "kith.customers"
    label = "customers"
