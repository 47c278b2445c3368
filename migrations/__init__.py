"""Alembic migrations, shipped in the package so the service can migrate its own database."""
