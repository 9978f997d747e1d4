/* MATMUL: Y[..., M, N] = A[..., M, K] · B[..., K, N] for every batch index, the batch dims
 * broadcast numpy-style (right-aligned, 1 repeats). Either operand may be an activation, so it
 * covers attention's Q·Kᵀ and P·V. Each product is stl_matmul. */
#include "act.h"
#include "broadcast.h"
#include "gemm.h"
#include "kernels.h"

void stl_k_matmul(const struct stl_exec *e)
{
	const struct stl_tensor *at = stl_operand(e, 0), *bt = stl_operand(e, 1), *yt = stl_operand(e, stl_out(e));
	const unsigned nb = yt->ndim - 2u;
	const uint32_t m = yt->dims[nb], n = yt->dims[nb + 1], k = at->dims[at->ndim - 1];
	size_t sa[STL_MAX_DIMS], sb[STL_MAX_DIMS];
	stl_broadcast_strides(at, nb, 2, sa);
	stl_broadcast_strides(bt, nb, 2, sb);
	const float *a = stl_data(e, 0), *b = stl_data(e, 1);
	float *y = stl_data(e, stl_out(e));
	uint32_t idx[STL_MAX_DIMS] = {0};
	size_t oa = 0, ob = 0;
	const uint32_t batches = stl_elems(yt) / (m * n);
	for (uint32_t i = 0; i < batches; i++) {
		float *yb = y + (size_t)i * m * n;
		stl_matmul(m, n, k, a + oa, b + ob, yb);
		stl_act_apply(e->op, yb, (size_t)m * n);
		for (int d = (int)nb - 1; d >= 0; d--) {
			oa += sa[d];
			ob += sb[d];
			if (++idx[d] < yt->dims[d])
				break;
			oa -= sa[d] * yt->dims[d];
			ob -= sb[d] * yt->dims[d];
			idx[d] = 0;
		}
	}
}
