"""Django's SQLite and PostgreSQL backends, with every statement passing the gate
(enforcement.gate): settings.DATABASES names these engines, whatever DATABASE_URL says.

ENGINES maps Django's engine to ours; any other database is refused."""

ENGINES = {
    "django.db.backends.sqlite3": "hippocratic.enforcement.backends.sqlite3",
    "django.db.backends.postgresql": "hippocratic.enforcement.backends.postgresql",
}
