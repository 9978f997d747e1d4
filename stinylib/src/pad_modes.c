/* PAD_EDGE and PAD_REFLECT: iattr as PAD (0..5 pads_begin, 6..11 pads_end). Each Y index i of a dim
 * reads X at j = i - begin, mapped back inside X: edge clamps j to 0 .. n-1, reflect mirrors it
 * about the first and last element (the loader keeps reflect pads below n, so one mirror does). */
#include "tzm_format.h"
#include "kernels.h"

static uint32_t source(int reflect, int64_t j, uint32_t n)
{
	if (j < 0)
		j = reflect ? -j : 0;
	else if (j >= (int64_t)n)
		j = reflect ? 2 * ((int64_t)n - 1) - j : (int64_t)n - 1;
	return (uint32_t)j;
}

void stl_k_pad_mode(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *yt = stl_operand(e, stl_out(e));
	const unsigned nd = xt->ndim;
	const int reflect = e->op->type == STL_OP_PAD_REFLECT;
	const int32_t *begin = e->op->iattr;
	const float *x = stl_data(e, 0);
	float *y = stl_data(e, stl_out(e));
	if (nd == 0) {
		y[0] = x[0];
		return;
	}
	uint32_t idx[STL_MAX_DIMS] = {0};
	const uint32_t inner = yt->dims[nd - 1], xinner = xt->dims[nd - 1];
	for (uint32_t l = 0, lines = stl_elems(yt) / inner; l < lines; l++) {
		size_t xo = 0;
		for (unsigned d = 0; d + 1 < nd; d++)
			xo = xo * xt->dims[d] + source(reflect, (int64_t)idx[d] - begin[d], xt->dims[d]);
		const float *xrow = x + xo * xinner;
		float *row = y + (size_t)l * inner;
		for (uint32_t i = 0; i < inner; i++)
			row[i] = xrow[source(reflect, (int64_t)i - begin[nd - 1], xinner)];
		for (int d = (int)nd - 2; d >= 0; d--) {
			if (++idx[d] < yt->dims[d])
				break;
			idx[d] = 0;
		}
	}
}
