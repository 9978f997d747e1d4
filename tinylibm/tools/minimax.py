#!/usr/bin/env python3
"""Fit the minimax polynomials used by tinylibm and print them as C hex-float constants.

tinylibm evaluates each function in double precision: a range reduction brings the argument
into a small interval, where a polynomial with a relative error far below float's 2^-24 does
the rest. The polynomials come from a Remez exchange on the relative error, run here in
float64; that is precise enough because the errors we aim for (about 2^-34) are far above
float64's rounding (2^-53). Re-run this script to check or regenerate the constants in
tinylibm/src/*.h: `python3 tinylibm/tools/minimax.py`.
"""

import math
from collections.abc import Callable

import numpy as np

Func = Callable[[np.ndarray], np.ndarray]


def poly_eval(coeffs: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Horner evaluation, coeffs[j] multiplies x**j."""
    acc = np.zeros_like(x)
    for c in coeffs[::-1]:
        acc = acc * x + c
    return acc


def relative_error(f: Func, coeffs: np.ndarray, x: np.ndarray) -> np.ndarray:
    return poly_eval(coeffs, x) / f(x) - 1.0


def alternating_extrema(err: np.ndarray, count: int) -> np.ndarray:
    """Indices of `count` alternating-sign extrema of err, the largest |err| of each sign run.

    Runs whose peak is below 1% of the maximum are rounding noise around a zero crossing;
    they are dropped and the neighbouring runs of equal sign merged.
    """
    sign = np.where(err >= 0.0, 1, -1)
    starts = np.flatnonzero(np.diff(sign)) + 1
    runs = np.split(np.arange(err.size), starts)
    peaks = [int(run[np.argmax(np.abs(err[run]))]) for run in runs]
    floor = 0.01 * np.max(np.abs(err))
    merged: list[int] = []
    for i in (i for i in peaks if abs(err[i]) >= floor):
        if merged and sign[merged[-1]] == sign[i]:
            if abs(err[i]) > abs(err[merged[-1]]):
                merged[-1] = i
        else:
            merged.append(i)
    while len(merged) > count:  # drop the smaller end extremum until the set fits
        merged.pop(0 if abs(err[merged[0]]) < abs(err[merged[-1]]) else -1)
    if len(merged) < count:
        raise RuntimeError(f"only {len(merged)} alternations for {count} points: raise the grid size")
    return np.array(merged)


def remez(f: Func, lo: float, hi: float, degree: int, iterations: int = 30) -> tuple[np.ndarray, float]:
    """Polynomial of `degree` minimising max |p(x)/f(x) - 1| on [lo, hi]; returns (coeffs, max error).

    The system is solved in the scaled variable t = x/scale (t in [-1, 1]) for conditioning, and
    the coefficients are scaled back to x.
    """
    scale = max(abs(lo), abs(hi))
    grid = np.linspace(lo, hi, 200001)
    k = np.arange(degree + 2)
    ref = (lo + hi) / 2 - (hi - lo) / 2 * np.cos(np.pi * k / (degree + 1))  # Chebyshev extrema
    coeffs = np.zeros(degree + 1)
    for _ in range(iterations):
        t = ref / scale
        fx = f(ref)
        matrix = np.column_stack([t**j for j in range(degree + 1)] + [-((-1.0) ** k) * fx])
        solution = np.linalg.solve(matrix, fx)
        coeffs = solution[:-1] / scale ** np.arange(degree + 1)
        err = relative_error(f, coeffs, grid)
        extrema = alternating_extrema(err, degree + 2)
        peaks = np.abs(err[extrema])
        if peaks.max() / peaks.min() - 1.0 < 1e-6:  # levelled: the equioscillation is reached
            break
        ref = grid[extrema]
    return coeffs, float(np.max(np.abs(relative_error(f, coeffs, grid))))


def exp_func(x: np.ndarray) -> np.ndarray:
    return np.exp(x)


def log_atanh_func(w: np.ndarray) -> np.ndarray:
    """R(w) = 2*atanh(sqrt(w))/sqrt(w) = sum 2 w^k/(2k+1), so that log(m) = s*R(s*s)."""
    acc = np.zeros_like(w)
    for k in range(30, -1, -1):  # w <= 0.03: 30 terms are exact to float64
        acc = acc * w + 2.0 / (2 * k + 1)
    return acc


def print_fit(name: str, f: Func, lo: float, hi: float, degree: int) -> None:
    coeffs, err = remez(f, lo, hi, degree)
    print(f"/* {name}: degree {degree} on [{lo:.17g}, {hi:.17g}], "
          f"max relative error 2^{math.log2(err):.1f} */")
    for j, c in enumerate(coeffs):
        print(f"    {float(c).hex()}, /* x^{j} */")


def main() -> None:
    # Degrees are the lowest whose error leaves the float result within 2^-10 ULP of correct
    # rounding (2^-34 relative): degree 6 for exp would give only 2^-29.0.
    half_ln2 = math.log(2) / 2
    print_fit("exp_kernel.h, e^r", exp_func, -half_ln2, half_ln2, 7)
    s_max = (math.sqrt(2) - 1) / (math.sqrt(2) + 1)  # m in [sqrt(1/2), sqrt(2)], s = (m-1)/(m+1)
    print_fit("logf.c, R(w) with log(m) = s*R(s*s)", log_atanh_func, 0.0, s_max * s_max, 4)


if __name__ == "__main__":
    main()
