"""A reproducible random editing session: strokes, fills, undos and redos.

Used twice by the crash-recovery tests: in a child process that journals
every step and is then killed, and in the test itself, without any journal,
to compute independently the state the recovery must reach. Both runs make
the same choices because every choice comes from one seeded generator and
from the masks' state, which the two runs share step by step.
"""
from __future__ import annotations

import numpy as np

from dicegui.core.edits import Brush, Stroke, apply_delta, flood_fill


def random_stroke(live, rng, labels=(1, 2), spacing=(1.0, 1.0, 1.0)):
    """One drag of a random brush along a random walk on a random slice."""
    which = ("gt", "pred")[int(rng.integers(2))]
    shape = live.gt.shape
    axis = int(rng.integers(3))
    s = int(rng.integers(shape[axis]))
    u_max, v_max = [shape[a] - 1 for a in range(3) if a != axis]
    brush = Brush(radius=float(rng.integers(0, 6)), label=int(rng.choice(labels)),
                  erase=bool(rng.random() < 0.3), sphere=bool(rng.random() < 0.1))
    stroke = Stroke(live, which, axis, s, brush, spacing)
    u, v = rng.uniform(0, u_max), rng.uniform(0, v_max)
    for _ in range(int(rng.integers(1, 12))):
        stroke.add((u, v))
        u = float(np.clip(u + rng.normal(0, 2.5), 0, u_max))
        v = float(np.clip(v + rng.normal(0, 2.5), 0, v_max))
    return stroke.finish()


def random_fill(live, rng, labels=(1, 2)):
    which = ("gt", "pred")[int(rng.integers(2))]
    shape = live.gt.shape
    axis = int(rng.integers(3))
    s = int(rng.integers(shape[axis]))
    u_max, v_max = [shape[a] - 1 for a in range(3) if a != axis]
    return flood_fill(live, which, axis, s, (rng.uniform(0, u_max), rng.uniform(0, v_max)),
                      label=int(rng.choice(labels)), erase=bool(rng.random() < 0.3))


def random_session(live, seed: int, n_actions: int, record=None, labels=(1, 2)) -> int:
    """Run ``n_actions`` random actions on ``live``; call ``record(delta, undo)`` for each step.

    Returns the number of steps recorded (actions that changed something).
    """
    rng = np.random.default_rng(seed)
    history, index, steps = [], 0, 0

    def log(delta, undo):
        nonlocal steps
        steps += 1
        if record is not None:
            record(delta, undo)

    for _ in range(n_actions):
        r = rng.random()
        if r < 0.15 and index > 0:
            index -= 1
            apply_delta(live, history[index], undo=True)
            log(history[index], True)
        elif r < 0.25 and index < len(history):
            apply_delta(live, history[index])
            log(history[index], False)
            index += 1
        else:
            delta = random_stroke(live, rng, labels) if r < 0.85 else random_fill(live, rng, labels)
            if delta is not None:
                del history[index:]
                history.append(delta)
                index += 1
                log(delta, False)
    return steps


def make_case_files(folder, shape=(24, 20, 12), seed=0):
    """A ground-truth label map and a binary prediction as .nii.gz files; their paths."""
    import nibabel as nib

    rng = np.random.default_rng(seed)
    zz, yy, xx = np.indices(shape)
    c = np.array(shape) / 2
    ball = ((zz - c[0]) / 7) ** 2 + ((yy - c[1]) / 6) ** 2 + ((xx - c[2]) / 4) ** 2 <= 1
    gt = ball.astype(np.uint8)
    gt[ball & (zz > c[0])] = 2
    pred = (np.roll(ball, 2, axis=1) | (rng.random(shape) > 0.995)).astype(np.uint8)
    affine = np.diag([0.8, 0.8, 2.0, 1.0])
    paths = {"gt": folder / "case_gt.nii.gz", "pred": folder / "case_pred.nii.gz"}
    nib.Nifti1Image(gt, affine).to_filename(paths["gt"])
    nib.Nifti1Image(pred, affine).to_filename(paths["pred"])
    return paths
