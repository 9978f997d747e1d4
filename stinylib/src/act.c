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
	default: /* NONE; the loader rejected every other id */
		break;
	}
}
