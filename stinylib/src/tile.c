/* TILE: Y has X's rank and every Y dim is a multiple of X's; Y[i] = X[i mod X.dims] per dim. It is
 * ONNX Tile, and Expand (X's dims right-aligned to Y's rank, 1 where X broadcasts). */
#include <string.h>

#include "kernels.h"

void stl_k_tile(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *yt = stl_operand(e, stl_out(e));
	const unsigned nd = xt->ndim;
	const float *x = stl_data(e, 0);
	float *y = stl_data(e, stl_out(e));
	if (nd == 0) {
		y[0] = x[0];
		return;
	}
	size_t xstride[STL_MAX_DIMS];
	size_t xs = 1;
	for (int d = (int)nd - 1; d >= 0; d--) {
		xstride[d] = xs;
		xs *= xt->dims[d];
	}
	uint32_t idx[STL_MAX_DIMS] = {0};
	const uint32_t inner = yt->dims[nd - 1], xinner = xt->dims[nd - 1];
	for (uint32_t l = 0, lines = stl_elems(yt) / inner; l < lines; l++) {
		size_t xo = 0; /* X's line for Y's line idx */
		for (unsigned d = 0; d + 1 < nd; d++)
			xo += (idx[d] % xt->dims[d]) * xstride[d];
		float *row = y + (size_t)l * inner;
		if (xinner == 1)
			for (uint32_t i = 0; i < inner; i++)
				row[i] = x[xo];
		else
			for (uint32_t i = 0; i < inner; i += xinner)
				memcpy(row + i, x + xo, xinner * sizeof *row);
		for (int d = (int)nd - 2; d >= 0; d--) {
			if (++idx[d] < yt->dims[d])
				break;
			idx[d] = 0;
		}
	}
}
