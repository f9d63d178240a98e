# Django's zh_Hans formats, plus grouping of thousands with a comma (1,500,000.50).
from django.conf.locale.zh_Hans.formats import *  # noqa: F403

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
