"""tzinfer.runtime example (docs/integrating.md): one thread and one TA session per model, each
model loaded once and run on its input; optionally a run cancelled first.

    python3 classify.py [--cancel] MODEL[@KEY_ID] INPUT.npy OUTPUT.npz [MODEL[@KEY_ID] ...]

INPUT.npy is the model's one input (float32, its shape); OUTPUT.npz receives every output by name.
@KEY_ID: the model must be a package sealed for that key. --cancel: each session first starts a
run and cancels it from a second thread, then runs again.
"""

import sys
import threading
import time

import numpy as np

from tzinfer.runtime import InferenceSession, TzinferError


def cancel_until_done(sess: InferenceSession, done: threading.Event) -> None:
    """Ask for the run's cancellation until it returns (the first request may come too early)."""
    while not done.is_set():
        sess.cancel()
        time.sleep(0.02)


def session(index: int, model: str, x_path: str, y_path: str, cancel: bool,
            reports: dict[int, tuple[bool, str]]) -> None:
    path, _, key = model.partition("@")
    try:
        sess = InferenceSession(path, key_id=int(key) if key else None)
        name = sess.get_inputs()[0].name
        feed = {name: np.load(x_path)}
        report = f"session {index}: model {path} on {sess.get_providers()[0]}: input {name!r}"
        if cancel:
            done = threading.Event()
            canceller = threading.Thread(target=cancel_until_done, args=(sess, done))
            canceller.start()
            try:
                sess.run(None, feed)
                status = "TZI_OK"
            except TzinferError as err:
                status = err.status
            done.set()
            canceller.join()
            report += f"; cancelled run: {status}"
            if status != "TZI_E_CANCELLED":
                raise TzinferError(status, "the run was not cancelled")
        outputs = sess.run(None, feed)
        np.savez(y_path, **{a.name: y for a, y in zip(sess.get_outputs(), outputs, strict=True)})
        stats = sess.stats()
        report += (f"; run: TZI_OK; secure memory {stats['model_bytes'] + stats['arena_bytes']} bytes; "
                   f"round trip ms {stats['last_round_trip_ms']:.3f}")
        sess.close()
        reports[index] = (True, report)
    except (TzinferError, OSError, ValueError) as err:
        reports[index] = (False, f"session {index}: {model}: {err}")


def main(argv: list[str]) -> int:
    cancel = argv[:1] == ["--cancel"]
    args = argv[1:] if cancel else argv
    if not args or len(args) % 3:
        print(__doc__.strip().splitlines()[3].strip(), file=sys.stderr)
        return 2
    reports: dict[int, tuple[bool, str]] = {}
    threads = [threading.Thread(target=session, args=(i, *args[3 * i:3 * i + 3], cancel, reports))
               for i in range(len(args) // 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in sorted(reports):
        print(reports[i][1])
    return 0 if all(ok for ok, _ in reports.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
