/* GEMM op (fully connected): Y[M,N] = X[M,K] · W[K,N] + B[N], then the fused activation. */
#include "act.h"
#include "gemm.h"
#include "kernels.h"

/* y[j] += a · x[j] for j < n. */
static void axpy(float *restrict y, const float *restrict x, float a, uint32_t n)
{
	for (uint32_t j = 0; j < n; j++)
		y[j] += a * x[j];
}

/* Columns [j0, n) of every output row as a sum of scaled rows of W: W is streamed row by row,
 * which suits a classifier's single input row and the last columns that fill no whole tile. */
static void rows_of_w(uint32_t m, uint32_t n, uint32_t k, uint32_t j0, const float *x, const float *w, float *y)
{
	for (uint32_t i = 0; i < m; i++) {
		float *yi = y + (size_t)i * n + j0;
		for (uint32_t j = 0; j < n - j0; j++)
			yi[j] = 0.0f;
		for (uint32_t p = 0; p < k; p++)
			axpy(yi, w + (size_t)p * n + j0, x[(size_t)i * k + p], n - j0);
	}
}

void stl_matmul(uint32_t m, uint32_t n, uint32_t k, const float *x, const float *w, float *y)
{
	/* With enough rows, register tiles read whole tiles of W's columns in place; a tile past the
	 * last whole one would run past W, so those columns stream W's rows instead. */
	const uint32_t full = m >= stl_gemm_tile_rows() ? n - n % stl_gemm_tile_cols() : 0;
	const struct stl_bmat wm = {w, n, STL_STRIP};
	stl_gemm(m, full, k, x, k, wm, y, n, NULL, NULL);
	rows_of_w(m, n, k, full, x, w, y);
}

void stl_k_gemm(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *wt = stl_operand(e, 1);
	const uint32_t m = xt->dims[0], k = xt->dims[1], n = wt->dims[1];
	const float *x = stl_data(e, 0), *w = stl_data(e, 1);
	const float *b = e->op->n_in == 3 ? stl_data(e, 2) : NULL;
	float *y = stl_data(e, stl_out(e));

	stl_matmul(m, n, k, x, w, y);
	for (uint32_t i = 0; i < m; i++) {
		float *restrict row = y + (size_t)i * n;
		if (b)
			for (uint32_t j = 0; j < n; j++)
				row[j] += b[j];
		stl_act_apply(e->op, row, n);
	}
}
