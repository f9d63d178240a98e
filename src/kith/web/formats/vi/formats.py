# Django's vi formats, plus grouping of thousands with a dot (1.500.000,50).
from django.conf.locale.vi.formats import *  # noqa: F403

DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
