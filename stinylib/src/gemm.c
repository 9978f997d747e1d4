/* The GEMM micro-kernel: an MR×NR block of C kept in registers while k runs, one broadcast of A and
 * NR/VL vector loads of B per row step. On aarch64 it is the inline-assembly tile of gemm_neon.h;
 * elsewhere plain C with compile-time tile sizes so gcc unrolls the i/j loops and vectorises j. */
#include "gemm.h"

#include <float.h>

#include "act.h"
#include "inline.h"
#include "simd.h"

#if defined(STL_SIMD_NEON)
#include "gemm_neon.h"

#define STL_MR STL_NEON_MR
#define STL_NR STL_NEON_NR
/* A row's last few columns go to the narrow 4×4 tiles, not to gemv_cols; no wide tile. */
#define STL_GEMV_COLS 0u
#define STL_WIDE_COLS 0u

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

/* The first mr rows and nc columns of the tile (width nr), clamped, to c (row stride ldc); with no
 * upper bound (hi = +inf: RELU, NONE) the FMIN is left out, which changes no value. */
STL_INLINE void clamp_store(uint32_t mr, const float *tile, uint32_t nr, float *c, size_t ldc, uint32_t nc,
			 float lo, float hi, const int upper)
{
	const stl_vf vlo = stl_vdup(lo), vhi = stl_vdup(hi);
	for (uint32_t i = 0; i < mr; i++) {
		if (nc == STL_NR) { /* a whole row: one LD1 and one ST1 of four registers */
			stl_vf v[4];
			stl_vld_x4(tile + i * nr, v);
			for (int j = 0; j < 4; j++)
				v[j] = upper ? stl_vclamp(v[j], vlo, vhi) : vmaxq_f32(vlo, v[j]);
			stl_vst_x4(c + i * ldc, v);
			continue;
		}
		for (uint32_t j = 0; j < nc; j += 4) {
			const stl_vf x = stl_vld(tile + i * nr + j), v = upper ? stl_vclamp(x, vlo, vhi) : vmaxq_f32(vlo, x);
			if (nc - j >= 4)
				stl_vst(c + i * ldc + j, v);
			else
				stl_vst_part(c + i * ldc + j, v, nc - j);
		}
	}
}

static void neon_finish(uint32_t mr, const float *tile, uint32_t nr, float *c, size_t ldc, uint32_t nc, float lo,
			float hi)
{
	if (hi <= FLT_MAX)
		clamp_store(mr, tile, nr, c, ldc, nc, lo, hi, 1);
	else
		clamp_store(mr, tile, nr, c, ldc, nc, lo, hi, 0);
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
		      const ptrdiff_t *step, float *out, const float *row_init, float lo, float hi)
{
	float tile[STL_MR * STL_NR];
	const float *rows[STL_MR];
	neon_start(mr, a, lda, row_init, rows, tile, STL_NR);
	neon_tile_taps(rows, cg, ntaps, b, step, tile);
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
/* Up to this many columns past a row's last whole vector go to gemv_cols. */
#define STL_GEMV_COLS 4u

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

/* Both tiles below are the same register block, acc[i][v] the vector v of row i (nv = nr / STL_VL
 * vectors a row, a constant): it starts at the row's bias (or 0) and grows by one rank-1 step per
 * row of B. */
#define STL_NV (STL_NR / STL_VL)
/* The widest tile: one and a half of the usual (AVX-512: 8×48 = 24 zmm accumulators), for a plain B
 * whose last columns are exactly that many (P = 49 = 48 + 1: the 7×7 planes), where a tile of 32
 * and one of 16 would broadcast each element of A twice. */
#define STL_NV_WIDE (STL_NV + STL_NV / 2)
#if defined(__AVX512F__)
#define STL_WIDE_COLS (STL_NV_WIDE * STL_VL)
#else
#define STL_WIDE_COLS 0u /* 12 AVX2 accumulators would leave too few registers */
#endif
STL_INLINE void acc_start(const int mr, const int nv, stl_vf acc[][STL_NV_WIDE], const float *restrict row_init)
{
	for (int i = 0; i < mr; i++)
		for (int v = 0; v < nv; v++)
			acc[i][v] = stl_vdup(row_init ? row_init[i] : 0.0f);
}

/* acc[i][v] += a[i·lda + p] · (vector v of bp): column p of A times one row of B. */
STL_INLINE void acc_step(const int mr, const int nv, stl_vf acc[][STL_NV_WIDE], const float *restrict a, size_t lda,
			 size_t p, const float *restrict bp)
{
	stl_vf b[STL_NV_WIDE];
	for (int v = 0; v < nv; v++)
		b[v] = stl_vld(bp + v * STL_VL);
	for (int i = 0; i < mr; i++) {
		const stl_vf av = stl_vdup(a[i * lda + p]);
		for (int v = 0; v < nv; v++)
			acc[i][v] = stl_vfma(acc[i][v], b[v], av);
	}
}

/* The tile clamped to [lo, hi], its first nc columns stored to c (row stride ldc). */
STL_INLINE void acc_store(const int mr, const int nv, stl_vf acc[][STL_NV_WIDE], float *restrict c, size_t ldc,
			  uint32_t nc, float lo, float hi)
{
	const stl_vf vlo = stl_vdup(lo), vhi = stl_vdup(hi);
	for (int i = 0; i < mr; i++)
		for (int v = 0; v < nv; v++) {
			const stl_vf y = stl_vclamp(acc[i][v], vlo, vhi);
			const uint32_t j = (uint32_t)v * STL_VL;
			if (nc >= j + STL_VL)
				stl_vst(c + i * ldc + j, y);
			else if (nc > j)
				stl_vst_part(c + i * ldc + j, y, nc - j);
		}
}

/* One mr × (nv·STL_VL) tile over depth k (nv is STL_NV, or half of it for a row's last few
 * columns); stores the first nc columns. */
STL_INLINE void tile(const int mr, const int nv, uint32_t k, const float *restrict a, size_t lda,
		     const float *restrict b, size_t ldb, float *restrict c, size_t ldc, uint32_t nc,
		     const float *restrict row_init, float lo, float hi)
{
	stl_vf acc[STL_MR][STL_NV_WIDE];
	acc_start(mr, nv, acc, row_init);
	for (uint32_t p = 0; p < k; p++)
		acc_step(mr, nv, acc, a, lda, p, b + p * ldb);
	acc_store(mr, nv, acc, c, ldc, nc, lo, hi);
}

/* Dispatch on the row count so that every tile() call has a constant mr (STL_SWITCH_MR); a last
 * tile of at most half the columns computes only those (P = 196 = 6·32 + 4 on AVX-512). */
static void tile_rows(uint32_t mr, uint32_t k, const float *a, size_t lda, const float *b, size_t ldb,
		      float *c, size_t ldc, uint32_t nc, const float *row_init, float lo, float hi)
{
	if (nc <= STL_NR / 2) {
#define STL_TILE_CALL(r) tile(r, STL_NV / 2, k, a, lda, b, ldb, c, ldc, nc, row_init, lo, hi)
		STL_SWITCH_MR(mr, STL_TILE_CALL)
#undef STL_TILE_CALL
		return;
	}
	if (STL_WIDE_COLS && nc > STL_NR) {
#define STL_TILE_CALL(r) tile(r, STL_NV_WIDE, k, a, lda, b, ldb, c, ldc, nc, row_init, lo, hi)
		STL_SWITCH_MR(mr, STL_TILE_CALL)
#undef STL_TILE_CALL
		return;
	}
#define STL_TILE_CALL(r) tile(r, STL_NV, k, a, lda, b, ldb, c, ldc, nc, row_init, lo, hi)
	STL_SWITCH_MR(mr, STL_TILE_CALL)
#undef STL_TILE_CALL
}

/* The implicit-GEMM tile: like tile(), but B's rows are walked by step[] (stl_gemm_taps_tile). */
STL_INLINE void tile_taps(const int mr, uint32_t cg, uint32_t ntaps, const float *restrict a, size_t lda,
			  const float *restrict b, const ptrdiff_t *step, float *restrict out,
			  const float *restrict row_init, float lo, float hi)
{
	stl_vf acc[STL_MR][STL_NV_WIDE];
	acc_start(mr, STL_NV, acc, row_init);
	const char *row = (const char *)b;
	for (uint32_t c = 0; c < cg; c++) {
		const float *ac = a + c * ntaps;
		for (uint32_t t = 0; t < ntaps; t++) {
			acc_step(mr, STL_NV, acc, ac, lda, t, (const float *)row);
			row += step[t];
		}
	}
	acc_store(mr, STL_NV, acc, out, STL_NR, STL_NR, lo, hi);
}

static void taps_rows(uint32_t mr, uint32_t cg, uint32_t ntaps, const float *a, size_t lda, const float *b,
		      const ptrdiff_t *step, float *out, const float *row_init, float lo, float hi)
{
#define STL_TAPS_CALL(r) tile_taps(r, cg, ntaps, a, lda, b, step, out, row_init, lo, hi)
	STL_SWITCH_MR(mr, STL_TAPS_CALL)
#undef STL_TAPS_CALL
}
#endif

_Static_assert(STL_STRIP % STL_NR == 0, "the register tile must divide the packed strip");

/* Σ x[p]·y[p] for p < n, in STL_VL lanes and four independent chains. */
static float dot(const float *x, const float *y, uint32_t n)
{
	stl_vf acc[4] = {stl_vdup(0.0f), stl_vdup(0.0f), stl_vdup(0.0f), stl_vdup(0.0f)};
	uint32_t p = 0;
	for (; p + 4 * STL_VL <= n; p += 4 * STL_VL)
		for (int u = 0; u < 4; u++)
			acc[u] = stl_vfma(acc[u], stl_vld(x + p + u * STL_VL), stl_vld(y + p + u * STL_VL));
	for (; p + STL_VL <= n; p += STL_VL)
		acc[0] = stl_vfma(acc[0], stl_vld(x + p), stl_vld(y + p));
	float sum = stl_vsum_lanes(stl_vadd(stl_vadd(acc[0], acc[1]), stl_vadd(acc[2], acc[3])));
	for (; p < n; p++)
		sum += x[p] * y[p];
	return sum;
}

/* Depth gathered at a time by gemv_cols, into a stack buffer. */
#define STL_GEMV_K 256u
_Static_assert(STL_GEMV_COLS <= 4u, "gemv_cols gathers up to four columns");

/* Columns [j0, n) of all m rows (up to four: a row's last few, past its last whole
 * vector, where a register tile would compute a whole vector for each: P = 196 = 12·16 + 4 on
 * AVX-512): each column of B gathered into a contiguous run, STL_GEMV_K floats of depth at a time,
 * once for all rows, and dotted with each row of A. The partial sums wait in c between runs. */
static void gemv_cols(uint32_t m, uint32_t j0, uint32_t n, uint32_t k, const float *a, size_t lda,
		      struct stl_bmat b, float *c, size_t ldc, const float *row_init, float lo, float hi)
{
	float col[4][STL_GEMV_K];
	for (uint32_t p0 = 0; p0 < k; p0 += STL_GEMV_K) {
		const uint32_t kc = k - p0 < STL_GEMV_K ? k - p0 : STL_GEMV_K;
		for (uint32_t j = j0; j < n; j++) {
			const float *bj = b.base + (size_t)(j / STL_STRIP) * b.strip + j % STL_STRIP + (size_t)p0 * b.ld;
			for (uint32_t p = 0; p < kc; p++)
				col[j - j0][p] = bj[(size_t)p * b.ld];
		}
		for (uint32_t i = 0; i < m; i++)
			for (uint32_t j = j0; j < n; j++) {
				const float sum = p0 ? c[i * ldc + j] : row_init ? row_init[i] : 0.0f;
				c[i * ldc + j] = sum + dot(a + i * lda + p0, col[j - j0], kc);
			}
	}
	for (uint32_t i = 0; i < m; i++)
		for (uint32_t j = j0; j < n; j++)
			c[i * ldc + j] = stl_clamp(c[i * ldc + j], lo, hi);
}
/* Stands in for a NULL act_op: act NONE. */
static const struct stl_op no_act;

void stl_gemm(uint32_t m, uint32_t n, uint32_t k, const float *a, size_t lda, struct stl_bmat b, float *c,
	      size_t ldc, const float *row_init, const struct stl_op *act_op)
{
	float lo, hi;
	const int clamp_only = stl_act_clamp(act_op ? act_op : &no_act, &lo, &hi);
	/* Rows outer: the mr rows of A stay in L1 while B (sized for L2 by the caller) streams by. An
	 * activation that is no clamp goes over the block's rows once they are done (still in L2). The
	 * last few columns past a whole vector go to gemv_cols first, for all rows at once (never on
	 * NEON: STL_GEMV_COLS 0). */
	const uint32_t rest = n % STL_VL, tiled = rest <= STL_GEMV_COLS ? n - rest : n;
	/* a plain matrix: its columns are contiguous across strips, a wide tile can read them */
	const int plain = b.strip == STL_STRIP;
	if (STL_GEMV_COLS && tiled < n)
		gemv_cols(m, tiled, n, k, a, lda, b, c, ldc, row_init, lo, hi);
	for (uint32_t i = 0; i < m; i += STL_MR) {
		const uint32_t mr = m - i < STL_MR ? m - i : STL_MR;
		for (uint32_t j = 0; j < tiled; j += STL_NR) {
			const float *bj = b.base + (size_t)(j / STL_STRIP) * b.strip + j % STL_STRIP;
			const int wide = STL_WIDE_COLS && plain && tiled - j == STL_WIDE_COLS; /* the last tile */
			const uint32_t nc = wide ? STL_WIDE_COLS : tiled - j < STL_NR ? tiled - j : STL_NR;
			tile_rows(mr, k, a + i * lda, lda, bj, b.ld, c + i * ldc + j, ldc, nc, row_init ? row_init + i : NULL,
				  lo, hi);
			if (wide)
				break;
		}
		if (!clamp_only)
			for (uint32_t r = 0; r < mr; r++)
				stl_act_apply(act_op, c + (i + r) * ldc, n);
	}
}

void stl_gemm_taps_tile(uint32_t mr, uint32_t cg, uint32_t ntaps, const float *a, size_t lda, const float *b,
			const ptrdiff_t *step, float *out, const float *row_init, const struct stl_op *act_op)
{
	float lo, hi;
	const int clamp_only = stl_act_clamp(act_op ? act_op : &no_act, &lo, &hi);
	taps_rows(mr, cg, ntaps, a, lda, b, step, out, row_init, lo, hi);
	if (!clamp_only)
		stl_act_apply(act_op, out, (size_t)mr * STL_NR);
}

uint32_t stl_gemm_in_place_cols(uint32_t n)
{
	/* A tile reads STL_NR columns, or STL_NR / 2 for a row's last few (or the wide tile's
	 * STL_WIDE_COLS): all within n when the tiled columns end on a half tile and the few past a
	 * whole vector go to gemv_cols, which reads only them. Otherwise whole strips (NEON's narrow
	 * tiles read four columns). */
	const uint32_t rest = n % STL_VL;
	return STL_GEMV_COLS && rest <= STL_GEMV_COLS && (n - rest) % (STL_NR / 2) == 0 ? n : n - n % STL_STRIP;
}

uint32_t stl_gemm_tile_rows(void)
{
	return STL_MR;
}

uint32_t stl_gemm_tile_cols(void)
{
	return STL_NR;
}
