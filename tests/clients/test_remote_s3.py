"""Remotes on a real S3-compatible server: moto's S3 server on 127.0.0.1, driven by the `vdb`
CLI with the usual AWS environment variables. Clone, push, fetch, pull with a merge, two
clones racing with one rejected as a non-fast-forward, an interrupted push and its retry, and
the bytes an incremental push sends."""

import os
import re
import subprocess
import sys
import time

import boto3
import pytest

from conftest import free_port

BUCKET = "vdb-remote-test"


@pytest.fixture(scope="module")
def s3():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_REGION="us-east-1",
    )
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    deadline = time.time() + 30
    while True:
        try:
            client.create_bucket(Bucket=BUCKET)
            break
        except Exception:
            if time.time() > deadline or process.poll() is not None:
                process.kill()
                raise
            time.sleep(0.1)
    yield endpoint, env, client
    process.terminate()
    process.wait(timeout=10)


def vdb(env, cwd, *args, check=True, extra_env=None):
    result = subprocess.run(
        [os.environ["VDB_BIN"], *args],
        cwd=cwd,
        env=dict(env, **(extra_env or {})),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"vdb {' '.join(args)} failed: {result.stderr}")
    return result


def count(env, cwd, table="t"):
    out = vdb(env, cwd, "sql", "--format", "csv", "-c", f"SELECT count(*) FROM {table}").stdout
    return int(out.splitlines()[1])


def insert(env, cwd, ids, label):
    sql = f"INSERT INTO t SELECT g, '{label}' || g FROM generate_series({ids.start}, {ids.stop - 1}) g"
    vdb(env, cwd, "sql", "-c", sql)
    vdb(env, cwd, "commit", "-am", f"insert {label}")


def pushed_bytes(output):
    """Bytes a `vdb push` reported sending."""
    m = re.search(r"Pushed (\d+) chunks \((\d+) bytes", output)
    assert m, output
    return int(m.group(2))


def test_clone_push_pull_race_and_interrupted_push(s3, tmp_path):
    endpoint, env, client = s3
    url = f"s3://{BUCKET}/team/db"
    opts = ["--endpoint", endpoint, "--allow-http"]
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    vdb(env, tmp_path, "init", "a")
    vdb(env, a, "sql", "-c", "CREATE TABLE t (id int PRIMARY KEY, v text)")
    insert(env, a, range(0, 10000), "initial-")
    vdb(env, a, "remote", "add", "origin", url, *opts)
    first = pushed_bytes(vdb(env, a, "push").stdout)
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert all(k.startswith("team/db/") for k in keys), keys

    vdb(env, tmp_path, "clone", url, "b", *opts)
    assert count(env, b) == 10000

    # Both clones commit; b pushes first, so a's push is not a fast-forward.
    insert(env, b, range(15000, 15010), "b")
    insert(env, a, range(16000, 16010), "a")
    vdb(env, b, "push")
    rejected = vdb(env, a, "push", check=False)
    assert rejected.returncode == 1
    assert "not a fast-forward" in rejected.stderr
    vdb(env, a, "pull")
    assert count(env, a) == 10020
    vdb(env, a, "push")
    vdb(env, b, "pull")
    assert count(env, b) == 10020

    # An incremental push of 100 changed rows sends a small fraction of the first push.
    vdb(env, a, "sql", "-c", "UPDATE t SET v = 'changed' WHERE id BETWEEN 1000 AND 1099")
    vdb(env, a, "commit", "-am", "change 100 rows")
    incremental = pushed_bytes(vdb(env, a, "push").stdout)
    assert incremental * 5 < first, (incremental, first)

    # A push cut before its manifest leaves the remote as it was; the retry resumes.
    insert(env, a, range(17000, 17500), "late")
    cut = vdb(env, a, "push", check=False, extra_env={"VDB_TEST_FAIL_PUTS_UNDER": "manifests"})
    assert cut.returncode == 1, cut.stdout
    vdb(env, tmp_path, "clone", url, "c", *opts)
    assert count(env, c) == 10020
    retry = vdb(env, a, "push").stdout
    assert pushed_bytes(retry) < 1024, retry
    vdb(env, c, "pull")
    assert count(env, c) == 10520
