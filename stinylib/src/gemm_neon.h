/* The aarch64 GEMM register tile, included by gemm.c on NEON builds: 4 rows × 16 columns of C in
 * v16–v31 for the whole depth, in inline assembly so that no accumulator is ever spilled (gcc's
 * allocation of the C tile stored it to the stack at every step of k). Register use:
 *   v16–v31  the tile: row i in v(16 + 4i) … v(19 + 4i)
 *   v0–v3    four consecutive k of A's rows 0–3 (one 16-byte LD1 each; a lane per step of k)
 *   v4–v7, v8–v11  two rows of B, loaded alternately so that a load never waits on the FMAs
 * A step of k is 16 FMLA by element; k runs in blocks of four steps (4 + 4 loads for 64 FMLA),
 * two blocks per loop iteration, then one step at a time. LD1 needs only 4-byte
 * alignment, also under the TA's alignment checks. The tile goes in and out through memory: 8 LD1/ST1 of four registers. */
#ifndef STL_GEMM_NEON_H
#define STL_GEMM_NEON_H

#include <stddef.h>
#include <stdint.h>

#include "simd.h"

#define STL_NEON_MR 4
#define STL_NEON_NR 16
/* The narrow tile for the last few columns of a row of tiles (P = 49 would otherwise compute 64). */
#define STL_NEON_NR_NARROW 4

#define FMLA(acc, b, a, lane) "fmla v" #acc ".4s, v" #b ".4s, v" #a ".s[" #lane "]\n\t"
/* tile += (lane `lane` of v0…v3) × (the B row in vb0…vb3) */
#define STEP(lane, b0, b1, b2, b3)                                                                  \
	FMLA(16, b0, 0, lane) FMLA(17, b1, 0, lane) FMLA(18, b2, 0, lane) FMLA(19, b3, 0, lane)     \
	FMLA(20, b0, 1, lane) FMLA(21, b1, 1, lane) FMLA(22, b2, 1, lane) FMLA(23, b3, 1, lane)     \
	FMLA(24, b0, 2, lane) FMLA(25, b1, 2, lane) FMLA(26, b2, 2, lane) FMLA(27, b3, 2, lane)     \
	FMLA(28, b0, 3, lane) FMLA(29, b1, 3, lane) FMLA(30, b2, 3, lane) FMLA(31, b3, 3, lane)
#define LOAD_TILE                                   \
	"ld1 {v16.4s-v19.4s}, [%[t]], #64\n\t"      \
	"ld1 {v20.4s-v23.4s}, [%[t]], #64\n\t"      \
	"ld1 {v24.4s-v27.4s}, [%[t]], #64\n\t"      \
	"ld1 {v28.4s-v31.4s}, [%[t]]\n\t"           \
	"sub %[t], %[t], #192\n\t"
#define STORE_TILE                                  \
	"st1 {v16.4s-v19.4s}, [%[t]], #64\n\t"      \
	"st1 {v20.4s-v23.4s}, [%[t]], #64\n\t"      \
	"st1 {v24.4s-v27.4s}, [%[t]], #64\n\t"      \
	"st1 {v28.4s-v31.4s}, [%[t]]\n\t"
/* Four consecutive k of each row of A, and one k (lane 0). */
#define LOAD_A4                                     \
	"ld1 {v0.4s}, [%[a0]], #16\n\t"             \
	"ld1 {v1.4s}, [%[a1]], #16\n\t"             \
	"ld1 {v2.4s}, [%[a2]], #16\n\t"             \
	"ld1 {v3.4s}, [%[a3]], #16\n\t"
#define LOAD_A1                                     \
	"ldr s0, [%[a0]], #4\n\t"                   \
	"ldr s1, [%[a1]], #4\n\t"                   \
	"ldr s2, [%[a2]], #4\n\t"                   \
	"ldr s3, [%[a3]], #4\n\t"
/* One row of B into v(first)…v(last), then b on to the next row: by ldb (plain), or by the tap's
 * step (taps: step[t] is a ptrdiff_t in bytes), two instructions a row instead of an offset's three. */
#define B_PLAIN(first, last) "ld1 {v" #first ".4s-v" #last ".4s}, [%[b]], %[ldb]\n\t"
#define B_TAP(first, last)                          \
	"ldr %[s], [%[o]], #8\n\t"                  \
	"ld1 {v" #first ".4s-v" #last ".4s}, [%[b]], %[s]\n\t"
/* Four steps of k with the B rows alternating between v4–v7 and v8–v11, and one step. */
#define K4(B) LOAD_A4 B(4, 7) B(8, 11) STEP(0, 4, 5, 6, 7) B(4, 7) STEP(1, 8, 9, 10, 11) B(8, 11) \
	STEP(2, 4, 5, 6, 7) STEP(3, 8, 9, 10, 11)
#define K1(B) LOAD_A1 B(4, 7) STEP(0, 4, 5, 6, 7)
#define CLOBBERS "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", \
	"v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", \
	"v30", "v31"

/*
 * tile[i·16 + j] += Σ_p a[i][p] · B(p, j) for i < 4, j < 16, p < k, where row p of B is the 16
 * floats at b + p·ldb. The rows of A are read from a[i] on (4-byte aligned; rows may share a
 * pointer when the caller has fewer than 4).
 */
static void neon_tile(const float *const a[STL_NEON_MR], uint32_t k, const float *b, size_t ldb, float *tile)
{
	const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
	uint64_t k8 = k / 8, k4 = k / 4 % 2, k1 = k % 4;
	const uint64_t ldb_bytes = (uint64_t)ldb * sizeof *b;
	/* Eight steps a loop iteration: the loop's SUBS and B.NE once per 128 FMLA, not per 64. */
	__asm__ volatile(
		LOAD_TILE
		"cbz %[k8], 5f\n"
		"1:\n\t"
		K4(B_PLAIN)
		K4(B_PLAIN)
		"subs %[k8], %[k8], #1\n\t"
		"b.ne 1b\n"
		"5:\n\t"
		"cbz %[k4], 2f\n\t"
		K4(B_PLAIN)
		"2:\n\t"
		"cbz %[k1], 4f\n"
		"3:\n\t"
		K1(B_PLAIN)
		"subs %[k1], %[k1], #1\n\t"
		"b.ne 3b\n"
		"4:\n\t"
		STORE_TILE
		: [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [b] "+r"(b), [k8] "+r"(k8), [k4] "+r"(k4),
		  [k1] "+r"(k1), [t] "+r"(tile)
		: [ldb] "r"(ldb_bytes)
		: CLOBBERS);
}

/*
 * The same over the cg·ntaps rows of B walked from b by step[] (stl_gemm_taps_tile): the implicit
 * GEMM of conv_taps.c, where a[i] runs over the cg·ntaps weights of output channel i.
 */
static void neon_tile_taps(const float *const a[STL_NEON_MR], uint32_t cg, uint32_t ntaps, const float *b,
			   const ptrdiff_t *step, float *tile)
{
	const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
	const uint64_t t8 = ntaps / 8, t4 = ntaps / 4 % 2, t1 = ntaps % 4;
	uint64_t c = cg, s, j;
	const ptrdiff_t *o;
	/* eight steps a loop iteration, as in neon_tile */
	__asm__ volatile(
		LOAD_TILE
		"5:\n\t"
		"mov %[o], %[step]\n\t"
		"mov %[j], %[t8]\n\t"
		"cbz %[j], 6f\n"
		"1:\n\t"
		K4(B_TAP)
		K4(B_TAP)
		"subs %[j], %[j], #1\n\t"
		"b.ne 1b\n"
		"6:\n\t"
		"cbz %[t4], 2f\n\t"
		K4(B_TAP)
		"2:\n\t"
		"mov %[j], %[t1]\n\t"
		"cbz %[j], 4f\n"
		"3:\n\t"
		K1(B_TAP)
		"subs %[j], %[j], #1\n\t"
		"b.ne 3b\n"
		"4:\n\t"
		"subs %[c], %[c], #1\n\t"
		"b.ne 5b\n\t"
		STORE_TILE
		: [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [b] "+r"(b), [c] "+r"(c), [t] "+r"(tile),
		  [s] "=&r"(s), [j] "=&r"(j), [o] "=&r"(o)
		: [step] "r"(step), [t8] "r"(t8), [t4] "r"(t4), [t1] "r"(t1)
		: CLOBBERS);
}

/*
 * The 4 × 4 tile: tile[i·4 + j] += Σ_p a[i][p] · B(p, j), row p of B the 4 floats at b + p·ldb.
 * Twelve registers, so C with intrinsics: gcc keeps them (and LD1 of A through simd.h).
 */
static void neon_tile_narrow(const float *const a[STL_NEON_MR], uint32_t k, const float *b, size_t ldb, float *tile)
{
	const float *ap[STL_NEON_MR] = {a[0], a[1], a[2], a[3]};
	float32x4_t acc[STL_NEON_MR];
	for (int i = 0; i < STL_NEON_MR; i++)
		acc[i] = stl_vld(tile + 4 * i);
	uint32_t p = 0;
	for (; p + 4 <= k; p += 4) {
		float32x4_t av[STL_NEON_MR], bv[4];
		for (int i = 0; i < STL_NEON_MR; i++)
			av[i] = stl_vld(ap[i] + p);
		for (int j = 0; j < 4; j++)
			bv[j] = stl_vld(b + (p + (uint32_t)j) * ldb);
		for (int i = 0; i < STL_NEON_MR; i++) {
			acc[i] = vfmaq_laneq_f32(acc[i], bv[0], av[i], 0);
			acc[i] = vfmaq_laneq_f32(acc[i], bv[1], av[i], 1);
			acc[i] = vfmaq_laneq_f32(acc[i], bv[2], av[i], 2);
			acc[i] = vfmaq_laneq_f32(acc[i], bv[3], av[i], 3);
		}
	}
	for (; p < k; p++) {
		const float32x4_t bv = stl_vld(b + p * ldb);
		for (int i = 0; i < STL_NEON_MR; i++)
			acc[i] = vfmaq_n_f32(acc[i], bv, ap[i][p]);
	}
	for (int i = 0; i < STL_NEON_MR; i++)
		stl_vst(tile + 4 * i, acc[i]);
}

#endif
