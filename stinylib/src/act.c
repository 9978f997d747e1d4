/* Fused activations. The loops are branch-free per element where the formula allows it, so gcc
 * vectorises RELU/CLIP/LEAKY/HARD_* (the ones in the hot conv epilogue); SIGMOID and TANH call
 * tinylibm because the TA has no libm. */
#include "act.h"

#include <stdint.h>
#include <string.h>

#include "format.h"
#include "tinylibm.h"

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

void stl_act_apply(const struct stl_op *op, float *restrict y, size_t n)
{
	const float f0 = op->fattr[0], f1 = op->fattr[1];
	switch (op->act) {
	case STL_ACT_RELU:
		for (size_t i = 0; i < n; i++)
			y[i] = y[i] < 0.0f ? 0.0f : y[i];
		break;
	case STL_ACT_CLIP:
		for (size_t i = 0; i < n; i++)
			y[i] = stl_clamp(y[i], f0, f1);
		break;
	case STL_ACT_LEAKY_RELU:
		for (size_t i = 0; i < n; i++)
			y[i] = y[i] < 0.0f ? f0 * y[i] : y[i];
		break;
	case STL_ACT_SIGMOID:
		for (size_t i = 0; i < n; i++)
			y[i] = 1.0f / (1.0f + tlm_expf(-y[i]));
		break;
	case STL_ACT_HARD_SIGMOID:
		for (size_t i = 0; i < n; i++)
			y[i] = stl_clamp(f0 * y[i] + f1, 0.0f, 1.0f);
		break;
	case STL_ACT_HARD_SWISH:
		for (size_t i = 0; i < n; i++)
			y[i] = y[i] * stl_clamp(y[i] * (1.0f / 6.0f) + 0.5f, 0.0f, 1.0f);
		break;
	case STL_ACT_TANH:
		for (size_t i = 0; i < n; i++)
			y[i] = tlm_tanhf(y[i]);
		break;
	default:
		stl_act_apply_math(op->act, y, n);
		break;
	}
}

/* log(1 + e^x), as ONNX Runtime writes it: without overflow for large x, and without losing e^x
 * to the rounding of 1 + e^x for very negative x. */
static float softplus(float x)
{
	return x > 0.0f ? x + tlm_log1pf(tlm_expf(-x)) : tlm_log1pf(tlm_expf(x));
}

/* The activations that are transcendental or element-wise math ops of their own (Exp, Sqrt, Erf,
 * Gelu, ...): a separate switch so that the clamp-like ones above stay a small, hot function. */
void stl_act_apply_math(uint8_t act, float *restrict y, size_t n)
{
	switch (act) {
	case STL_ACT_EXP:
		for (size_t i = 0; i < n; i++)
			y[i] = tlm_expf(y[i]);
		break;
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
	case STL_ACT_GELU: /* x/2 (1 + erf(x/sqrt 2)) */
		for (size_t i = 0; i < n; i++)
			y[i] = 0.5f * y[i] * (1.0f + tlm_erff(y[i] * 0.70710678118654752f));
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
