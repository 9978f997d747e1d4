"""Frames per second of one tzinfer.runtime session on the target (invoke qemu.bench): the model
loaded once, then FRAMES runs on the same inputs, timed together.

    python3 bench_session.py MODEL FRAMES NAME=INPUT.npy...
"""

import sys
import time

import numpy as np

from tzinfer.runtime import InferenceSession


def main(argv: list[str]) -> int:
    model, frames, specs = argv[0], int(argv[1]), argv[2:]
    start = time.monotonic()
    sess = InferenceSession(model)
    load_s = time.monotonic() - start
    feed = {name: np.load(path) for name, path in (spec.split("=", 1) for spec in specs)}
    start = time.monotonic()
    for _ in range(frames):
        sess.run(None, feed)
    run_s = time.monotonic() - start
    print(f"provider: {sess.get_providers()[0]}")
    print(f"load ms: {load_s * 1e3:.3f}")
    print(f"frames: {frames}")
    print(f"frames per second: {frames / run_s:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
