"""core.io.bounded_read: reads that stop at a limit, and regular files only."""
import bz2
import gzip
import io
import os
import threading

import numpy as np
import pytest

from dicegui.core.io.bounded_read import ReadRefused, read_exact_stream, read_regular


def test_exact_read_returns_the_declared_bytes_and_accepts_a_small_tail():
    payload = np.random.default_rng(1).integers(0, 255, 5000, dtype=np.uint8).tobytes()
    stream = gzip.GzipFile(fileobj=io.BytesIO(gzip.compress(payload + b"\0" * 100)))
    out = read_exact_stream(stream, 5000, margin=1000)
    assert out.tobytes() == payload


def test_data_past_the_margin_is_refused_without_reading_it_all():
    # 100 MiB of zeros in bzip2: refused after the margin, long before the end.
    stream = bz2.BZ2File(io.BytesIO(bz2.compress(b"\0" * (100 << 20))))
    with pytest.raises(ReadRefused, match="past the declared"):
        read_exact_stream(stream, 1000, margin=4096)
    assert stream.tell() < (4 << 20)


def test_a_short_stream_is_truncated():
    with pytest.raises(ReadRefused, match="truncated"):
        read_exact_stream(io.BytesIO(b"abc"), 10)


def test_read_regular_refuses_pipes_devices_and_oversized_files(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    # A writer that never comes: without O_NONBLOCK the open would block forever.
    done = []
    t = threading.Thread(target=lambda: done.append(pytest.raises(ReadRefused, read_regular, tmp_path / "pipe", 10)))
    t.start()
    t.join(5)
    assert done, "opening a named pipe blocked"
    with pytest.raises(ReadRefused, match="device"):
        read_regular("/dev/zero", 1 << 20)
    big = tmp_path / "big.json"
    big.write_bytes(b"x" * 2000)
    with pytest.raises(ReadRefused, match="larger than"):
        read_regular(big, 1000)
    assert read_regular(big, 2000) == b"x" * 2000
