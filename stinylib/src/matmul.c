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

	stl_gemm_rows(m, n, k, stl_data(e, 0), k, stl_data(e, 1), n, y, n);
	for (uint32_t i = 0; i < m; i++) {
		float *restrict row = y + (size_t)i * n;
		if (b)
			for (uint32_t j = 0; j < n; j++)
				row[j] += b[j];
		stl_act_apply(e->op, row, n);
	}
}
