/* Register-blocked single-precision GEMM, C = A · B, the workhorse of CONV and GEMM.
 *
 * A is broadcast one element at a time, B is read as vectors along its rows, so the N dimension is
 * the one that vectorises: for a convolution N is the output pixels (contiguous in NCHW). */
#ifndef STL_GEMM_H
#define STL_GEMM_H

#include <stddef.h>
#include <stdint.h>

/* Width of a packed B strip. It is part of the scratch formula, so it is fixed on every target;
 * the register tile width STL_NR divides it. */
#define STL_STRIP 32u

/*
 * C[m×n] (row stride ldc) = A[m×k] (row stride lda) · Bp, where Bp is B[k×n] packed in strips:
 * strip s holds columns [32s, 32s+32) as k consecutive rows of 32 floats (columns past n are
 * ignored). Row i starts from row_init[i] (the conv bias) or 0 when row_init is NULL.
 */
void stl_gemm_packed(uint32_t m, uint32_t n, uint32_t k, const float *a, size_t lda, const float *bp,
		     float *c, size_t ldc, const float *row_init);

/* C[m×n] = A[m×k] · B[k×n] with B row-major (row stride ldb), unpacked; C starts from 0. */
void stl_gemm_rows(uint32_t m, uint32_t n, uint32_t k, const float *a, size_t lda, const float *b,
		   size_t ldb, float *c, size_t ldc);

#endif
