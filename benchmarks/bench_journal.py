"""Cost of journalling a stroke for crash recovery, against the stroke itself.

Run: ``python benchmarks/bench_journal.py``

Each stroke is a radius-10 brush drag of 40 mouse positions on a
200×512×512 case (paint and erase alternate, scores read at every dab as
the panel does), the way ``bench_edits.py`` draws them. Measured in the same
run, medians:

* the stroke itself: every dab plus ``Stroke.finish`` (the baseline);
* ``RecoveryJournal.record`` of the stroke's delta: encoding, zlib, write,
  flush and fdatasync: the price of never losing it;
* the encoding alone (no disk), to show what the disk flush costs;
* bytes on disk per stroke, against the undo delta's memory;
* replay after a crash: ``find_pending`` + ``replay`` per stroke.

Targets: record <= 0.5× the stroke (the journal must not be what the hand
feels), journal < 1 kB per stroke.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_edits import drag_path, make_case  # noqa: E402

from dicegui.core import journal as jr  # noqa: E402
from dicegui.core.edits import Brush, Stroke  # noqa: E402
from dicegui.core.live import LiveScore  # noqa: E402

SHAPE = (200, 512, 512)
RADIUS = 10
STROKES = 60
POSITIONS = 40


def main() -> int:
    gt, pred = make_case(SHAPE)
    original = (gt.copy(), pred.copy())
    live = LiveScore(gt, pred)
    axis, s = 0, SHAPE[0] // 2
    path = drag_path((SHAPE[1] // 2, SHAPE[2] // 2), POSITIONS)
    t_stroke, t_record, t_encode, sizes, in_memory = [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="dicegui-journal-") as folder:
        journal = jr.RecoveryJournal(folder)
        journal.start({}, shapes={"gt": SHAPE, "pred": SHAPE}, dtypes={"gt": gt.dtype, "pred": pred.dtype})
        for n in range(STROKES):
            t0 = time.perf_counter()
            stroke = Stroke(live, "pred", axis, s + (n // 2) % 5, Brush(radius=RADIUS, erase=n % 2 == 0))
            for p in path:
                stroke.add(p)
                live.overlap()
                live.slice_overlap(axis, s)
            delta = stroke.finish()
            t1 = time.perf_counter()
            size = journal.record(delta)
            t2 = time.perf_counter()
            jr.records._record_bytes(n, delta, False)
            t3 = time.perf_counter()
            t_stroke.append(t1 - t0)
            t_record.append(t2 - t1)
            t_encode.append(t3 - t2)
            sizes.append(size)
            in_memory.append(delta.nbytes)
        journal.close()

        fresh = LiveScore(original[0].copy(), original[1].copy())  # "freshly loaded"
        t0 = time.perf_counter()
        (pending,) = jr.find_pending(folder)
        t1 = time.perf_counter()
        steps = jr.replay(pending, fresh)
        t_replay = time.perf_counter() - t1
        t_find = t1 - t0
        assert steps == STROKES and np.array_equal(fresh.pred, pred) and np.array_equal(fresh.gt, gt)
        jr.discard(pending)

    stroke, record, encode = (statistics.median(t) for t in (t_stroke, t_record, t_encode))
    size, memory = statistics.median(sizes), statistics.median(in_memory)
    ratio = record / stroke
    print(f"radius-{RADIUS} stroke of {POSITIONS} positions on {'x'.join(map(str, SHAPE))}, "
          f"median of {STROKES}:")
    print(f"  stroke itself (dabs + scores + finish)  {stroke * 1e3:8.2f} ms   (baseline)")
    print(f"  journal.record (encode+write+fdatasync) {record * 1e3:8.2f} ms = {ratio:5.3f}x the stroke "
          f"(target <= 0.5x)  {'PASS' if ratio <= 0.5 else 'FAIL'}")
    print(f"  encoding alone (no disk)                {encode * 1e3:8.3f} ms = {encode / stroke:5.3f}x the stroke")
    print(f"  on disk per stroke                      {size:8.0f} B   = {size / memory:5.3f}x the undo delta "
          f"in memory ({memory:.0f} B)  (target < 1 kB)  {'PASS' if size < 1024 else 'FAIL'}")
    print(f"  recovery: find_pending {t_find * 1e3:.1f} ms, replay {t_replay / STROKES * 1e3:.3f} ms per stroke "
          f"= {t_replay / STROKES / stroke:5.3f}x drawing it")
    return 0 if ratio <= 0.5 and size < 1024 else 1


if __name__ == "__main__":
    sys.exit(main())
