/* SLICE: Y[i0, i1, ...] = X[start0 + i0·step0, start1 + i1·step1, ...]; iattr 0..5 are the starts,
 * 6..11 the steps (non-zero, negative walks backwards). The loader checked that every index it
 * reaches lies inside X. Split, and Gather of constant indices, become SLICE ops. */
#include <string.h>

#include "kernels.h"

void stl_k_slice(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *yt = stl_operand(e, stl_out(e));
	const unsigned nd = xt->ndim;
	const int32_t *start = e->op->iattr, *step = e->op->iattr + STL_MAX_DIMS;
	const float *x = stl_data(e, 0);
	float *y = stl_data(e, stl_out(e));
	if (nd == 0) {
		y[0] = x[0];
		return;
	}
	/* stride[d]: how far X moves when Y's index d advances. */
	int64_t stride[STL_MAX_DIMS], xs = 1, base = 0;
	for (int d = (int)nd - 1; d >= 0; d--) {
		stride[d] = step[d] * xs;
		base += start[d] * xs;
		xs *= xt->dims[d];
	}
	uint32_t idx[STL_MAX_DIMS] = {0};
	const uint32_t inner = yt->dims[nd - 1], lines = stl_elems(yt) / inner;
	int64_t xo = base;
	for (uint32_t l = 0; l < lines; l++) {
		float *row = y + (size_t)l * inner;
		if (stride[nd - 1] == 1)
			memcpy(row, x + xo, inner * sizeof *row);
		else
			for (uint32_t i = 0; i < inner; i++)
				row[i] = x[xo + (int64_t)i * stride[nd - 1]];
		for (int d = (int)nd - 2; d >= 0; d--) {
			xo += stride[d];
			if (++idx[d] < yt->dims[d])
				break;
			xo -= stride[d] * yt->dims[d];
			idx[d] = 0;
		}
	}
}
