/* Fused activations. The clamps and other piecewise-linear ones are branch-free C that gcc
 * vectorises; SIGMOID, TANH, SILU, GELU and EXP are the vector functions of
 * vmath.h, a vector at a time, the last part of a run through a small buffer. */
#include "act.h"

#include <stdint.h>
#include <string.h>

#include "tzm_format.h"
#include "simd.h"
#include "tinylibm.h"
#include "vmath.h"

static float infinity(uint32_t sign)
{
	const uint32_t bits = sign | 0x7f800000u;
	float f;
	memcpy(&f, &bits, sizeof f);
	return f;
}

int stl_act_clamp(const struct stl_op *op, float *lo, float *hi)
{
	*lo = infinity(0x80000000u);
	*hi = infinity(0);
	switch (op->act) {
	case STL_ACT_NONE:
		return 1;
	case STL_ACT_RELU:
		*lo = 0.0f;
		return 1;
	case STL_ACT_CLIP:
		*lo = op->fattr[0];
		*hi = op->fattr[1];
		return 1;
	default:
		return 0;
	}
}

/* log(1 + e^x), as ONNX Runtime writes it: without overflow for large x, and without losing e^x
 * to the rounding of 1 + e^x for very negative x. */
static float softplus(float x)
{
	return x > 0.0f ? x + tlm_log1pf(tlm_expf(-x)) : tlm_log1pf(tlm_expf(x));
}

/* The activations that are transcendental or element-wise math ops of their own (Log, Sqrt, Erf,
 * Softplus, ...): a separate function so that
 * stl_act_map stays small. */
static void act_math(uint8_t act, float *restrict y, size_t n)
{
	switch (act) {
	case STL_ACT_LOG:
		for (size_t i = 0; i < n; i++)
			y[i] = tlm_logf(y[i]);
		break;
	case STL_ACT_SQRT:
		for (size_t i = 0; i < n; i++)
			y[i] = tlm_sqrtf(y[i]);
		break;
	case STL_ACT_ABS:
		for (size_t i = 0; i < n; i++)
			y[i] = y[i] < 0.0f ? -y[i] : y[i];
		break;
	case STL_ACT_NEG:
		for (size_t i = 0; i < n; i++)
			y[i] = -y[i];
		break;
	case STL_ACT_RECIPROCAL:
		for (size_t i = 0; i < n; i++)
			y[i] = 1.0f / y[i];
		break;
	case STL_ACT_ERF:
		for (size_t i = 0; i < n; i++)
			y[i] = tlm_erff(y[i]);
		break;
	case STL_ACT_GELU_TANH: /* x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
		for (size_t i = 0; i < n; i++) {
			const float x = y[i];
			y[i] = 0.5f * x * (1.0f + tlm_tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
		}
		break;
	case STL_ACT_SOFTPLUS:
		for (size_t i = 0; i < n; i++)
			y[i] = softplus(y[i]);
		break;
	case STL_ACT_MISH: /* x tanh(softplus(x)) */
		for (size_t i = 0; i < n; i++)
			y[i] = y[i] * tlm_tanhf(softplus(y[i]));
		break;
	case STL_ACT_NOT: /* booleans are 0.0 / 1.0; any nonzero counts as true */
		for (size_t i = 0; i < n; i++)
			y[i] = y[i] == 0.0f ? 1.0f : 0.0f;
		break;
	case STL_ACT_NONZERO: /* Cast to bool */
		for (size_t i = 0; i < n; i++)
			y[i] = y[i] != 0.0f ? 1.0f : 0.0f;
		break;
	default: /* NONE; the loader rejected every other id */
		break;
	}
}

/* y[0..n) = fn(x[0..n)) a vector at a time; the last n % STL_VL floats go through a buffer. */
#define STL_VECTOR_LOOP(fn)                                                \
	do {                                                               \
		size_t i = 0;                                              \
		for (; i + STL_VL <= n; i += STL_VL)                       \
			stl_vst(y + i, fn(stl_vld(x + i)));                \
		if (i < n) {                                               \
			float part[STL_VL] = {0};                          \
			stl_vcopy_part(part, x + i, (unsigned)(n - i));    \
			stl_vst(part, fn(stl_vld(part)));                  \
			stl_vcopy_part(y + i, part, (unsigned)(n - i));    \
		}                                                          \
	} while (0)

void stl_act_map(const struct stl_op *op, const float *x, float *y, size_t n)
{
	const float f0 = op->fattr[0], f1 = op->fattr[1];
	switch (op->act) {
	case STL_ACT_NONE:
		if (x != y)
			memcpy(y, x, n * sizeof *y);
		break;
	case STL_ACT_RELU:
		for (size_t i = 0; i < n; i++)
			y[i] = x[i] < 0.0f ? 0.0f : x[i];
		break;
	case STL_ACT_CLIP:
		for (size_t i = 0; i < n; i++)
			y[i] = stl_clamp(x[i], f0, f1);
		break;
	case STL_ACT_LEAKY_RELU:
		for (size_t i = 0; i < n; i++)
			y[i] = x[i] < 0.0f ? f0 * x[i] : x[i];
		break;
	case STL_ACT_SIGMOID:
		STL_VECTOR_LOOP(stl_vsigmoid);
		break;
	case STL_ACT_HARD_SIGMOID:
		for (size_t i = 0; i < n; i++)
			y[i] = stl_clamp(f0 * x[i] + f1, 0.0f, 1.0f);
		break;
	case STL_ACT_HARD_SWISH:
		for (size_t i = 0; i < n; i++)
			y[i] = x[i] * stl_clamp(x[i] * (1.0f / 6.0f) + 0.5f, 0.0f, 1.0f);
		break;
	case STL_ACT_TANH:
		STL_VECTOR_LOOP(stl_vtanh);
		break;
	case STL_ACT_SILU:
		STL_VECTOR_LOOP(stl_vsilu);
		break;
	case STL_ACT_GELU:
		STL_VECTOR_LOOP(stl_vgelu);
		break;
	case STL_ACT_EXP:
		STL_VECTOR_LOOP(stl_vexp);
		break;
	default:
		if (x != y)
			memcpy(y, x, n * sizeof *y);
		act_math(op->act, y, n);
		break;
	}
}

void stl_act_apply(const struct stl_op *op, float *y, size_t n)
{
	stl_act_map(op, y, y, n);
}
