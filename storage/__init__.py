"""The cellar: models, query functions taking a keyword-only session, the outbox, Alembic migrations."""
