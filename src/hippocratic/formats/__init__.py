"""How each English the site speaks writes a date and a time: one style per locale, the
Unicode CLDR's (as Babel has it): a long date ("December 3, 2026" in the US, "3 December
2026" in the UK) and, with a time, the locale's short time after a comma. Django reads
these (FORMAT_MODULE_PATH) for the site's pages, its mail, its exports and the admin
alike: `{{ when|date }}`, `{{ when|date:"DATETIME_FORMAT" }}`, `formats.date_format(...)`.
`tests/web/test_dates.py` holds each to Babel's words for its locale."""
