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
