/* GEMM op (fully connected): Y[M,N] = X[M,K] · W[K,N] + B[N], then the fused activation. */
#include "act.h"
#include "gemm.h"
#include "kernels.h"

void stl_k_gemm(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *wt = stl_operand(e, 1);
	const uint32_t m = xt->dims[0], k = xt->dims[1], n = wt->dims[1];
	const float *b = e->op->n_in == 3 ? stl_data(e, 2) : NULL;
	float *y = stl_data(e, stl_out(e));

	const float *x = stl_data(e, 0), *w = stl_data(e, 1);
	/* Whole register tiles read W in place; the last columns (fewer than a tile) go one by one,
	 * since reading a whole tile there would run past W. */
	const uint32_t full = n - n % stl_gemm_tile_cols();
	const struct stl_bmat wm = {w, n, STL_STRIP};
	stl_gemm(m, full, k, x, k, wm, y, n, NULL, NULL);
	for (uint32_t i = 0; i < m; i++)
		for (uint32_t j = full; j < n; j++) {
			float s = 0.0f;
			for (uint32_t p = 0; p < k; p++)
				s += x[(size_t)i * k + p] * w[(size_t)p * n + j];
			y[(size_t)i * n + j] = s;
		}
	for (uint32_t i = 0; i < m; i++) {
		float *restrict row = y + (size_t)i * n;
		if (b)
			for (uint32_t j = 0; j < n; j++)
				row[j] += b[j];
		stl_act_apply(e->op, row, n);
	}
}
