"""Number formats per language (FORMAT_MODULE_PATH): Django's own vi and zh_Hans formats do not
group thousands; amounts are easier to read grouped (1.500.000 ₫ / 1,500,000)."""
