"""Customers: companies, contacts, their contact points, addresses, relationships and consents."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kith.core.models import OwnedRecord


class Company(OwnedRecord):
    class Size(models.TextChoices):
        MICRO = "1-9", "1–9"
        SMALL = "10-49", "10–49"
        MEDIUM = "50-249", "50–249"
        LARGE = "250-999", "250–999"
        ENTERPRISE = "1000+", "1000+"

    name = models.CharField(_("name"), max_length=200)
    domain = models.CharField(_("domain"), max_length=253, blank=True)
    industry = models.CharField(_("industry"), max_length=80, blank=True)
    size = models.CharField(_("size"), max_length=8, choices=Size.choices, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subsidiaries",
        verbose_name=_("parent company"),
    )
    tags = models.ManyToManyField("core.Tag", blank=True, related_name="+")
    custom = models.JSONField(default=dict, blank=True)
    # Folded name for accent/case-insensitive matching and prefix search (see core.text.fold).
    sort_name = models.CharField(max_length=200, editable=False, default="")
    # The order lists and exports sort by: pinyin, the Vietnamese alphabet (core.collation).
    order_name = models.CharField(max_length=600, editable=False, default="")
    # Folded name + domain, indexed for substring search (FTS5 trigram / pg_trgm).
    search_text = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [
            models.Index(fields=["sort_name", "id"], name="company_sort_idx"),
            models.Index(fields=["order_name", "id"], name="company_order_idx"),
            models.Index(fields=["team", "order_name", "id"], name="company_team_order_idx"),
            models.Index(fields=["owner", "order_name", "id"], name="company_owner_order_idx"),
            models.Index(fields=["domain"], name="company_domain_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(OwnedRecord):
    class Stage(models.TextChoices):
        SUBSCRIBER = "subscriber", _("Subscriber")
        LEAD = "lead", _("Lead")
        CUSTOMER = "customer", _("Customer")
        CHURNED = "churned", _("Churned")

    class Channel(models.TextChoices):
        WEB_FORM = "web_form", _("Web form")
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        CHAT = "chat", _("Chat")
        SOCIAL = "social", _("Social media")
        VISIT = "visit", _("Visit")
        EVENT = "event", _("Event")
        REFERRAL = "referral", _("Referral")
        IMPORT = "import", _("Import")
        API = "api", _("API")
        OTHER = "other", _("Other")

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    # The name as the person writes it: "王伟", "Nguyễn Văn An", "Ms Jane Doe".
    full_name = models.CharField(_("full name"), max_length=200)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    company = models.ForeignKey(
        Company,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
        verbose_name=_("company"),
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=12, choices=Stage.choices, default=Stage.LEAD
    )
    source_channel = models.CharField(
        _("source channel"), max_length=12, choices=Channel.choices, default=Channel.OTHER
    )
    tags = models.ManyToManyField("core.Tag", blank=True, related_name="+")
    custom = models.JSONField(default=dict, blank=True)
    # Denormalised primaries so list pages need no join.
    primary_email = models.CharField(max_length=254, blank=True, editable=False)
    primary_phone = models.CharField(max_length=20, blank=True, editable=False)
    # Folded family-name-first name: dedupe's exact and prefix key (not the display order).
    sort_name = models.CharField(max_length=200, editable=False, default="")
    # The order lists and exports sort by: pinyin, the Vietnamese alphabet (core.collation).
    order_name = models.CharField(max_length=600, editable=False, default="")
    # Folded first/last name keys for prefix search of short queries ("王", "Li").
    first_key = models.CharField(max_length=100, editable=False, default="")
    last_key = models.CharField(max_length=100, editable=False, default="")
    search_text = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["sort_name", "id"], name="contact_sort_idx"),
            models.Index(fields=["order_name", "id"], name="contact_order_idx"),
            models.Index(fields=["team", "order_name", "id"], name="contact_team_order_idx"),
            models.Index(fields=["owner", "order_name", "id"], name="contact_owner_order_idx"),
            models.Index(
                fields=["lifecycle_stage", "order_name", "id"], name="contact_stage_order_idx"
            ),
            models.Index(fields=["created_at", "id"], name="contact_created_idx"),
            models.Index(fields=["first_key"], name="contact_first_key_idx"),
            models.Index(fields=["last_key"], name="contact_last_key_idx"),
            models.Index(fields=["primary_email"], name="contact_email_idx"),
            models.Index(fields=["primary_phone"], name="contact_phone_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name


class ContactPoint(models.Model):
    """An email, phone or social handle of a contact; at most one primary per kind."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        SOCIAL = "social", _("Social")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="points")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    label = models.CharField(
        _("label"), max_length=32, blank=True
    )  # work, home, mobile, wechat, zalo…
    value = models.CharField(
        _("value"), max_length=254
    )  # normalised: lower-case email, E.164 phone
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        indexes = [models.Index(fields=["kind", "value"], name="contact_point_value_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "kind"],
                condition=Q(is_primary=True),
                name="contact_point_one_primary",
            ),
            models.UniqueConstraint(
                fields=["contact", "kind", "value"], name="contact_point_unique_value"
            ),
        ]

    def __str__(self) -> str:
        return self.value


class Address(models.Model):
    class Kind(models.TextChoices):
        HOME = "home", _("Home")
        WORK = "work", _("Work")
        BILLING = "billing", _("Billing")
        SHIPPING = "shipping", _("Shipping")

    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="addresses"
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.CASCADE, related_name="addresses"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.WORK)
    line1 = models.CharField(_("address line 1"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)  # ISO 3166-1 alpha-2

    class Meta:
        verbose_name_plural = _("addresses")
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=False, company__isnull=True)
                | Q(contact__isnull=True, company__isnull=False),
                name="address_has_one_owner",
            )
        ]

    def __str__(self) -> str:
        return ", ".join(p for p in [self.line1, self.city, self.country] if p)


class Relationship(models.Model):
    """A directed link between two contacts: `from_contact` is `kind` of `to_contact`."""

    class Kind(models.TextChoices):
        REFERRED_BY = "referred_by", _("referred by")
        SPOUSE = "spouse", _("spouse of")
        COLLEAGUE = "colleague", _("colleague of")
        MANAGER = "manager", _("manager of")
        ASSISTANT = "assistant", _("assistant of")
        FAMILY = "family", _("family of")
        FRIEND = "friend", _("friend of")

    from_contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="relationships_out"
    )
    to_contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="relationships_in"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["from_contact", "to_contact", "kind"], name="relationship_unique"
            ),
            models.CheckConstraint(
                condition=~Q(from_contact=models.F("to_contact")), name="relationship_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_contact_id} {self.kind} {self.to_contact_id}"


class Consent(models.Model):
    """A contact's consent for one channel and purpose; the newest row per pair is in force."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        PHONE = "phone", _("Phone")
        MESSAGING = "messaging", _("Messaging apps")
        POST = "post", _("Post")

    class Purpose(models.TextChoices):
        MARKETING = "marketing", _("Marketing")
        NEWSLETTER = "newsletter", _("Newsletter")
        SURVEYS = "surveys", _("Surveys")
        TRANSACTIONAL = "transactional", _("Service messages")

    class Status(models.TextChoices):
        GRANTED = "granted", _("Granted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    at = models.DateTimeField(_("when"))
    source = models.CharField(_("source"), max_length=120, blank=True)  # "web form /newsletter"

    class Meta:
        indexes = [
            models.Index(fields=["contact", "channel", "purpose", "-at"], name="consent_idx")
        ]

    def __str__(self) -> str:
        return f"{self.channel}/{self.purpose}: {self.status}"
