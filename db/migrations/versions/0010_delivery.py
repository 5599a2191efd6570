"""outbox rows carry the version of what they announce; people record when they first opened the bot

Revision ID: 0010_delivery
Revises: 0009_boundaries
Create Date: 2026-12-03 05:10:00

`outboxmessage.ref_version`: the delivery worker drops a row whose action changed or was cancelled
since it was queued (issue 13.12). `person.activated_at`: a telegram_id imported with the roster
counts as reachable only once its owner has written to the bot (issue 13.5: 未激活). Existing
people count as activated when the bot has evidence of it: a message delivered to them, or an
audit entry they made.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0010_delivery'
down_revision = '0009_boundaries'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ref_version', sa.Integer(), nullable=True))
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE person SET activated_at = updated_at WHERE telegram_id IS NOT NULL AND ("
        " EXISTS (SELECT 1 FROM outboxmessage o WHERE o.chat_id = person.telegram_id AND o.status = 'sent')"
        " OR EXISTS (SELECT 1 FROM auditentry a WHERE a.actor_telegram_id = person.telegram_id))"
    )


def downgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('activated_at')
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.drop_column('ref_version')
