"""The JSON API, with its OpenAPI schema at /api/openapi.json and docs at /api/docs."""

from ninja import NinjaAPI

from hippocratic.accounts.api import catalogue
from hippocratic.accounts.api import router as own_data

api = NinjaAPI(
    title="Hippocratic",
    version="1",
    description="A customer's own data, under the provider's privacy policy.",
    urls_namespace="api",
)
api.add_router("/", own_data)
api.add_router("/services", catalogue)
