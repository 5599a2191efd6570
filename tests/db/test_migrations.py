"""The migrations build exactly the schema the models describe, on both backends, as one chain."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from db.engine import Database
from db.migrate import alembic_config
from db.schema import METADATA


def test_models_and_migrations_agree(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
        differences = compare_metadata(context, METADATA)
    assert differences == []


def test_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_head_read_from_files_matches_alembic() -> None:
    from db.migrate import head_revision

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert head_revision() == script.get_current_head()


def test_upgrade_if_needed_skips_a_current_database(db: Database) -> None:
    from db.migrate import upgrade_if_needed

    assert upgrade_if_needed(db.url) is False
