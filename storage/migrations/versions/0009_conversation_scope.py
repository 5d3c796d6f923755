"""conversation_refs.conversation_id, team_id: which conversation (and Teams team) a reference came from, so
that removing the bot from it drops exactly its references

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversation_refs") as batch:
        batch.add_column(sa.Column("conversation_id", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("team_id", sa.String(length=300), nullable=True))
        batch.create_index("ix_conversation_refs_conversation_id", ["conversation_id"])
        batch.create_index("ix_conversation_refs_team_id", ["team_id"])
    refs = sa.table("conversation_refs", sa.column("key", sa.String()), sa.column("reference", sa.JSON()),
                    sa.column("conversation_id", sa.String()))
    connection = op.get_bind()
    for key, reference in connection.execute(sa.select(refs.c.key, refs.c.reference)).all():
        conversation = ((reference or {}).get("conversation") or {}).get("id")
        if conversation:
            connection.execute(refs.update().where(refs.c.key == key).values(conversation_id=str(conversation)[:300]))


def downgrade() -> None:
    with op.batch_alter_table("conversation_refs") as batch:
        batch.drop_index("ix_conversation_refs_team_id")
        batch.drop_index("ix_conversation_refs_conversation_id")
        batch.drop_column("team_id")
        batch.drop_column("conversation_id")
