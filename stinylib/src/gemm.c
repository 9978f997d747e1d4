/* The GEMM micro-kernel: an MR×NR block of C kept in registers while k runs, one broadcast of A and
 * NR/VL vector loads of B per row step. On aarch64 it is the inline-assembly tile of gemm_neon.h;
 * elsewhere plain C with compile-time tile sizes so gcc unrolls the i/j loops and vectorises j. */
#include "gemm.h"

#include "act.h"
#include "inline.h"
#include "simd.h"

#if defined(STL_SIMD_NEON)
#include "gemm_neon.h"

#define STL_MR STL_NEON_MR
#define STL_NR STL_NEON_NR

/* The tile's rows of A (the last one repeated for fewer than STL_MR rows: those rows are computed
 * and dropped) and its starting values, the rows' bias or 0; nr is STL_NR or the narrow tile's 4. */
static void neon_start(uint32_t mr, const float *a, size_t lda, const float *row_init, const float *rows[STL_MR],
		       float *tile, uint32_t nr)
{
	for (uint32_t i = 0; i < STL_MR; i++) {
		const uint32_t r = i < mr ? i : mr - 1;
		const stl_vf v = stl_vdup(row_init ? row_init[r] : 0.0f);
		const stl_vf row[4] = {v, v, v, v};
		rows[i] = a + r * lda;
		if (nr == STL_NR)
			stl_vst_x4(tile + i * nr, row);
		else
			stl_vst(tile + i * nr, v);
	}
}

/* The first mr rows and nc columns of the tile (width nr), clamped, to c (row stride ldc). */
static void neon_finish(uint32_t mr, const float *tile, uint32_t nr, float *c, size_t ldc, uint32_t nc, float lo,
			float hi)
{
	const stl_vf vlo = stl_vdup(lo), vhi = stl_vdup(hi);
	for (uint32_t i = 0; i < mr; i++) {
		if (nc == STL_NR) { /* a whole row: one LD1 and one ST1 of four registers */
			stl_vf v[4];
			stl_vld_x4(tile + i * nr, v);
			for (int j = 0; j < 4; j++)
				v[j] = stl_vclamp(v[j], vlo, vhi);
			stl_vst_x4(c + i * ldc, v);
			continue;
		}
		for (uint32_t j = 0; j < nc; j += 4) {
			const stl_vf v = stl_vclamp(stl_vld(tile + i * nr + j), vlo, vhi);
			if (nc - j >= 4)
				stl_vst(c + i * ldc + j, v);
			else
				stl_vst_part(c + i * ldc + j, v, nc - j);
		}
	}
}

/* A 4×16 tile, or for a last tile of at most 8 columns one or two 4×4 tiles. */
static void tile_rows(uint32_t mr, uint32_t k, const float *a, size_t lda, const float *b, size_t ldb,
		      float *c, size_t ldc, uint32_t nc, const float *row_init, float lo, float hi)
{
	float tile[STL_MR * STL_NR];
	const float *rows[STL_MR];
	if (nc > 2 * STL_NEON_NR_NARROW) {
		neon_start(mr, a, lda, row_init, rows, tile, STL_NR);
		neon_tile(rows, k, b, ldb, tile);
		neon_finish(mr, tile, STL_NR, c, ldc, nc, lo, hi);
		return;
	}
	for (uint32_t j = 0; j < nc; j += STL_NEON_NR_NARROW) {
		neon_start(mr, a, lda, row_init, rows, tile, STL_NEON_NR_NARROW);
		neon_tile_narrow(rows, k, b + j, ldb, tile);
		neon_finish(mr, tile, STL_NEON_NR_NARROW, c + j, ldc,
			    nc - j < STL_NEON_NR_NARROW ? nc - j : STL_NEON_NR_NARROW, lo, hi);
	}
}

static void taps_rows(uint32_t mr, uint32_t cg, uint32_t ntaps, const float *a, size_t lda, const float *b,
		      size_t plane, const size_t *off, float *out, const float *row_init, float lo, float hi)
{
	float tile[STL_MR * STL_NR];
	const float *rows[STL_MR];
	neon_start(mr, a, lda, row_init, rows, tile, STL_NR);
	neon_tile_taps(rows, cg, ntaps, b, plane, off, tile);
	neon_finish(mr, tile, STL_NR, out, STL_NR, STL_NR, lo, hi);
}

#else
/* Register tile. AVX-512: 8×32 = 16 zmm accumulators of 32. Elsewhere (AVX2, fallback): 4×16. */
#if defined(__AVX512F__)
#ifndef STL_MR
#define STL_MR 8
#endif
#define STL_NR 32
#else
#define STL_MR 4
#define STL_NR 16
#endif

/* STL_SWITCH_MR(mr, CALL) switches on the row count: `case r: CALL(r)` for each r in 2..STL_MR and
 * CALL(1) by default, so that every tile call has a constant mr and gcc fully unrolls the
 * accumulators. STL_FOR_EACH_MR(X, arg) is that list of row counts, largest first. */
_Static_assert(STL_MR <= 16, "STL_FOR_EACH_MR lists up to 16 rows");
#if STL_MR > 8
#define STL_MR_16_TO_9(X, arg) X(16, arg) X(15, arg) X(14, arg) X(13, arg) X(12, arg) X(11, arg) X(10, arg) X(9, arg)
#else
#define STL_MR_16_TO_9(X, arg)
#endif
#if STL_MR > 4
#define STL_MR_8_TO_5(X, arg) X(8, arg) X(7, arg) X(6, arg) X(5, arg)
#else
#define STL_MR_8_TO_5(X, arg)
#endif
#define STL_FOR_EACH_MR(X, arg) STL_MR_16_TO_9(X, arg) STL_MR_8_TO_5(X, arg) X(4, arg) X(3, arg) X(2, arg)
#define STL_MR_CASE(r, CALL) case r: CALL(r); break;
#define STL_SWITCH_MR(mr, CALL)                    \
	switch (mr) {                              \
	STL_FOR_EACH_MR(STL_MR_CASE, CALL)         \
	default: CALL(1); break;                   \
	}

/* Both tiles below are the same register block: it starts at the row's bias (or 0) and grows by
 * one rank-1 step per row of B. */
STL_INLINE void acc_start(const int mr, float acc[][STL_NR], const float *restrict row_init)
{
	for (int i = 0; i < mr; i++)
		for (int j = 0; j < STL_NR; j++)
			acc[i][j] = row_init ? row_init[i] : 0.0f;
}

/* acc[i][j] += a[i·lda + p] · bp[j]: column p of A times one row of B. */
STL_INLINE void acc_step(const int mr, float acc[][STL_NR], const float *restrict a, size_t lda,
			 size_t p, const float *restrict bp)
{
	for (int i = 0; i < mr; i++) {
		const float av = a[i * lda + p];
		for (int j = 0; j < STL_NR; j++)
			acc[i][j] += av * bp[j];
	}
}

/* One mr×STL_NR tile over depth k; stores the first nc (≤ STL_NR) columns. */
STL_INLINE void tile(const int mr, uint32_t k, const float *restrict a, size_t lda,
		     const float *restrict b, size_t ldb, float *restrict c, size_t ldc, uint32_t nc,
		     const float *restrict row_init, float lo, float hi)
{
	float acc[STL_MR][STL_NR];
	acc_start(mr, acc, row_init);
	for (uint32_t p = 0; p < k; p++)
		acc_step(mr, acc, a, lda, p, b + p * ldb);
	for (int i = 0; i < mr; i++)
		for (int j = 0; j < STL_NR; j++)
			acc[i][j] = stl_clamp(acc[i][j], lo, hi);
	if (nc == STL_NR) {
		for (int i = 0; i < mr; i++)
			for (int j = 0; j < STL_NR; j++)
				c[i * ldc + j] = acc[i][j];
	} else {
		for (int i = 0; i < mr; i++)
			for (uint32_t j = 0; j < nc; j++)
				c[i * ldc + j] = acc[i][j];
	}
}

/* Dispatch on the row count so that every tile() call has a constant mr (STL_SWITCH_MR). */
static void tile_rows(uint32_t mr, uint32_t k, const float *a, size_t lda, const float *b, size_t ldb,
		      float *c, size_t ldc, uint32_t nc, const float *row_init, float lo, float hi)
{
#define STL_TILE_CALL(r) tile(r, k, a, lda, b, ldb, c, ldc, nc, row_init, lo, hi)
	STL_SWITCH_MR(mr, STL_TILE_CALL)
#undef STL_TILE_CALL
}

/* The implicit-GEMM tile: like tile(), but row p = c·ntaps + t of B is plane c shifted by off[t]. */
STL_INLINE void tile_taps(const int mr, uint32_t cg, uint32_t ntaps, const float *restrict a, size_t lda,
			  const float *restrict b, size_t plane, const size_t *off, float *restrict out,
			  const float *restrict row_init, float lo, float hi)
{
	float acc[STL_MR][STL_NR];
	acc_start(mr, acc, row_init);
	for (uint32_t c = 0; c < cg; c++) {
		const float *bc = b + c * plane, *ac = a + c * ntaps;
		for (uint32_t t = 0; t < ntaps; t++)
			acc_step(mr, acc, ac, lda, t, bc + off[t]);
	}
	for (int i = 0; i < mr; i++)
		for (int j = 0; j < STL_NR; j++)
			out[i * STL_NR + j] = stl_clamp(acc[i][j], lo, hi);
}

static void taps_rows(uint32_t mr, uint32_t cg, uint32_t ntaps, const float *a, size_t lda, const float *b,
		      size_t plane, const size_t *off, float *out, const float *row_init, float lo, float hi)
{
#define STL_TAPS_CALL(r) tile_taps(r, cg, ntaps, a, lda, b, plane, off, out, row_init, lo, hi)
	STL_SWITCH_MR(mr, STL_TAPS_CALL)
#undef STL_TAPS_CALL
}
#endif

_Static_assert(STL_STRIP % STL_NR == 0, "the register tile must divide the packed strip");
/* Stands in for a NULL act_op: act NONE. */
static const struct stl_op no_act;

void stl_gemm(uint32_t m, uint32_t n, uint32_t k, const float *a, size_t lda, struct stl_bmat b, float *c,
	      size_t ldc, const float *row_init, const struct stl_op *act_op)
{
	float lo, hi;
	const int clamp_only = stl_act_clamp(act_op ? act_op : &no_act, &lo, &hi);
	/* Rows outer: the mr rows of A stay in L1 while B (sized for L2 by the caller) streams by. An
	 * activation that is no clamp goes over the block's rows once they are done (still in L2). */
	for (uint32_t i = 0; i < m; i += STL_MR) {
		const uint32_t mr = m - i < STL_MR ? m - i : STL_MR;
		for (uint32_t j = 0; j < n; j += STL_NR) {
			const float *bj = b.base + (size_t)(j / STL_STRIP) * b.strip + j % STL_STRIP;
			const uint32_t nc = n - j < STL_NR ? n - j : STL_NR;
			tile_rows(mr, k, a + i * lda, lda, bj, b.ld, c + i * ldc + j, ldc, nc, row_init ? row_init + i : NULL,
				  lo, hi);
		}
		if (!clamp_only)
			for (uint32_t r = 0; r < mr; r++)
				stl_act_apply(act_op, c + (i + r) * ldc, n);
	}
}

void stl_gemm_taps_tile(uint32_t mr, uint32_t cg, uint32_t ntaps, const float *a, size_t lda, const float *b,
			size_t plane, const size_t *off, float *out, const float *row_init, const struct stl_op *act_op)
{
	float lo, hi;
	const int clamp_only = stl_act_clamp(act_op ? act_op : &no_act, &lo, &hi);
	taps_rows(mr, cg, ntaps, a, lda, b, plane, off, out, row_init, lo, hi);
	if (!clamp_only)
		stl_act_apply(act_op, out, (size_t)mr * STL_NR);
}

uint32_t stl_gemm_tile_rows(void)
{
	return STL_MR;
}

uint32_t stl_gemm_tile_cols(void)
{
	return STL_NR;
}
