"""Run by the lab cloud's own Python (never the toolkit's): create Neutron's schema on SQLite.

`neutron-db-manage upgrade` fails on SQLite (its migrations alter columns in place); the
models' metadata is the same schema as the head revision, so it is created from them.
Usage: python neutron_schema.py SQLITE_PATH
"""

import sys

from neutron.db.migration.models import head
from sqlalchemy import create_engine


def main(path: str) -> None:
    engine = create_engine(f"sqlite:///{path}")
    head.get_metadata().create_all(engine)
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1])
