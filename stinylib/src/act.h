/* Fused activations (docs/model-format.md, `act`), applied in place to a run of floats. */
#ifndef STL_ACT_H
#define STL_ACT_H

#include <stddef.h>
#include <stdint.h>

#include "stinylib.h"

/* x clamped to [lo, hi]; NaN passes through (both comparisons are false). */
static inline float stl_clamp(float x, float lo, float hi)
{
	x = x < lo ? lo : x;
	return x > hi ? hi : x;
}

/* Apply op->act with parameters op->fattr[0..1] to y[0..n). NONE leaves y untouched. */
void stl_act_apply(const struct stl_op *op, float *y, size_t n);

/* The activations from EXP on (element-wise math, docs/model-format.md); stl_act_apply calls it. */
void stl_act_apply_math(uint8_t act, float *y, size_t n);

/*
 * The activations that are a clamp to [lo, hi] (NONE, RELU, CLIP), for kernels that apply them in
 * registers: sets lo and hi (±inf where unbounded; NaN passes through a clamp) and returns 1, or
 * returns 0 with lo, hi = -inf, +inf when the activation needs stl_act_apply afterwards.
 */
int stl_act_clamp(const struct stl_op *op, float *lo, float *hi);

#endif
