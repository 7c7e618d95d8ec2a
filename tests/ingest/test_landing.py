"""gzip NDJSON parts: deterministic bytes, the size bound, and the two sinks behind one path."""

from __future__ import annotations

import gzip
import random
import zlib

import boto3
import duckdb
from moto import mock_aws

from ingest_lambda.landing import FEED_BYTES, RAW_PREFIX, PartWriter, gzip_bytes, object_key
from ingest_lambda.sinks import LocalSink, S3Sink
from tests.ingest.conftest import MemorySink


def lines(n: int) -> list[bytes]:
    return [f'{{"request_id":"r-{i:05d}","pad":"{"x" * (i % 50)}"}}'.encode() for i in range(n)]


def write(sink, items: list[bytes], part_max_bytes: int = 1 << 20) -> list[str]:
    writer = PartWriter(sink, RAW_PREFIX, "2026-11-20", "stem", part_max_bytes)
    writer.add_many(items)
    return writer.close()


def test_parts_respect_the_bound_and_keep_every_line_in_order() -> None:
    # Given 3000 lines and a 20 kB part bound
    items = lines(3000)
    sink = MemorySink()

    # When they are written
    keys = write(sink, items, part_max_bytes=20_000)

    # Then there are several parts, each within the bound, named in order, holding every line once
    assert len(keys) > 5
    assert keys == [object_key(RAW_PREFIX, "2026-11-20", "stem", i) for i in range(len(keys))]
    assert keys[0] == "raw/request_events/ingest_date=2026-11-20/stem-0000.json.gz"
    decoded = [gzip.decompress(sink.objects[k]) for k in keys]
    assert all(len(d) <= 20_000 for d in decoded)
    assert b"".join(decoded) == b"".join(line + b"\n" for line in items)


def test_bytes_are_deterministic_with_no_clock_or_name_in_the_header() -> None:
    # Given the same lines written twice, by two writers
    a, b = MemorySink(), MemorySink()

    # When both finish
    write(a, lines(500))
    write(b, lines(500))

    # Then the objects are identical and the gzip header has mtime 0 and no file name
    assert a.objects == b.objects
    body = next(iter(a.objects.values()))
    assert body[:4] == b"\x1f\x8b\x08\x00"  # magic, deflate, no FNAME flag
    assert body[4:8] == b"\x00\x00\x00\x00"  # mtime 0
    assert gzip_bytes(b"".join(line + b"\n" for line in lines(500))) == body
    # And zlib's own gzip reader agrees with the trailer (CRC and length).
    assert zlib.decompress(body, 31) == gzip.decompress(body)


def test_a_parts_bytes_depend_only_on_its_lines_not_on_how_they_were_handed_in() -> None:
    # Given 2.5 MiB of lines (more than two compressor slices), handed to three writers differently:
    # as one block, as many blocks of random sizes, and as line lists of random sizes
    rng = random.Random(7)
    # Random-looking text: on very repetitive lines ISA-L happens to give the same bytes either way.
    items = [f'{{"request_id":"r-{i}","pad":"{rng.getrandbits(200):x}"}}'.encode() for i in range(30_000)]
    data = b"".join(line + b"\n" for line in items)
    assert len(data) > 2 * FEED_BYTES
    whole, blocks, lists = MemorySink(), MemorySink(), MemorySink()
    writers = [PartWriter(s, RAW_PREFIX, "2026-11-20", "stem", 1 << 30) for s in (whole, blocks, lists)]
    writers[0].add_block(data)
    start = 0
    while start < len(items):
        end = min(len(items), start + rng.choice([1, 7, 300, 5000]))
        writers[1].add_block(b"".join(line + b"\n" for line in items[start:end]), end - start)
        writers[2].add_many(items[start:end])
        start = end

    # When they are closed
    keys = [w.close() for w in writers]

    # Then all three objects are the same bytes, the one-shot gzip of the lines, and hold every line
    assert keys == [["raw/request_events/ingest_date=2026-11-20/stem-0000.json.gz"]] * 3
    key = keys[0][0]
    assert whole.objects[key] == blocks.objects[key] == lists.objects[key] == gzip_bytes(data)
    assert gzip.decompress(whole.objects[key]) == data
    assert [w.lines for w in writers] == [len(items)] * 3


def test_duckdb_reads_the_landed_objects_as_ndjson(tmp_path) -> None:
    # Given lines landed in a local lake, over several parts
    keys = write(LocalSink(tmp_path), lines(3000), part_max_bytes=20_000)
    assert len(keys) > 2

    # When DuckDB reads them the way the dbt source does
    pattern = str(tmp_path / "raw/request_events/ingest_date=*/*.json.gz")
    count, first, last = duckdb.sql(
        f"select count(*), min(request_id), max(request_id) from read_json('{pattern}', "
        "format='newline_delimited', hive_partitioning=true)"
    ).fetchone()

    # Then every line is there
    assert (count, first, last) == (3000, "r-00000", "r-02999")


def test_nothing_is_written_for_no_lines() -> None:
    # Given a writer that gets no lines
    sink = MemorySink()

    # When it is closed
    keys = write(sink, [])

    # Then no empty object is created
    assert keys == []
    assert sink.objects == {}


def test_a_line_larger_than_the_bound_gets_its_own_part() -> None:
    # Given lines around one that alone exceeds the bound
    items = [b"a" * 10, b"b" * 5000, b"c" * 10]
    sink = MemorySink()

    # When written with a 1 kB bound
    keys = write(sink, items, part_max_bytes=1000)

    # Then nothing is lost and the big line sits alone
    assert [gzip.decompress(sink.objects[k]) for k in keys] == [
        b"a" * 10 + b"\n",
        b"b" * 5000 + b"\n",
        b"c" * 10 + b"\n",
    ]


def test_local_and_s3_sinks_hold_the_same_bytes(tmp_path) -> None:
    # Given the same lines landed into a directory and into a (moto) S3 bucket
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-2")
        s3.create_bucket(Bucket="lake", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        s3_keys = write(S3Sink(s3, "lake"), lines(2000), part_max_bytes=30_000)
        local_keys = write(LocalSink(tmp_path), lines(2000), part_max_bytes=30_000)

        # When both are read back
        listed = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="lake")["Contents"])
        s3_bodies = [s3.get_object(Bucket="lake", Key=k)["Body"].read() for k in s3_keys]

    # Then keys and bytes are the same, with no temp files left behind locally
    assert listed == s3_keys == local_keys
    assert s3_bodies == [(tmp_path / k).read_bytes() for k in local_keys]
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == local_keys
    assert S3Sink(boto3.client("s3", region_name="eu-west-2"), "lake").describe() == "s3://lake"
