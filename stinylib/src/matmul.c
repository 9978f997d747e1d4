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

/* Columns [j0, j1) of every output row as a sum of scaled rows of W: W is streamed row by row,
 * which suits a classifier's single input row and the last columns that fill no whole tile. */
static void rows_of_w(uint32_t m, uint32_t n, uint32_t k, uint32_t j0, uint32_t j1, const float *x, const float *w,
		      float *y)
{
	for (uint32_t i = 0; i < m; i++) {
		float *yi = y + (size_t)i * n + j0;
		for (uint32_t j = 0; j < j1 - j0; j++)
			yi[j] = 0.0f;
		for (uint32_t p = 0; p < k; p++)
			axpy(yi, w + (size_t)p * n + j0, x[(size_t)i * k + p], j1 - j0);
	}
}

/* Columns [j0, j1) of Y = X · W; j0 is a multiple of the tile width, so that each column is
 * computed in the same register tile (or the same row stream) as in the whole product. */
static void matmul_cols(uint32_t m, uint32_t n, uint32_t k, const float *x, const float *w, float *y, uint32_t j0,
			uint32_t j1)
{
	/* With enough rows, register tiles read whole tiles of W's columns in place; a tile past the
	 * last whole one would run past W, so those columns stream W's rows instead. */
	const uint32_t full = m >= stl_gemm_tile_rows() ? n - n % stl_gemm_tile_cols() : 0;
	const uint32_t tiled = j1 < full ? j1 : full;
	const struct stl_bmat wm = {w + j0, n, STL_STRIP};
	if (j0 < tiled)
		stl_gemm(m, tiled - j0, k, x, k, wm, y + j0, n, NULL, NULL);
	rows_of_w(m, n, k, j0 > tiled ? j0 : tiled, j1, x, w, y);
}

void stl_matmul(uint32_t m, uint32_t n, uint32_t k, const float *x, const float *w, float *y)
{
	matmul_cols(m, n, k, x, w, y, 0, n);
}

uint32_t stl_gemm_op_units(const struct stl_exec *e)
{
	const uint32_t n = stl_operand(e, 1)->dims[1], cols = stl_gemm_tile_cols();
	return (n + cols - 1) / cols;
}

/* A chunk is a range of whole tiles of output columns (stl_gemm_op_units). */
void stl_k_gemm(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *wt = stl_operand(e, 1);
	const uint32_t m = xt->dims[0], k = xt->dims[1], n = wt->dims[1], cols = stl_gemm_tile_cols();
	const float *x = stl_data(e, 0), *w = stl_data(e, 1);
	const float *b = e->op->n_in == 3 ? stl_data(e, 2) : NULL;
	float *y = stl_data(e, stl_out(e));
	uint32_t u0, u1;
	stl_chunk_units(e, stl_gemm_op_units(e), &u0, &u1);
	const uint32_t j0 = u0 * cols, j1 = u1 * cols < n ? u1 * cols : n;
	if (j0 >= j1)
		return;

	matmul_cols(m, n, k, x, w, y, j0, j1);
	for (uint32_t i = 0; i < m; i++) {
		float *restrict row = y + (size_t)i * n;
		if (b)
			for (uint32_t j = j0; j < j1; j++)
				row[j] += b[j];
		stl_act_apply(e->op, row + j0, j1 - j0);
	}
}
