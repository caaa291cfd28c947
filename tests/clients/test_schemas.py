"""Schemas through real clients: SQLAlchemy reflection with schema=, pandas to_sql /
read_sql_table with schema=, and psql's \\dn, \\dt s.* and \\d s.t."""

import subprocess

import pandas as pd
import pytest
import sqlalchemy as sa

DRIVERS = ["psycopg2", "psycopg"]


def psql(server, *args):
    return subprocess.run(
        ["psql", "-X", server.dsn(), *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


SETUP = [
    "CREATE SCHEMA sales",
    "CREATE TABLE sales.customers (id int PRIMARY KEY, name text NOT NULL)",
    "CREATE TABLE sales.orders (id serial PRIMARY KEY, customer_id int REFERENCES sales.customers (id), amount numeric(10,2))",
    "CREATE TABLE audit (id int PRIMARY KEY, order_id int REFERENCES sales.orders (id))",
    "INSERT INTO sales.customers VALUES (1, 'ann'), (2, 'bob')",
    "INSERT INTO sales.orders (customer_id, amount) VALUES (1, 9.50), (2, 3.25)",
]


def setup(engine):
    with engine.begin() as c:
        for sql in SETUP:
            c.execute(sa.text(sql))


@pytest.mark.parametrize("driver", DRIVERS)
def test_sqlalchemy_reflects_schemas(server, driver):
    engine = sa.create_engine(server.url(driver))
    setup(engine)
    insp = sa.inspect(engine)
    assert "sales" in insp.get_schema_names()
    assert "public" in insp.get_schema_names()
    assert sorted(insp.get_table_names(schema="sales")) == ["customers", "orders"]
    assert insp.get_table_names() == ["audit"]
    columns = insp.get_columns("orders", schema="sales")
    assert [c["name"] for c in columns] == ["id", "customer_id", "amount"]
    assert insp.get_pk_constraint("customers", schema="sales")["constrained_columns"] == ["id"]
    fks = insp.get_foreign_keys("orders", schema="sales")
    assert len(fks) == 1
    assert fks[0]["referred_schema"] in ("sales", None)
    assert fks[0]["referred_table"] == "customers"
    assert fks[0]["referred_columns"] == ["id"]
    cross = insp.get_foreign_keys("audit")
    assert cross[0]["referred_schema"] == "sales"
    assert cross[0]["referred_table"] == "orders"
    assert insp.has_table("orders", schema="sales")
    assert not insp.has_table("orders")

    meta = sa.MetaData()
    orders = sa.Table("orders", meta, autoload_with=engine, schema="sales")
    with engine.connect() as c:
        rows = c.execute(sa.select(orders.c.id, orders.c.amount).order_by(orders.c.id)).all()
    assert [(r[0], float(r[1])) for r in rows] == [(1, 9.5), (2, 3.25)]


@pytest.mark.parametrize("driver", DRIVERS)
def test_pandas_to_sql_and_read_sql_table_with_schema(server, driver):
    engine = sa.create_engine(server.url(driver))
    with engine.begin() as c:
        c.execute(sa.text("CREATE SCHEMA ml"))
    df = pd.DataFrame({"id": [1, 2, 3], "label": ["a", "b", None]})
    df.to_sql("preds", engine, schema="ml", index=False)
    back = pd.read_sql_table("preds", engine, schema="ml")
    assert back["id"].tolist() == [1, 2, 3]
    assert back["label"].tolist()[:2] == ["a", "b"]
    df.to_sql("preds", engine, schema="ml", index=False, if_exists="append")
    assert pd.read_sql("SELECT count(*) AS n FROM ml.preds", engine)["n"].tolist() == [6]
    df.to_sql("preds", engine, schema="ml", index=False, if_exists="replace")
    assert pd.read_sql_table("preds", engine, schema="ml").shape == (3, 2)
    # The public schema has no such table.
    assert not sa.inspect(engine).has_table("preds")


def test_psql_describes_schemas(server):
    engine = sa.create_engine(server.url("psycopg2"))
    setup(engine)
    listing = psql(server, "-c", "\\dn")
    assert "sales" in listing and "public" in listing
    tables = psql(server, "-c", "\\dt sales.*")
    assert "customers" in tables and "orders" in tables and "audit" not in tables
    described = psql(server, "-c", "\\d sales.orders")
    assert 'Table "sales.orders"' in described
    assert "customer_id" in described
    assert "orders_pkey" in described
    search = psql(server, "-A", "-t", "-c", "SET search_path TO sales, public", "-c", "SELECT count(*) FROM orders")
    assert search.strip().splitlines()[-1] == "2"
