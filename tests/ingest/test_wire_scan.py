"""The compiled OTLP traces scanner (`wire_scan`, `scanned`): it gives the same records,
attributes and problems as the protobuf library path on every protobuf fixture and real
export, and untrusted bytes (truncated, bit-flipped, length-forged) never crash it, never make
it read past its buffer, and are only accepted when the library reads them the same way."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numba")

from google.protobuf.message import DecodeError  # noqa: E402
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest  # noqa: E402

from analyzer.ingest.otlp.span_batch import emit  # noqa: E402
from analyzer.ingest.otlp import proto_reader, wire_scan  # noqa: E402
from analyzer.ingest.sink import RecordSink  # noqa: E402
from analyzer.ingest.source import SourceFile  # noqa: E402
from tests.ingest.damage import cut_or_flip  # noqa: E402
from tests.ingest.protobuf_files import protobuf_inputs, requests  # noqa: E402
from tests.conftest import FIXTURES, REALDATA, ROOT, store_contents  # noqa: E402


def _protobuf_inputs() -> list[tuple[Path, str, str]]:
    """(path, mode, kind) of every OTLP protobuf file in the fixtures and, when present,
    ../shared/realdata."""
    return protobuf_inputs(FIXTURES, REALDATA)


def _messages(path: Path, mode: str) -> list[bytes]:
    return [data for data, _ in requests(path, mode)]


def _store_contents(paths, scan_min_bytes, monkeypatch):
    monkeypatch.setattr(proto_reader, "SCAN_MIN_BYTES", scan_min_bytes)
    return store_contents(*paths)


@pytest.mark.parametrize("group_bytes", [0, proto_reader.SCAN_GROUP_BYTES], ids=["one-by-one", "grouped"])
def test_scanner_and_library_give_identical_records_and_problems(group_bytes, monkeypatch, tmp_path):
    """With requests scanned one by one or several at once (SCAN_GROUP_BYTES): a group that
    holds the corrupt request is read request by request, its problem in its place."""
    monkeypatch.setattr(proto_reader, "SCAN_GROUP_BYTES", group_bytes)
    inputs = _protobuf_inputs()
    assert sum(kind == "traces" for _, _, kind in inputs) >= 10
    # a corrupt copy of a fixture stream: its problem must be reported the same way
    stream = next(path for path, mode, kind in inputs if mode == "proto-stream" and kind == "traces")
    data = stream.read_bytes()
    (tmp_path / "cut.pb").write_bytes(data[: len(data) - 7])
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    (tmp_path / "flipped.pb").write_bytes(bytes(flipped))
    paths = [path for path, _, _ in inputs] + [tmp_path / "cut.pb", tmp_path / "flipped.pb"]
    accepted, groups = [], []
    real_batch = proto_reader._scanned_batch
    monkeypatch.setattr(proto_reader, "_scanned_batch",
                        lambda data, prefix, *a: (accepted.append(real_batch(data, prefix, *a)),
                                                  groups.append(isinstance(prefix, list)))[0] or accepted[-1])
    reference = _store_contents(paths, None, monkeypatch)
    assert not accepted  # the library path never called the scanner
    with_scanner = _store_contents(paths, 0, monkeypatch)
    assert sum(batch is not None for batch in accepted) >= 10  # most messages went through the scanner
    assert any(groups) == bool(group_bytes)
    assert with_scanner[2] == reference[2] > 100
    assert with_scanner[1] == reference[1] and any("cut.pb" in row[0] for row in reference[1])
    assert with_scanner[0] == reference[0]


def test_a_group_with_a_corrupt_request_is_read_request_by_request(monkeypatch, tmp_path):
    """Requests scanned together whose middle one is corrupt inside (its framing intact): the
    group's scan fails, each request is read on its own, and the store equals the library's."""
    stream = next(path for path, mode, kind in _protobuf_inputs() if mode == "proto-stream" and kind == "traces")
    request = max(_messages(stream, "proto-stream"), key=len)
    broken = request + b"\x0a\x03\xff\xff\xff"  # a second ResourceSpans of a bad tag: framed, corrupt
    path = tmp_path / "group.pb"
    path.write_bytes(b"".join(len(m).to_bytes(4, "big") + bytes(m) for m in (request, broken, request)))
    grouped = []
    real_batch = proto_reader._scanned_batch
    monkeypatch.setattr(proto_reader, "_scanned_batch",
                        lambda data, prefix, *a: grouped.append((isinstance(prefix, list), real_batch(data, prefix, *a)))
                        or grouped[-1][1])
    reference = _store_contents([path], None, monkeypatch)
    with_scanner = _store_contents([path], 0, monkeypatch)
    assert grouped[0][0] and grouped[0][1] is None  # the group, refused
    assert [g for g, _ in grouped[1:]] == [False] * 3  # then each request
    assert with_scanner == reference and reference[1]


def _rows(data: bytes, use_scanner: bool) -> tuple[list, list] | None:
    src = SourceFile(Path("fuzz.pb"), "fuzz.pb", len(data), file_id="fuzz")
    tables = []
    sink = RecordSink(src, "otlp", "otlp-proto", tables.append)
    if use_scanner:
        batch = proto_reader._scanned_batch(data, "@0", src.path.name)
        if batch is None:
            return None
        emit([(batch, sink)])
    else:
        proto_reader._parse_message(data, "traces", sink, 0, "@0")
    sink.flush()
    return [t.to_pylist() for t in tables], sink.problems


def fuzz_cases(count: int, seed: int) -> list[bytes]:
    """Mutations of the fixtures' trace messages: truncated, bit-flipped, and length-forged
    (a length-delimited field's length byte rewritten)."""
    rng = random.Random(seed)
    seeds = [m for path, mode, kind in _protobuf_inputs() if kind == "traces" for m in _messages(path, mode)]
    seeds = [m for m in seeds if 0 < len(m) < 20_000 and wire_scan.scan(m) is not None]
    cases = []
    for index in range(count):
        data = bytearray(rng.choice(seeds))
        how = index % 3
        if how < 2:
            data = cut_or_flip(data, rng, how)
        else:
            for _ in range(rng.randint(1, 2)):
                at = rng.randrange(len(data) - 1)
                # just after a length-delimited tag: forge the length (short, long, huge varint)
                tags = [i for i in range(len(data) - 1) if data[i] & 7 == 2 and i >= at] or [at]
                spot = tags[0] + 1
                data[spot] = rng.choice([0, 1, 0x7F, 0xFF, (data[spot] + 1) & 0xFF, max(data[spot] - 1, 0)])
        cases.append(bytes(data))
    return cases


def _ranges_within(tables: wire_scan.Tables, size: int) -> bool:
    ws = wire_scan
    ranges = [
        tables.scopes[:, [ws.SC_NAME_A, ws.SC_NAME_B]],
        tables.spans[:, [ws.SP_TRACE_A, ws.SP_TRACE_B, ws.SP_SPAN_A, ws.SP_SPAN_B, ws.SP_PARENT_A, ws.SP_PARENT_B,
                         ws.SP_NAME_A, ws.SP_NAME_B, ws.SP_STATUS_MSG_A, ws.SP_STATUS_MSG_B]],
        tables.events[:, [ws.EV_NAME_A, ws.EV_NAME_B]],
        tables.links[:, [ws.LK_TRACE_A, ws.LK_TRACE_B, ws.LK_SPAN_A, ws.LK_SPAN_B]],
        tables.attrs[:, [ws.AT_KEY_A, ws.AT_KEY_B, ws.AT_VAL_A, ws.AT_VAL_B]],
    ]
    return all((r[:, 0::2] <= r[:, 1::2]).all() and (r <= size).all() for r in ranges)


def test_fuzzed_messages_never_crash_and_are_accepted_only_when_the_library_agrees():
    scanned_count = accepted = 0
    for data in fuzz_cases(4000, seed=9):
        tables = wire_scan.scan(data)
        if tables is None:
            continue
        scanned_count += 1
        assert _ranges_within(tables, len(data))
        rows = _rows(data, True)
        if rows is None:  # a nested value the library rejects: the whole message is left to it
            continue
        accepted += 1
        try:
            ExportTraceServiceRequest.FromString(data)
        except DecodeError as exc:
            pytest.fail(f"the scanner accepted a message the library rejects ({exc}): {data[:64].hex()}...")
        assert rows == _rows(data, False)
    assert 100 < accepted <= scanned_count < 4000  # both outcomes were exercised


def test_fuzzed_messages_never_read_past_the_buffer():
    """The same scanner run as plain Python over numpy arrays (NUMBA_DISABLE_JIT): any index
    past the end of the buffer raises IndexError there instead of reading memory."""
    script = (
        "import sys\n"
        "from tests.ingest.test_wire_scan import fuzz_cases\n"
        "from analyzer.ingest.otlp import wire_scan\n"
        "cases = fuzz_cases(1500, seed=11)\n"
        "print(sum(wire_scan.scan(data) is not None for data in cases), len(cases))\n"
    )
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    accepted, total = map(int, out.stdout.split())
    assert total == 1500 and 0 < accepted < total


def test_small_inputs_never_import_numba():
    script = (
        "import sys\n"
        "from analyzer.ingest.otlp import proto_reader\n"
        "proto_reader.SCAN_MIN_BYTES = 4 << 20\n"
        "from tests.conftest import FIXTURES, ingest_paths\n"
        "store, summary = ingest_paths(FIXTURES / 'otlp-encodings', FIXTURES / 'multisource')\n"
        "print(summary.records, 'numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    records, imported = out.stdout.split()
    assert int(records) > 10 and imported == "False"


def test_requests_scanned_ahead_keep_their_order_and_their_reader_s_error():
    """The scanning thread (`_ahead`) hands results over in order, raises what the reader
    raised in its turn, and stops when the consumer stops early."""
    import threading

    from analyzer.errors import InputError

    def frames():
        yield from range(5)
        raise InputError("truncated length prefix", position="byte 99")

    got = []
    with pytest.raises(InputError) as failure:
        for item, result in proto_reader._ahead(frames(), lambda n: n * n, depth=2):
            got.append((item, result))
    assert got == [(n, n * n) for n in range(5)] and failure.value.position == "byte 99"

    ahead = proto_reader._ahead(iter(range(1000)), lambda n: n, depth=2)
    assert next(ahead) == (0, 0)
    ahead.close()
    assert not any(thread.name == "seamscan-scan" for thread in threading.enumerate())


def test_a_run_that_has_read_much_scans_its_smaller_trace_files_too(monkeypatch, tmp_path):
    """A directory of requests, one a file: the files read before the run passes SCAN_MIN_BYTES
    take the library, those after it the scanner from SCAN_FILE_MIN_BYTES up, and the store
    holds what the library alone gives."""
    stream = FIXTURES / "clock-incidents" / "tools.otlp.pb"
    requests_ = _messages(stream, "proto-stream")
    assert len(requests_) >= 10
    for index, data in enumerate(requests_):
        (tmp_path / f"r{index:03d}.binpb").write_bytes(data)
    reference = _store_contents([tmp_path], None, monkeypatch)
    scanned_files: list[str] = []
    real_batch = proto_reader._scanned_batch
    monkeypatch.setattr(proto_reader, "_scanned_batch", lambda data, prefix, *a: (
        scanned_files.append(prefix), real_batch(data, prefix, *a))[1])
    monkeypatch.setattr(proto_reader, "SCAN_FILE_MIN_BYTES", 1)
    threshold = sum(map(len, requests_)) // 2
    assert max(map(len, requests_)) < threshold
    got = _store_contents([tmp_path], threshold, monkeypatch)
    assert 0 < len(scanned_files) < len(requests_)
    assert got == reference


def test_requests_one_a_file_are_read_ahead_and_normalized_together(monkeypatch, tmp_path):
    """A folder of requests the scanner reads: the files after the first are read and scanned on
    a thread ahead of their turn (`prefetch`) and normalized together, each accounted for once
    its records are in. With a harness log among them, a corrupt request, a span id of the
    wrong length and a copy of a request, the store, its files and the run's problems and
    skips are those of the library path, in the same order."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    from analyzer.ingest import prefetch
    from analyzer.ingest.normalize import columnar
    from analyzer.ingest.runner import ingest
    from analyzer.store.db import Store

    requests_ = _messages(FIXTURES / "clock-incidents" / "tools.otlp.pb", "proto-stream")
    for index, data in enumerate(requests_):
        (tmp_path / f"r{index:03d}.binpb").write_bytes(data)
    broken = bytearray(requests_[5])
    broken[len(broken) // 2] ^= 0xFF
    (tmp_path / "r005.binpb").write_bytes(bytes(broken))
    short_id = ExportTraceServiceRequest.FromString(requests_[8])
    short_id.resource_spans[0].scope_spans[0].spans[0].span_id = b"\x01\x02\x03"
    (tmp_path / "r008.binpb").write_bytes(short_id.SerializeToString())
    (tmp_path / "r002b.binpb").write_bytes(requests_[2])  # a copy of r002, in the same batch
    (tmp_path / "r006h.jsonl").write_bytes((FIXTURES / "harness" / "gateway.jsonl").read_bytes())

    def run(scan_min_bytes):
        monkeypatch.setattr(proto_reader, "SCAN_MIN_BYTES", scan_min_bytes)
        store = Store()
        summary = ingest([tmp_path], store)
        con = store.con
        return (con.execute("SELECT * FROM record_store ORDER BY record_id").fetchall(),
                con.execute("SELECT * FROM input_problems ORDER BY ALL").fetchall(),
                con.execute("SELECT path, records, source_kind FROM files ORDER BY path").fetchall(),
                summary.records, summary.errors, summary.skipped)

    reference = run(None)
    taken: list[bool] = []
    take = prefetch.Prefetch.take
    monkeypatch.setattr(prefetch.Prefetch, "take", lambda self, path: (
        taken.append((got := take(self, path)) is not None), got)[1])
    calls: list[int] = []
    normalize = columnar.normalize_batch
    monkeypatch.setattr(columnar, "normalize_batch", lambda batch: (calls.append(batch.count), normalize(batch))[1])
    monkeypatch.setattr(proto_reader, "SCAN_FILE_MIN_BYTES", 1)
    got = run(1)
    assert sum(taken) >= len(requests_) - 3  # all but the first, the corrupt one and the harness log
    assert len(calls) < sum(taken) / 2  # normalized together, not file by file
    assert got == reference
    assert any("r005" in error.path for error in got[4]) and any("r008" in error.path for error in got[4])
    assert [skip.path for skip in got[5]] == [str(tmp_path / "r002b.binpb")]
