"""pandas read_sql / read_sql_table / to_sql through SQLAlchemy against vdb serve."""

import pandas as pd
import pytest
import sqlalchemy as sa


@pytest.mark.parametrize("driver", ["psycopg2", "psycopg"])
def test_pandas_round_trips_a_dataframe(server, driver):
    engine = sa.create_engine(server.url(driver))
    df = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "text": ["cat", "dog", None],
            "score": [0.25, 0.5, float("nan")],
            "ok": [True, False, True],
        }
    )
    # The count to_sql reports depends on the driver (psycopg 3 reports -1, as it does
    # against PostgreSQL); what the table holds is checked below.
    df.to_sql("preds", engine, index=False)
    back = pd.read_sql("SELECT * FROM preds ORDER BY id", engine)
    assert list(back.columns) == ["id", "text", "score", "ok"]
    assert back["id"].tolist() == [1, 2, 3]
    assert back["text"].tolist()[:2] == ["cat", "dog"] and back["text"].isna().tolist()[2]
    assert back["score"].tolist()[:2] == [0.25, 0.5] and pd.isna(back["score"].tolist()[2])
    assert back["ok"].tolist() == [True, False, True]

    df.to_sql("preds", engine, index=False, if_exists="append", method="multi")
    assert pd.read_sql_table("preds", engine).shape == (6, 4)
    df.head(1).to_sql("preds", engine, index=False, if_exists="replace")
    assert pd.read_sql_table("preds", engine).shape == (1, 4)

    selected = pd.read_sql(
        sa.text("SELECT id, text FROM preds WHERE id = :id"), engine, params={"id": 1}
    )
    assert selected.to_dict("records") == [{"id": 1, "text": "cat"}]


def test_parquet_from_pandas_imports_and_exports_back(tmp_path):
    """A DataFrame written to Parquet by pandas (pyarrow) goes into vdb with its types, is
    queried over the wire, and comes back out as a Parquet file pandas reads, whose metadata
    names the commit the data came from."""
    import datetime as dt
    import os
    import subprocess

    import pyarrow.parquet as pq
    from conftest import start, stop

    vdb = os.environ["VDB_BIN"]
    data = tmp_path / "db"
    subprocess.run([vdb, "init", str(data)], check=True, capture_output=True)

    def run(*args):
        return subprocess.run(
            [vdb, "--data-dir", str(data), *args], check=True, capture_output=True, text=True
        ).stdout

    df = pd.DataFrame(
        {
            "id": pd.array([1, 2, 3], dtype="int64"),
            "text": ["cat", None, "dög"],
            "score": [0.25, float("nan"), 1.0],
            "ok": [True, False, None],
            "seen": pd.to_datetime(["2024-01-01 10:00:00", None, "2024-03-01 00:00:00.123456"], format="ISO8601"),
            "at": pd.to_datetime(["2024-01-01T00:00:00Z"] * 3, utc=True),
            "votes": pd.array([1, None, 3], dtype="Int64"),
            "embedding": [[0.5, 0.25], None, []],
            "day": [dt.date(2024, 2, 29), None, dt.date(1969, 12, 31)],
        }
    )
    src = tmp_path / "labels.parquet"
    df.to_parquet(src, compression="zstd", index=False)
    assert "3 rows imported" in run("table", "import", "--create", "--pk", "id", "labels", str(src))
    run("add", "labels")
    run("commit", "-m", "labels from pandas")
    head = run("sql", "--format", "csv", "-q", "select vdb_hashof('HEAD') as h").split()[1]

    server = start(data)
    try:
        engine = sa.create_engine(server.url("psycopg"))
        types = pd.read_sql(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'labels' ORDER BY ordinal_position",
            engine,
        )
        assert types["data_type"].tolist() == [
            "bigint", "text", "double precision", "boolean", "timestamp without time zone",
            "timestamp with time zone", "bigint", "ARRAY", "date",
        ]
        back = pd.read_sql("SELECT * FROM labels ORDER BY id", engine)
        assert back["text"].tolist()[::2] == ["cat", "dög"]
        assert back["seen"].tolist()[2] == pd.Timestamp("2024-03-01 00:00:00.123456")
        assert back["embedding"].tolist()[0] == [0.5, 0.25] and back["embedding"].tolist()[2] == []
        engine.dispose()
    finally:
        stop(server)

    out = tmp_path / "out.parquet"
    run("table", "export", "labels", str(out))
    assert pq.read_metadata(out).metadata[b"vdb.commit"].decode() == head
    again = pd.read_parquet(out)
    assert again["id"].tolist() == [1, 2, 3]
    assert again["text"].tolist()[::2] == ["cat", "dög"] and again["text"].isna().tolist()[1]
    assert again["score"].tolist()[::2] == [0.25, 1.0] and pd.isna(again["score"][1])
    assert again["ok"].tolist()[:2] == [True, False]
    assert again["seen"].tolist()[2] == pd.Timestamp("2024-03-01 00:00:00.123456")
    assert str(again["at"].dt.tz) == "UTC"
    assert again["votes"].isna().tolist() == [False, True, False]
    assert list(again["embedding"][0]) == [0.5, 0.25] and list(again["embedding"][2]) == []
    assert again["day"].tolist()[::2] == [dt.date(2024, 2, 29), dt.date(1969, 12, 31)]
