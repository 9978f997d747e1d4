/* The GEMM micro-kernel: an MR×NR block of C kept in registers while k runs, one broadcast of A and
 * NR/VL vector loads of B per row step. Written in plain C with compile-time tile sizes so gcc
 * unrolls the i/j loops and vectorises j (AVX-512 on the host, NEON on aarch64). */
#include "gemm.h"
#include "inline.h"

/* Register tile. AVX-512: 8×32 = 16 zmm accumulators of 32. Elsewhere (NEON, AVX2): 4×16. */
#if defined(__AVX512F__)
#define STL_MR 8
#define STL_NR 32
#else
#define STL_MR 4
#define STL_NR 16
#endif

_Static_assert(STL_STRIP % STL_NR == 0, "the register tile must divide the packed strip");

/* One mr×STL_NR tile over depth k; stores the first nc (≤ STL_NR) columns. */
STL_INLINE void tile(const int mr, uint32_t k, const float *restrict a, size_t lda,
		     const float *restrict b, size_t ldb, float *restrict c, size_t ldc, uint32_t nc,
		     const float *restrict row_init)
{
	float acc[STL_MR][STL_NR];
	for (int i = 0; i < mr; i++)
		for (int j = 0; j < STL_NR; j++)
			acc[i][j] = row_init ? row_init[i] : 0.0f;
	for (uint32_t p = 0; p < k; p++) {
		const float *restrict bp = b + p * ldb;
		for (int i = 0; i < mr; i++) {
			const float av = a[i * lda + p];
			for (int j = 0; j < STL_NR; j++)
				acc[i][j] += av * bp[j];
		}
	}
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

/* Dispatch on the row count so that every tile() call has a constant mr. */
static void tile_rows(uint32_t mr, uint32_t k, const float *a, size_t lda, const float *b, size_t ldb,
		      float *c, size_t ldc, uint32_t nc, const float *row_init)
{
	switch (mr) {
#if STL_MR == 8
	case 8: tile(8, k, a, lda, b, ldb, c, ldc, nc, row_init); break;
	case 7: tile(7, k, a, lda, b, ldb, c, ldc, nc, row_init); break;
	case 6: tile(6, k, a, lda, b, ldb, c, ldc, nc, row_init); break;
	case 5: tile(5, k, a, lda, b, ldb, c, ldc, nc, row_init); break;
#endif
	case 4: tile(4, k, a, lda, b, ldb, c, ldc, nc, row_init); break;
	case 3: tile(3, k, a, lda, b, ldb, c, ldc, nc, row_init); break;
	case 2: tile(2, k, a, lda, b, ldb, c, ldc, nc, row_init); break;
	default: tile(1, k, a, lda, b, ldb, c, ldc, nc, row_init); break;
	}
}

void stl_gemm_packed(uint32_t m, uint32_t n, uint32_t k, const float *a, size_t lda, const float *bp,
		     float *c, size_t ldc, const float *row_init)
{
	/* Rows outer: the mr rows of A stay in L1 while the packed panel (sized for L2) streams by. */
	for (uint32_t i = 0; i < m; i += STL_MR) {
		uint32_t mr = m - i < STL_MR ? m - i : STL_MR;
		for (uint32_t j = 0; j < n; j += STL_NR) {
			const float *strip = bp + (size_t)(j / STL_STRIP) * k * STL_STRIP + j % STL_STRIP;
			uint32_t nc = n - j < STL_NR ? n - j : STL_NR;
			tile_rows(mr, k, a + i * lda, lda, strip, STL_STRIP, c + i * ldc + j, ldc, nc,
				  row_init ? row_init + i : NULL);
		}
	}
}

void stl_gemm_rows(uint32_t m, uint32_t n, uint32_t k, const float *a, size_t lda, const float *b,
		   size_t ldb, float *c, size_t ldc)
{
	uint32_t full = n - n % STL_NR;
	for (uint32_t i = 0; i < m; i += STL_MR) {
		uint32_t mr = m - i < STL_MR ? m - i : STL_MR;
		for (uint32_t j = 0; j < full; j += STL_NR)
			tile_rows(mr, k, a + i * lda, lda, b + j, ldb, c + i * ldc + j, ldc, STL_NR, NULL);
	}
	/* Columns past the last full tile: B cannot be over-read, so they go one by one. */
	for (uint32_t i = 0; i < m; i++)
		for (uint32_t j = full; j < n; j++) {
			float s = 0.0f;
			for (uint32_t p = 0; p < k; p++)
				s += a[i * lda + p] * b[p * ldb + j];
			c[i * ldc + j] = s;
		}
}
