"""Temporary tables over the wire: private to their connection, found by SQLAlchemy's
`get_temp_table_names()`, usable for pandas staging, and never in a commit or `vdb status`."""

import pandas as pd
import psycopg2
import psycopg2.errors
import pytest
import sqlalchemy as sa

DRIVERS = ["psycopg2", "psycopg"]


@pytest.mark.parametrize("driver", DRIVERS)
def test_sqlalchemy_reflects_temporary_tables(server, driver):
    engine = sa.create_engine(server.url(driver))
    with engine.connect() as c:
        c.execute(sa.text("CREATE TABLE target (id int PRIMARY KEY, v text)"))
        c.execute(sa.text("CREATE TEMP TABLE staging AS SELECT 1 AS id, 'x'::text AS v"))
        inspector = sa.inspect(c)
        assert inspector.get_temp_table_names() == ["staging"]
        assert inspector.get_table_names() == ["target"]
        assert [col["name"] for col in inspector.get_columns("staging")] == ["id", "v"]
        frame = pd.DataFrame({"id": [2, 3], "v": ["y", None]})
        frame.to_sql("staging", c, if_exists="append", index=False)
        c.execute(sa.text("INSERT INTO target SELECT id, v FROM staging"))
        c.commit()
        assert pd.read_sql("SELECT id FROM target ORDER BY id", c)["id"].tolist() == [1, 2, 3]


def test_other_connections_and_commits_never_see_them(server):
    a = psycopg2.connect(server.dsn())
    b = psycopg2.connect(server.dsn())
    a.autocommit = b.autocommit = True
    with a.cursor() as ca, b.cursor() as cb:
        ca.execute("CREATE TEMP TABLE scratch (n int)")
        ca.execute("INSERT INTO scratch SELECT generate_series(1, 3)")
        cb.execute("SELECT count(*) FROM pg_class WHERE relname = 'scratch'")
        assert cb.fetchone() == (0,)
        with pytest.raises(psycopg2.errors.UndefinedTable):
            cb.execute("SELECT * FROM scratch")
        ca.execute("SELECT count(*) FROM vdb.status")
        assert ca.fetchone() == (0,)
        ca.execute("SELECT sum(n) FROM scratch")
        assert ca.fetchone() == (6,)
    a.close()
    b.close()
    c = psycopg2.connect(server.dsn())
    with c.cursor() as cc, pytest.raises(psycopg2.errors.UndefinedTable):
        cc.execute("SELECT * FROM scratch")
    c.close()
