"""Full-text search over pain points: SQLite's FTS5 (an index table kept by triggers) and PostgreSQL's tsvector (a
generated column with a GIN index); both kept up to date in the transaction of every change, and filled now
with the items there are

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-24
"""
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

COLUMNS = "summary, details, customer_ref, resolution_note"
SQLITE = [
    # porter: "refunds", "refunded" find "refund"; remove_diacritics: "cafe" finds "café"
    (f"CREATE VIRTUAL TABLE pain_points_fts USING fts5({COLUMNS}, content='pain_points', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')"),
    (f"CREATE TRIGGER pain_points_fts_insert AFTER INSERT ON pain_points BEGIN "
    f"INSERT INTO pain_points_fts(rowid, {COLUMNS}) VALUES (new.id, new.summary, new.details, new.customer_ref, "
    "new.resolution_note); END"),
    (f"CREATE TRIGGER pain_points_fts_delete AFTER DELETE ON pain_points BEGIN "
    f"INSERT INTO pain_points_fts(pain_points_fts, rowid, {COLUMNS}) VALUES ('delete', old.id, old.summary, "
    "old.details, old.customer_ref, old.resolution_note); END"),
    (f"CREATE TRIGGER pain_points_fts_update AFTER UPDATE OF {COLUMNS} ON pain_points BEGIN "
    f"INSERT INTO pain_points_fts(pain_points_fts, rowid, {COLUMNS}) VALUES ('delete', old.id, old.summary, "
    "old.details, old.customer_ref, old.resolution_note); "
    f"INSERT INTO pain_points_fts(rowid, {COLUMNS}) VALUES (new.id, new.summary, new.details, new.customer_ref, "
    "new.resolution_note); END"),
    "INSERT INTO pain_points_fts(pain_points_fts) VALUES ('rebuild')",  # the items there are
]
POSTGRESQL = [
    ("ALTER TABLE pain_points ADD COLUMN search tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(summary, '')), 'A') || "
    "setweight(to_tsvector('simple', coalesce(customer_ref, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(details, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(resolution_note, '')), 'C')) STORED"),
    "CREATE INDEX ix_pain_points_search ON pain_points USING GIN (search)",
]


def upgrade() -> None:
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER pain_points_fts_{name}")
        op.execute("DROP TABLE pain_points_fts")
    else:
        op.execute("DROP INDEX ix_pain_points_search")
        op.execute("ALTER TABLE pain_points DROP COLUMN search")
