/* Register-blocked single-precision GEMM, C = A · B, the workhorse of CONV and GEMM.
 *
 * A is broadcast one element at a time, B is read as vectors along its rows, so the N dimension is
 * the one that vectorises: for a convolution N is the output pixels (contiguous in NCHW). */
#ifndef STL_GEMM_H
#define STL_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "stinylib.h"

/* Width of a packed B strip. It is part of the scratch formula, so it is fixed on every target;
 * the register tile width STL_NR divides it. */
#define STL_STRIP 32u
/* Largest register tile (rows × columns) on any target: the size of a tile buffer. */
#define STL_TILE_MAX (16u * STL_STRIP)

/*
 * The B operand: element (p, j) is at base[(j / 32)·strip + p·ld + j % 32]. A packed panel (strips
 * of 32 columns, k rows each) has ld = 32, strip = 32·k; a plain row-major matrix has ld = its row
 * stride, strip = 32. Register tiles always read whole STL_NR-column tiles of B, so the columns up
 * to n rounded up to a tile must be readable (packed panels are zero-padded; callers pass plain
 * matrices only for whole tiles).
 */
struct stl_bmat {
	const float *base;
	size_t ld, strip;
};

/*
 * C[m×n] (row stride ldc) = A[m×k] (row stride lda) · B. Row i starts from row_init[i] (the conv
 * bias) or 0 when row_init is NULL; the op's fused activation (if act_op is not NULL) is applied to
 * each tile as it is stored (a clamp in registers, see stl_act_clamp, or stl_act_apply).
 */
void stl_gemm(uint32_t m, uint32_t n, uint32_t k, const float *a, size_t lda, struct stl_bmat b, float *c,
	      size_t ldc, const float *row_init, const struct stl_op *act_op);

/*
 * One register tile of an implicit GEMM (a stride-1 convolution over a padded input copy):
 * out[mr × tile_cols] (row stride tile_cols) = A[mr × cg·ntaps] · B, read for tile_cols columns.
 * B's rows are walked, not indexed: row 0 is at b, and row c·ntaps + t + 1 is step[t] bytes after
 * row c·ntaps + t (step[ntaps − 1] leads to the next channel's first row), so that the NEON tile
 * reads each row with one post-indexed load. Row i of out starts from row_init[i] or 0; the fused
 * activation of act_op (if not NULL) is applied.
 */
void stl_gemm_taps_tile(uint32_t mr, uint32_t cg, uint32_t ntaps, const float *a, size_t lda, const float *b,
			const ptrdiff_t *step, float *out, const float *row_init, const struct stl_op *act_op);

/* Y[m×n] = X[m×k] · W[k×n], all plain row-major: the GEMM op without bias and activation, and
 * each matrix product of MATMUL. */
void stl_matmul(uint32_t m, uint32_t n, uint32_t k, const float *x, const float *w, float *y);

/* How many leading columns of a plain B of n columns (nothing readable past them) stl_gemm can
 * compute reading B in place: whole strips, or on x86 all n when the tiles' vectors end within
 * them. */
uint32_t stl_gemm_in_place_cols(uint32_t n);

/* Rows and columns of a register tile; a plain B must be read in whole tiles of columns. */
uint32_t stl_gemm_tile_rows(void);
uint32_t stl_gemm_tile_cols(void);

#endif
