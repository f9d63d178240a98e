"""Factories that go through the services, so test records look exactly like real ones."""

from __future__ import annotations

from typing import Any

import factory

from kith.customers.models import Company, Contact
from kith.customers.services import company_create, contact_create


class ServiceFactory(factory.Factory):
    """A factory whose `by` argument is the acting user and whose rows are made by a service."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Any:
        return cls.service(**kwargs)


class ContactFactory(ServiceFactory):
    class Meta:
        model = Contact

    service = staticmethod(contact_create)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    emails = factory.Sequence(lambda n: [f"person{n}@example.com"])


class CompanyFactory(ServiceFactory):
    class Meta:
        model = Company

    service = staticmethod(company_create)
    name = factory.Sequence(lambda n: f"Company {n}")


def make_contact(*, by: Any, **kwargs: Any) -> Contact:
    return ContactFactory(by=by, **kwargs)


def make_company(*, by: Any, **kwargs: Any) -> Company:
    return CompanyFactory(by=by, **kwargs)
