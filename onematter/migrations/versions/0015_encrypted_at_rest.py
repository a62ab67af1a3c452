"""Encryption at rest: ID and mobile numbers sealed (AES-256-GCM) and found by keyed hashes, the
stored forms, document contexts, notification payloads and delivery details sealed, in place

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

The key is the data key file's current key (onematter.config.crypto); `onematter init-db` makes
one on the embedded default before it migrates. Rows are read and written in batches of 500.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

from onematter.config.crypto import keyring
from onematter.rules.identity import mask_id


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

BATCH = 500
SEALED_JSON = (("applications", "form", "id"), ("documents", "context", "id"),
               ("notifications", "payload", "id"), ("deliveries", "details", "id"))


def _batches(conn, table, key, *columns):
    """Every row of `table` by its key, BATCH at a time (keyset: no OFFSET scan)."""
    last = None
    while True:
        query = sa.select(table.c[key], *(table.c[c] for c in columns)).order_by(table.c[key]).limit(BATCH)
        if last is not None:
            query = query.where(table.c[key] > last)
        rows = conn.execute(query).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def upgrade() -> None:
    op.create_table(
        'data_keys',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=16), primary_key=True),
        sa.Column('check', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    )
    for column in (sa.Column('id_cipher', sa.Text(), nullable=True),
                   sa.Column('id_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
                   sa.Column('id_masked', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True),
                   sa.Column('mobile_cipher', sa.Text(), nullable=True),
                   sa.Column('mobile_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)):
        op.add_column('persons', column)

    conn = op.get_bind()
    ring = None
    persons = sa.table('persons', sa.column('id', sa.Uuid()), sa.column('id_number', sa.String()),
                       sa.column('mobile', sa.String()), sa.column('id_cipher', sa.Text()),
                       sa.column('id_hash', sa.String()), sa.column('id_masked', sa.String()),
                       sa.column('mobile_cipher', sa.Text()), sa.column('mobile_hash', sa.String()))
    for rows in _batches(conn, persons, 'id', 'id_number', 'mobile'):
        ring = ring or keyring()
        for pid, number, mobile in rows:
            conn.execute(persons.update().where(persons.c.id == pid).values(
                id_cipher=ring.encrypt(number, b"persons.id_number"), id_hash=ring.hash("id", number),
                id_masked=mask_id(number), mobile_cipher=ring.encrypt(mobile, b"persons.mobile"),
                mobile_hash=ring.hash("mobile", mobile)))
    op.drop_index('ix_persons_id_number', 'persons')
    op.drop_column('persons', 'id_number')
    op.drop_column('persons', 'mobile')
    op.create_index('ix_persons_id_hash', 'persons', ['id_hash'], unique=True)
    op.create_index('ix_persons_mobile_hash', 'persons', ['mobile_hash'])

    import json
    for name, column, key in SEALED_JSON:
        table = sa.table(name, sa.column(key), sa.column(column, sa.JSON()))
        for rows in _batches(conn, table, key, column):
            for row_key, value in rows:
                if isinstance(value, str):          # sealed already
                    continue
                ring = ring or keyring()
                sealed = ring.encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")),
                                      f"{name}.{column}".encode())
                conn.execute(table.update().where(table.c[key] == row_key).values({column: sealed}))


def downgrade() -> None:
    import json
    conn = op.get_bind()
    ring = keyring()
    for name, column, key in SEALED_JSON:
        table = sa.table(name, sa.column(key), sa.column(column, sa.JSON()))
        for rows in _batches(conn, table, key, column):
            for row_key, value in rows:
                if isinstance(value, str):
                    plain = json.loads(ring.decrypt(value, f"{name}.{column}".encode()))
                    conn.execute(table.update().where(table.c[key] == row_key).values({column: plain}))
    op.add_column('persons', sa.Column('id_number', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True))
    op.add_column('persons', sa.Column('mobile', sqlmodel.sql.sqltypes.AutoString(length=11), nullable=True))
    persons = sa.table('persons', sa.column('id', sa.Uuid()), sa.column('id_number', sa.String()),
                       sa.column('mobile', sa.String()), sa.column('id_cipher', sa.Text()),
                       sa.column('mobile_cipher', sa.Text()))
    for rows in _batches(conn, persons, 'id', 'id_cipher', 'mobile_cipher'):
        for pid, id_cipher, mobile_cipher in rows:
            conn.execute(persons.update().where(persons.c.id == pid).values(
                id_number=ring.decrypt(id_cipher, b"persons.id_number") if id_cipher else "",
                mobile=ring.decrypt(mobile_cipher, b"persons.mobile") if mobile_cipher else ""))
    op.drop_index('ix_persons_mobile_hash', 'persons')
    op.drop_index('ix_persons_id_hash', 'persons')
    for column in ('id_cipher', 'id_hash', 'id_masked', 'mobile_cipher', 'mobile_hash'):
        op.drop_column('persons', column)
    op.create_index('ix_persons_id_number', 'persons', ['id_number'], unique=True)
    op.drop_table('data_keys')
