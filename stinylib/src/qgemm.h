/* The vectorised int8 GEMM over activation planes: the pointwise convolutions of a quantised
 * model (most of its MACs). qconv.c keeps the plain-C kernels; they are the reference the vector
 * kernels are checked against (stinylib/tools/qkernel_check.c) and the path for what these do
 * not take. */
#ifndef STL_QGEMM_H
#define STL_QGEMM_H

#include <stddef.h>
#include <stdint.h>

#include "conv_geometry.h"
#include "quant.h"

/* y[m·ldy + p] = requant(bias[m] + Σ_c w[m·k_n + c] · (x[c·ldx + p] − zp)) for m < m_n, p < p_n:
 * x holds k_n planes of U8 (or, x_signed, I8) activations, w the I8 weights, row-major [m_n][k_n];
 * requant is stl_qround(acc · mult[m]) as ONNX Runtime computes it, bias may be NULL. The result is
 * the reference kernel's to the byte. Returns 0 without touching y when it does not take the
 * shape (no vector path on this target, too few pixels, too deep); the caller then runs the
 * reference. */
int stl_qgemm_planes(const uint8_t *x, size_t ldx, int x_signed, int32_t zp, const int8_t *w, uint32_t m_n,
		     uint32_t k_n, uint32_t p_n, const float *mult, const int32_t *bias, uint8_t *y, size_t ldy,
		     const struct stl_qparams *yq);

/* y[i·cols + j] = requant(bias[j] + Σ_k w[k·cols + j] · (x[i·depth + k] − zp)): QGEMM's operands
 * (bias may be NULL), its reference's bytes. Returns 0 without touching y when it does not take
 * the shape (no vector path on this target, fewer than 64 columns). */
int stl_qgemm_rows(const uint8_t *x, int x_signed, int32_t zp, const int8_t *w, uint32_t rows, uint32_t depth,
		   uint32_t cols, const float *mult, const int32_t *bias, uint8_t *y, const struct stl_qparams *yq);

/* A convolution whose every output channel reads one input channel (depthwise, with any depth
 * multiplier), NCHW planes, with stl_k_qconv's operands; the reference kernel's bytes. Returns 0
 * when the geometry is past its stack budget (the caller runs the reference). */
int stl_qdepthwise(const struct stl_conv_geometry *g, const uint8_t *x, int x_signed, int32_t zp, const int8_t *w,
		   const float *mult, const int32_t *bias, uint8_t *y, const struct stl_qparams *yq);

/* The references (qconv.c, plain C). stl_qgemm_planes_ref: stl_qgemm_planes for ldx = ldy = p_n,
 * every shape; stl_qconv_ref: any convolution, accumulating one output plane in acc (OH·OW). */
void stl_qconv_ref(const struct stl_conv_geometry *g, const uint8_t *x, int x_signed, int32_t zp, const int8_t *w,
		   const float *mult, const int32_t *bias, uint8_t *y, const struct stl_qparams *yq, int32_t *acc);
void stl_qgemm_planes_ref(const uint8_t *x, int x_signed, int32_t zp, const int8_t *w, uint32_t m_n, uint32_t k_n,
			  uint32_t p_n, const float *mult, const int32_t *bias, uint8_t *y, const struct stl_qparams *yq);

#endif
