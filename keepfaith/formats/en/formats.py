"""English dates and times as the statement and the mails write them (see the package)."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j M Y"  # the console's lists: "5 Dec 2026" (Danish: Django's "05.12.2026")
SHORT_DATETIME_FORMAT = "j M Y, H:i"
