"""SQLAlchemy 2 (Core, ORM, reflection) with psycopg2 and psycopg 3 against vdb serve."""

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

DRIVERS = ["psycopg2", "psycopg"]


def models():
    class Base(DeclarativeBase):
        pass

    class Dataset(Base):
        __tablename__ = "datasets"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(sa.String(50), unique=True)
        examples: Mapped[list["Example"]] = relationship(back_populates="dataset")

    class Example(Base):
        __tablename__ = "examples"
        __table_args__ = (sa.CheckConstraint("label >= 0", name="label_nonneg"),)
        id: Mapped[int] = mapped_column(primary_key=True)
        dataset_id: Mapped[int] = mapped_column(sa.ForeignKey("datasets.id", ondelete="CASCADE"))
        text: Mapped[str] = mapped_column(sa.Text, index=True)
        label: Mapped[int | None]
        score: Mapped[float] = mapped_column(server_default=sa.text("0.5"))
        dataset: Mapped[Dataset] = relationship(back_populates="examples")

    return Base, Dataset, Example


@pytest.mark.parametrize("driver", DRIVERS)
def test_orm_crud_relationships_and_integrity_errors(server, driver):
    engine = sa.create_engine(server.url(driver))
    Base, Dataset, Example = models()
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        ds = Dataset(name="cats", examples=[Example(text=f"ex{i}", label=i % 2) for i in range(5)])
        s.add(ds)
        s.commit()
        assert ds.id == 1, "SERIAL ids come back through RETURNING"
        assert sorted(e.id for e in ds.examples) == [1, 2, 3, 4, 5]
    with Session(engine) as s:
        ds = s.scalars(sa.select(Dataset).where(Dataset.name == "cats")).one()
        assert [e.text for e in sorted(ds.examples, key=lambda e: e.id)] == [f"ex{i}" for i in range(5)]
        assert {e.score for e in ds.examples} == {0.5}
        ds.examples[0].label = 7
        s.commit()
        s.add(Dataset(name="cats"))
        with pytest.raises(sa.exc.IntegrityError) as excinfo:
            s.commit()
        orig = excinfo.value.orig
        assert (getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)) == "23505"
        s.rollback()
        s.execute(sa.delete(Dataset).where(Dataset.name == "cats"))
        s.commit()
        assert s.scalar(sa.select(sa.func.count()).select_from(Example)) == 0, "ON DELETE CASCADE"
    Base.metadata.drop_all(engine)
    assert sa.inspect(engine).get_table_names() == []


@pytest.mark.parametrize("driver", DRIVERS)
def test_inspector_reflects_what_create_all_made(server, driver):
    engine = sa.create_engine(server.url(driver))
    Base, _, _ = models()
    Base.metadata.create_all(engine)
    insp = sa.inspect(engine)
    assert sorted(insp.get_table_names()) == ["datasets", "examples"]
    columns = {c["name"]: c for c in insp.get_columns("examples")}
    assert list(columns) == ["id", "dataset_id", "text", "label", "score"]
    assert isinstance(columns["id"]["type"], sa.Integer)
    assert isinstance(columns["text"]["type"], sa.Text)
    assert columns["label"]["nullable"] is True and columns["text"]["nullable"] is False
    assert columns["id"]["default"] == "nextval('examples_id_seq'::regclass)"
    assert insp.get_pk_constraint("examples")["constrained_columns"] == ["id"]
    fks = insp.get_foreign_keys("examples")
    assert [(f["constrained_columns"], f["referred_table"], f["referred_columns"]) for f in fks] == [
        (["dataset_id"], "datasets", ["id"])
    ]
    assert fks[0]["options"].get("ondelete") == "CASCADE"
    assert [(i["name"], i["column_names"]) for i in insp.get_indexes("examples")] == [
        ("ix_examples_text", ["text"])
    ]
    assert [u["column_names"] for u in insp.get_unique_constraints("datasets")] == [["name"]]
    assert [c["name"] for c in insp.get_check_constraints("examples")] == ["label_nonneg"]
    # Reflection into a fresh MetaData gives usable tables.
    meta = sa.MetaData()
    meta.reflect(engine)
    with engine.begin() as conn:
        conn.execute(meta.tables["datasets"].insert().values(name="dogs"))
        assert conn.execute(sa.select(meta.tables["datasets"].c.name)).scalars().all() == ["dogs"]


@pytest.mark.parametrize("driver", DRIVERS)
def test_expression_and_partial_indexes_round_trip_through_metadata(server, driver):
    """Indexes declared with SQLAlchemy's PostgreSQL options are created, enforced and
    reflected as PostgreSQL 15 reflects them."""
    engine = sa.create_engine(server.url(driver))
    meta = sa.MetaData()
    users = sa.Table(
        "users_ix",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.Text),
        sa.Column("n", sa.Integer),
        sa.Column("deleted", sa.Date),
    )
    sa.Index(
        "users_ix_email_live",
        sa.func.lower(users.c.email),
        unique=True,
        postgresql_where=users.c.deleted.is_(None),
    )
    sa.Index("users_ix_n", users.c.n.desc(), users.c.email, postgresql_include=["deleted"])
    meta.create_all(engine)
    with engine.begin() as conn:
        rows = [
            {"id": 1, "email": "A@x", "deleted": None},
            {"id": 2, "email": "a@X", "deleted": "2024-01-01"},
        ]
        conn.execute(users.insert(), rows)
    with pytest.raises(sa.exc.IntegrityError):
        with engine.begin() as conn:
            conn.execute(users.insert().values(id=3, email="a@x"))
    indexes = sorted(sa.inspect(engine).get_indexes("users_ix"), key=lambda i: i["name"])
    assert indexes == [
        {
            "name": "users_ix_email_live",
            "unique": True,
            "column_names": [None],
            "expressions": ["lower(email)"],
            "dialect_options": {"postgresql_where": "(deleted IS NULL)", "postgresql_include": []},
        },
        {
            "name": "users_ix_n",
            "unique": False,
            "column_names": ["n", "email"],
            "column_sorting": {"n": ("desc",)},
            "dialect_options": {"postgresql_include": ["deleted"]},
        },
    ]
    meta.drop_all(engine)


@pytest.mark.parametrize("driver", DRIVERS)
def test_core_insertmanyvalues_returning(server, driver):
    engine = sa.create_engine(server.url(driver))
    meta = sa.MetaData()
    t = sa.Table(
        "t",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("v", sa.String(20)),
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        rows = conn.execute(
            t.insert().returning(t.c.id, t.c.v), [{"v": f"r{i}"} for i in range(50)]
        ).all()
    assert [r.id for r in rows] == list(range(1, 51))
    assert rows[-1].v == "r49"


@pytest.mark.parametrize("driver", DRIVERS)
def test_comments_and_json_columns_reflect(server, driver):
    """A model's `comment=` texts become COMMENT ON statements in create_all and come back
    through reflection; json/jsonb columns reflect without a collation."""
    engine = sa.create_engine(server.url(driver))
    metadata = sa.MetaData()
    sa.Table(
        "runs",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, comment="run number"),
        sa.Column("config", sa.dialects.postgresql.JSONB),
        sa.Column("tags", sa.ARRAY(sa.Text)),
        sa.Column("notes", sa.Text, comment="free text"),
        comment="training runs",
    )
    metadata.drop_all(engine)
    metadata.create_all(engine)
    inspector = sa.inspect(engine)
    assert inspector.get_table_comment("runs") == {"text": "training runs"}
    columns = {c["name"]: c for c in inspector.get_columns("runs")}
    assert columns["id"]["comment"] == "run number"
    assert columns["notes"]["comment"] == "free text"
    assert columns["config"]["comment"] is None
    assert isinstance(columns["config"]["type"], sa.dialects.postgresql.JSONB)
    reflected = sa.Table("runs", sa.MetaData(), autoload_with=engine)
    assert reflected.comment == "training runs"
    with engine.begin() as conn:
        conn.execute(sa.text("COMMENT ON TABLE runs IS NULL"))
    assert sa.inspect(engine).get_table_comment("runs") == {"text": None}


@pytest.mark.parametrize("driver", DRIVERS)
def test_native_enum_columns_create_query_reflect_and_drop(server, driver):
    engine = sa.create_engine(server.url(driver))
    meta = sa.MetaData()
    kind = sa.Enum("dog", "cat", "bird", name="kind")
    pets = sa.Table(
        "pets",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("k", kind, nullable=True),
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            pets.insert(),
            [{"id": 1, "k": "cat"}, {"id": 2, "k": "dog"}, {"id": 3, "k": "bird"}, {"id": 4, "k": None}],
        )
        with pytest.raises(sa.exc.DataError):
            with conn.begin_nested():
                conn.execute(pets.insert(), {"id": 5, "k": "fish"})
    with engine.connect() as conn:
        # Label order (dog < cat < bird), not text order.
        rows = conn.execute(sa.select(pets.c.id, pets.c.k).where(pets.c.k != None).order_by(pets.c.k)).all()  # noqa: E711
        assert rows == [(2, "dog"), (1, "cat"), (3, "bird")]
        assert conn.execute(sa.select(pets.c.id).where(pets.c.k == "cat")).scalars().all() == [1]
        assert conn.execute(sa.select(pets.c.id).where(pets.c.k > "dog").order_by(pets.c.id)).scalars().all() == [1, 3]
    inspector = sa.inspect(engine)
    assert inspector.get_enums() == [
        {"name": "kind", "schema": "public", "visible": True, "labels": ["dog", "cat", "bird"]}
    ]
    (column,) = [c for c in inspector.get_columns("pets") if c["name"] == "k"]
    assert isinstance(column["type"], sa.Enum)
    assert column["type"].name == "kind"
    assert list(column["type"].enums) == ["dog", "cat", "bird"]
    reflected = sa.Table("pets", sa.MetaData(), autoload_with=engine)
    assert list(reflected.c.k.type.enums) == ["dog", "cat", "bird"]
    meta.drop_all(engine)
    assert sa.inspect(engine).get_enums() == []
    assert sa.inspect(engine).get_table_names() == []


@pytest.mark.parametrize("driver", DRIVERS)
def test_computed_columns_are_created_filled_and_reflected(server, driver):
    """`sa.Computed(...)` becomes a STORED generated column: vdb fills it on insert and
    update, and reflection gives back its expression as `computed`."""
    engine = sa.create_engine(server.url(driver))
    metadata = sa.MetaData()
    scores = sa.Table(
        "scored",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tp", sa.Integer),
        sa.Column("fp", sa.Integer),
        sa.Column("precision", sa.Float, sa.Computed("tp::float8 / nullif(tp + fp, 0)", persisted=True)),
    )
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(scores.insert(), [{"id": 1, "tp": 3, "fp": 1}, {"id": 2, "tp": 0, "fp": 0}])
        conn.execute(scores.update().where(scores.c.id == 2).values(tp=1, fp=1))
        rows = conn.execute(sa.select(scores.c.id, scores.c.precision).order_by("id")).all()
    assert rows == [(1, 0.75), (2, 0.5)]
    columns = {c["name"]: c for c in sa.inspect(engine).get_columns("scored")}
    assert columns["precision"]["computed"]["persisted"] is True
    assert "nullif" in columns["precision"]["computed"]["sqltext"]
    assert "computed" not in columns["tp"]
    metadata.drop_all(engine)


@pytest.mark.parametrize("driver", DRIVERS)
def test_identity_columns_are_created_and_reflected(server, driver):
    """`sa.Identity(...)` becomes GENERATED ... AS IDENTITY: reflection gives back `identity`
    with its options and no server default, as it does on PostgreSQL, and a serial column
    keeps its nextval default."""
    engine = sa.create_engine(server.url(driver))
    metadata = sa.MetaData()
    runs = sa.Table(
        "runs",
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(always=True, start=100, increment=10), primary_key=True),
        sa.Column("seq", sa.Integer, sa.Identity(always=False)),
        sa.Column("name", sa.Text),
    )
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(runs.insert(), [{"name": "a"}, {"name": "b"}])
        rows = conn.execute(sa.select(runs.c.id, runs.c.seq, runs.c.name).order_by("id")).all()
    assert rows == [(100, 1, "a"), (110, 2, "b")]
    columns = {c["name"]: c for c in sa.inspect(engine).get_columns("runs")}
    identity = columns["id"]["identity"]
    assert identity["always"] is True
    assert (identity["start"], identity["increment"]) == (100, 10)
    assert identity["maxvalue"] == 9223372036854775807
    assert columns["id"]["default"] is None
    assert columns["seq"]["identity"]["always"] is False
    assert "identity" not in columns["name"]
    metadata.drop_all(engine)


@pytest.mark.parametrize("driver", DRIVERS)
def test_standalone_sequences_are_seen_by_checkfirst_and_reflection(server, driver):
    """A `sa.Sequence` of its own: create_all finds it in pg_class the second time (so it does
    not create it twice), next_value() draws from it, and the inspector lists it."""
    engine = sa.create_engine(server.url(driver))
    metadata = sa.MetaData()
    ids = sa.Sequence("batch_ids", start=7, increment=3, metadata=metadata)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    metadata.create_all(engine)
    with engine.begin() as conn:
        drawn = [conn.execute(ids.next_value()).scalar() for _ in range(2)]
    assert drawn == [7, 10]
    assert "batch_ids" in sa.inspect(engine).get_sequence_names()
    assert sa.inspect(engine).has_sequence("batch_ids")
    metadata.drop_all(engine)
    assert not sa.inspect(engine).has_sequence("batch_ids")


@pytest.mark.parametrize("driver", DRIVERS)
def test_domain_columns_create_check_reflect_and_drop(server, driver):
    from sqlalchemy.dialects.postgresql import DOMAIN

    engine = sa.create_engine(server.url(driver))
    meta = sa.MetaData()
    score = DOMAIN(
        "score",
        sa.Numeric(4, 2),
        not_null=True,
        default=sa.text("0"),
        check="VALUE >= 0 AND VALUE <= 10",
    )
    evals = sa.Table(
        "evals",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("s", score),
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(evals.insert(), {"id": 1, "s": 9.5})
        # The column left out takes the domain's default.
        conn.execute(evals.insert(), {"id": 2})
        with pytest.raises(sa.exc.IntegrityError, match='domain score violates check constraint "score_check"'):
            with conn.begin_nested():
                conn.execute(evals.insert(), {"id": 3, "s": 11})
        with pytest.raises(sa.exc.IntegrityError, match="does not allow null values"):
            with conn.begin_nested():
                conn.execute(evals.insert(), {"id": 4, "s": None})
    with engine.connect() as conn:
        rows = conn.execute(sa.select(evals.c.id, evals.c.s).order_by(evals.c.id)).all()
        assert [(i, float(s)) for i, s in rows] == [(1, 9.5), (2, 0.0)]
    inspector = sa.inspect(engine)
    (domain,) = inspector.get_domains()
    assert domain["name"] == "score"
    assert domain["type"] == "numeric"
    assert domain["nullable"] is False
    assert domain["default"] == "0"
    assert domain["constraints"] == [
        {"name": "score_check", "check": "VALUE >= 0::numeric AND VALUE <= 10::numeric"}
    ]
    (column,) = [c for c in inspector.get_columns("evals") if c["name"] == "s"]
    assert isinstance(column["type"], DOMAIN)
    assert column["type"].name == "score"
    meta.drop_all(engine)
    assert sa.inspect(engine).get_domains() == []


@pytest.mark.parametrize("driver", DRIVERS)
def test_deferred_foreign_keys_wait_for_commit_and_reflect(server, driver):
    engine = sa.create_engine(server.url(driver))
    meta = sa.MetaData()
    parents = sa.Table("parents", meta, sa.Column("id", sa.Integer, primary_key=True))
    children = sa.Table(
        "children",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "parent_id",
            sa.Integer,
            sa.ForeignKey("parents.id", deferrable=True, initially="DEFERRED"),
        ),
    )
    meta.create_all(engine)
    # The child goes in before its parent: fine, as long as the parent is there at COMMIT.
    with engine.begin() as conn:
        conn.execute(children.insert(), {"id": 1, "parent_id": 10})
        conn.execute(parents.insert(), {"id": 10})
    with pytest.raises(sa.exc.IntegrityError, match="violates foreign key constraint"):
        with engine.begin() as conn:
            conn.execute(children.insert(), {"id": 2, "parent_id": 20})
    with engine.connect() as conn:
        assert conn.execute(sa.select(children.c.id, children.c.parent_id)).all() == [(1, 10)]
    (fk,) = sa.inspect(engine).get_foreign_keys("children")
    assert fk["referred_table"] == "parents"
    assert fk["options"] == {"deferrable": True, "initially": "DEFERRED"}
    meta.drop_all(engine)


@pytest.mark.parametrize("driver", DRIVERS)
def test_reflected_tables_copy_and_json_paths_read_as_written(server, driver):
    """A table reflected and created again in another schema (SQLAlchemy writes its unique
    constraints `UNIQUE NULLS DISTINCT`) holds the same rows; `sa.JSON` columns (json, not
    jsonb) answer `->`/`->>` paths with the text the document was written with."""
    engine = sa.create_engine(server.url(driver))
    metadata = sa.MetaData()
    labels = sa.Table(
        "label_sets",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40), unique=True),
        sa.Column("meta", sa.JSON),
    )
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS lab_copy CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA lab_copy"))
        conn.execute(
            sa.text("INSERT INTO label_sets VALUES (1, 'a', '{\"src\": {\"tool\" :  \"cvat\"}}')")
        )
        conn.execute(labels.insert(), [{"id": 2, "name": "b", "meta": {"src": {"tool": "x"}}}])
    reflected = sa.Table("label_sets", sa.MetaData(), autoload_with=engine)
    copy_metadata = sa.MetaData()
    copy = reflected.to_metadata(copy_metadata, schema="lab_copy")
    copy_metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO lab_copy.label_sets SELECT * FROM label_sets"))
        names = conn.execute(sa.select(copy.c.name).order_by(copy.c.id)).scalars().all()
        assert names == ["a", "b"]
        with pytest.raises(sa.exc.IntegrityError):
            with conn.begin_nested():
                conn.execute(copy.insert(), [{"id": 3, "name": "a"}])
        raw = conn.execute(
            sa.text("SELECT meta -> 'src', meta #>> '{src,tool}' FROM label_sets WHERE id = 1")
        ).one()
        assert raw[1] == "cvat"
        # The sub-document as written (psycopg parses json results into Python values).
        text = conn.execute(
            sa.text("SELECT (meta -> 'src')::text FROM label_sets WHERE id = 1")
        ).scalar_one()
        assert text == '{"tool" :  "cvat"}'
        tools = conn.execute(
            sa.select(labels.c.meta["src"]["tool"].as_string()).order_by(labels.c.id)
        ).scalars().all()
        assert tools == ["cvat", "x"]
