/* QCONV and QGEMM: int8 weights times U8/I8 activations, accumulated in int32, requantised per
 * output channel with the converter's multiplier x_scale * w_scale[m] / y_scale (as ONNX
 * Runtime's QLinearConv computes it), plus the int32 bias.
 *
 * QCONV accumulates one output plane at a time in the scratch tensor: for each (channel, tap) a
 * pass over the valid output rows and columns adds (x - x_zp) * w, so padding (which holds x_zp,
 * i.e. zero) is skipped instead of read, and the unit-stride inner loop is plain C the compiler
 * vectorises. Grouped and depthwise convolutions are the same loop over each group's channels. */
#include <string.h>

#include "conv_geometry.h"
#include "kernels.h"
#include "qgemm.h"
#include "quant.h"

/* First output index o >= 0 with o * s + off >= 0, and one past the last with o * s + off < n
 * (clamped to [0, out]). */
static void valid_span(int64_t off, int64_t s, int64_t n, int64_t out, int64_t *lo, int64_t *hi)
{
	int64_t a = off >= 0 ? 0 : (-off + s - 1) / s;
	int64_t b = n - off <= 0 ? 0 : (n - off - 1) / s + 1;
	*lo = a < out ? a : out;
	*hi = b < out ? b : out;
	if (*hi < *lo)
		*hi = *lo;
}

/* acc[o] += (row[o * sw + col0] - zp) * w over the valid outputs of one tap; a copy per
 * signedness, with the unit stride (most taps) apart so that the compiler vectorises it. */
#define STL_QTAP(name, type)                                                                         \
	static void name(int32_t *restrict acc, const type *restrict row, int64_t sw, int64_t col0,   \
			 int64_t lo, int64_t hi, int32_t zp, int32_t w)                               \
	{                                                                                             \
		if (sw == 1) {                                                                        \
			const type *restrict in = row + col0;                                         \
			for (int64_t o = lo; o < hi; o++)                                             \
				acc[o] += ((int32_t)in[o] - zp) * w;                                  \
			return;                                                                       \
		}                                                                                     \
		for (int64_t o = lo; o < hi; o++)                                                     \
			acc[o] += ((int32_t)row[o * sw + col0] - zp) * w;                             \
	}
STL_QTAP(tap_u8, uint8_t)
STL_QTAP(tap_i8, int8_t)

/* Plain pointwise convs (1x1, stride 1, no padding, one group; most of a MobileNet's MACs) as a
 * register-blocked GEMM: a tile of STL_QPW_M output channels by STL_QPW_P pixels stays in int32
 * accumulators over the whole input-channel loop and is requantised straight from them. The tile
 * loops have constant trip counts so that the compiler keeps the tile in vector registers. */
#define STL_QPW_M 4
#define STL_QPW_P 16
#define STL_QPOINTWISE(name, type)                                                                    \
	static void name(const type *restrict x, const int8_t *restrict w, const float *mult,           \
			 const int32_t *bias, uint8_t *restrict y, uint32_t c_n, uint32_t m_n, uint32_t p_n,   \
			 int32_t zp, const struct stl_qparams *yq)                                       \
	{                                                                                               \
		for (uint32_t m0 = 0; m0 < m_n; m0 += STL_QPW_M)                                       \
			for (uint32_t p0 = 0; p0 < p_n; p0 += STL_QPW_P) {                             \
				const uint32_t nm = m_n - m0 < STL_QPW_M ? m_n - m0 : STL_QPW_M;       \
				const uint32_t np = p_n - p0 < STL_QPW_P ? p_n - p0 : STL_QPW_P;       \
				int32_t acc[STL_QPW_M][STL_QPW_P];                                     \
				for (uint32_t j = 0; j < STL_QPW_M; j++)                               \
					for (uint32_t i = 0; i < STL_QPW_P; i++)                       \
						acc[j][i] = bias && j < nm ? bias[m0 + j] : 0;         \
				if (nm == STL_QPW_M && np == STL_QPW_P) {                              \
					for (uint32_t c = 0; c < c_n; c++) {                           \
						const type *xr = x + (size_t)c * p_n + p0;             \
						int32_t wv[STL_QPW_M];                                 \
						for (uint32_t j = 0; j < STL_QPW_M; j++)               \
							wv[j] = w[(size_t)(m0 + j) * c_n + c];         \
						for (uint32_t j = 0; j < STL_QPW_M; j++)               \
							for (uint32_t i = 0; i < STL_QPW_P; i++)       \
								acc[j][i] += ((int32_t)xr[i] - zp) * wv[j]; \
					}                                                              \
				} else {                                                               \
					for (uint32_t c = 0; c < c_n; c++)                             \
						for (uint32_t j = 0; j < nm; j++)                      \
							for (uint32_t i = 0; i < np; i++)              \
								acc[j][i] += ((int32_t)x[(size_t)c * p_n + p0 + i] - zp) * \
									     w[(size_t)(m0 + j) * c_n + c];  \
				}                                                                      \
				for (uint32_t j = 0; j < nm; j++)                                      \
					for (uint32_t i = 0; i < np; i++)                              \
						y[(size_t)(m0 + j) * p_n + p0 + i] =                   \
							stl_qround((float)acc[j][i] * mult[m0 + j], yq); \
			}                                                                              \
	}
STL_QPOINTWISE(pointwise_u8, uint8_t)
STL_QPOINTWISE(pointwise_i8, int8_t)

void stl_qgemm_planes_ref(const uint8_t *x, int x_signed, int32_t zp, const int8_t *w, uint32_t m_n, uint32_t k_n,
			  uint32_t p_n, const float *mult, const int32_t *bias, uint8_t *y, const struct stl_qparams *yq)
{
	if (x_signed)
		pointwise_i8((const int8_t *)x, w, mult, bias, y, k_n, m_n, p_n, zp, yq);
	else
		pointwise_u8(x, w, mult, bias, y, k_n, m_n, p_n, zp, yq);
}

static void requant_plane(uint8_t *y, const int32_t *acc, uint32_t n, float mult, const struct stl_qparams *q)
{
	for (uint32_t i = 0; i < n; i++)
		y[i] = stl_qround((float)acc[i] * mult, q);
}

void stl_qconv_ref(const struct stl_conv_geometry *g, const uint8_t *x, int x_signed, int32_t zp, const int8_t *w,
		   const float *mult, const int32_t *bias, uint8_t *y, const struct stl_qparams *yq, int32_t *acc)
{
	const int64_t cg = (int64_t)g->cg, mg = (int64_t)g->m / g->group;
	const int64_t plane_in = (int64_t)g->h * g->w, plane_out = (int64_t)g->oh * g->ow;
	const int64_t kh_n = g->kh, kw_n = g->kw, sh = g->sh, sw = g->sw;
	const int64_t dh = g->dh, dw = g->dw, pt = g->pt, pl = g->pl;
	for (int64_t n = 0; n < (int64_t)g->n; n++)
		for (int64_t m = 0; m < (int64_t)g->m; m++) {
			const int64_t grp = m / mg;
			const int32_t b = bias ? bias[m] : 0;
			for (int64_t i = 0; i < plane_out; i++)
				acc[i] = b;
			for (int64_t c = 0; c < cg; c++) {
				const uint8_t *plane = x + ((n * (int64_t)g->c + grp * cg + c) * plane_in);
				for (int64_t kh = 0; kh < kh_n; kh++) {
					int64_t oh_lo, oh_hi;
					valid_span(kh * dh - pt, sh, g->h, g->oh, &oh_lo, &oh_hi);
					for (int64_t kw = 0; kw < kw_n; kw++) {
						const int32_t wv = w[((m * cg + c) * kh_n + kh) * kw_n + kw];
						if (wv == 0)
							continue;
						int64_t ow_lo, ow_hi;
						const int64_t col0 = kw * dw - pl;
						valid_span(col0, sw, g->w, g->ow, &ow_lo, &ow_hi);
						for (int64_t oh = oh_lo; oh < oh_hi; oh++) {
							const uint8_t *row = plane + (oh * sh + kh * dh - pt) * (int64_t)g->w;
							if (x_signed)
								tap_i8(acc + oh * g->ow, (const int8_t *)row, sw, col0, ow_lo,
								       ow_hi, zp, wv);
							else
								tap_u8(acc + oh * g->ow, row, sw, col0, ow_lo, ow_hi, zp, wv);
						}
					}
				}
			}
			requant_plane(y + (n * (int64_t)g->m + m) * plane_out, acc, (uint32_t)plane_out, mult[m], yq);
		}
}

/* Pixels of one im2col block at most: the converter sizes QCONV's scratch for a block this wide
 * (tzinfer/convert/build.py), more would only grow the arena. */
#define STL_QCOL_PIXELS 256u

/* A one-group convolution as stl_qgemm_planes over im2col blocks in the scratch buffer: for a
 * block of output pixels (raster order) plane k = (c, kh, kw) holds the input byte each pixel's
 * tap reads, or x_zp where it falls in the padding. The last block overlaps the one before (the
 * same bytes twice) so that every block is as wide. Returns 0 (nothing written) when the buffer
 * holds too narrow a block or the vector GEMM does not take the shape. */
static int qconv_im2col(const struct stl_conv_geometry *g, const uint8_t *x, int x_signed, int32_t zp,
			const int8_t *w, const float *mult, const int32_t *bias, uint8_t *y,
			const struct stl_qparams *yq, uint8_t *col, uint32_t col_bytes)
{
	const uint32_t k_n = g->c * g->kh * g->kw, p_n = g->oh * g->ow;
	uint32_t width = col_bytes / k_n < STL_QCOL_PIXELS ? col_bytes / k_n : STL_QCOL_PIXELS;
	width = width < p_n ? width : p_n;
	if (width < 64 || k_n > 65536u)
		return 0;
	const uint8_t pad = (uint8_t)zp;
	for (uint32_t n = 0; n < g->n; n++) {
		const uint8_t *xn = x + (size_t)n * g->c * g->h * g->w;
		uint8_t *yn = y + (size_t)n * g->m * p_n;
		for (uint32_t p0 = 0; p0 < p_n; p0 += width) {
			const uint32_t start = p_n - p0 < width ? p_n - width : p0;
			uint8_t *row = col;
			for (uint32_t c = 0; c < g->c; c++)
				for (uint32_t kh = 0; kh < g->kh; kh++)
					for (uint32_t kw = 0; kw < g->kw; kw++, row += width) {
						const uint8_t *plane = xn + (size_t)c * g->h * g->w;
						/* the block's pixels as runs along output rows */
						uint32_t oh = start / g->ow, ow = start % g->ow;
						for (uint32_t i = 0; i < width; oh++, ow = 0) {
							const uint32_t run = g->ow - ow < width - i ? g->ow - ow : width - i;
							const int64_t ih = (int64_t)oh * g->sh + (int64_t)kh * g->dh - g->pt;
							if (ih < 0 || ih >= g->h) {
								memset(row + i, pad, run);
							} else {
								const uint8_t *in = plane + (size_t)ih * g->w;
								const int64_t iw0 = (int64_t)ow * g->sw + (int64_t)kw * g->dw - g->pl;
								int64_t lo, hi; /* the run's pixels inside the input row */
								valid_span(iw0, g->sw, g->w, run, &lo, &hi);
								memset(row + i, pad, (size_t)lo);
								if (g->sw == 1)
									memcpy(row + i + lo, in + iw0 + lo, (size_t)(hi - lo));
								else
									for (int64_t j = lo; j < hi; j++)
										row[i + j] = in[iw0 + j * g->sw];
								memset(row + i + hi, pad, (size_t)(run - hi));
							}
							i += run;
						}
					}
			if (!stl_qgemm_planes(col, width, x_signed, zp, w, g->m, k_n, width, mult, bias, yn + start, p_n,
					      yq))
				return 0;
		}
	}
	return 1;
}

void stl_k_qconv(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *wt = stl_operand(e, 1), *yt = stl_operand(e, stl_out(e));
	struct stl_conv_geometry g;
	stl_conv_geometry(&g, xt->dims, wt->dims, e->op->iattr);
	const uint8_t *x = (const uint8_t *)stl_data(e, 0);
	const int8_t *w = (const int8_t *)stl_data(e, 1);
	const float *mult = stl_data(e, 2);
	const int32_t *bias = e->op->n_in == 4 ? (const int32_t *)stl_data(e, 3) : NULL;
	uint8_t *y = (uint8_t *)stl_data(e, stl_out(e));
	const struct stl_qparams xq = stl_qparams_of(xt), yq = stl_qparams_of(yt);
	const int x_signed = xt->dtype == STL_DTYPE_I8;

	if (stl_conv_is_plain_pointwise(&g) && g.group == 1) {
		for (uint32_t n = 0; n < g.n; n++) {
			const uint8_t *xn = x + (size_t)n * g.c * g.p;
			uint8_t *yn = y + (size_t)n * g.m * g.p;
			if (!stl_qgemm_planes(xn, g.p, x_signed, xq.zp, w, g.m, g.c, g.p, mult, bias, yn, g.p, &yq))
				stl_qgemm_planes_ref(xn, x_signed, xq.zp, w, g.m, g.c, g.p, mult, bias, yn, &yq);
		}
		return;
	}
	if (g.cg == 1 && stl_qdepthwise(&g, x, x_signed, xq.zp, w, mult, bias, y, &yq))
		return;
	void *scratch = stl_op_scratch(e);
	if (g.group == 1 && qconv_im2col(&g, x, x_signed, xq.zp, w, mult, bias, y, &yq, scratch,
					 stl_operand(e, stl_scratch(e))->size))
		return;
	stl_qconv_ref(&g, x, x_signed, xq.zp, w, mult, bias, y, &yq, scratch);
}

/* Output columns accumulated at once in QGEMM (a stack buffer: the TA's stack is small). */
#define STL_QGEMM_COLS 256

void stl_k_qgemm(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *wt = stl_operand(e, 1), *yt = stl_operand(e, stl_out(e));
	const uint32_t rows = xt->dims[0], depth = xt->dims[1], cols = wt->dims[1];
	const uint8_t *x = (const uint8_t *)stl_data(e, 0);
	const int8_t *w = (const int8_t *)stl_data(e, 1);
	const float *mult = stl_data(e, 2);
	const int32_t *bias = e->op->n_in == 4 ? (const int32_t *)stl_data(e, 3) : NULL;
	uint8_t *y = (uint8_t *)stl_data(e, stl_out(e));
	const struct stl_qparams xq = stl_qparams_of(xt), yq = stl_qparams_of(yt);
	const int x_signed = xt->dtype == STL_DTYPE_I8;
	if (stl_qgemm_rows(x, x_signed, xq.zp, w, rows, depth, cols, mult, bias, y, &yq))
		return;
	int32_t acc[STL_QGEMM_COLS];

	for (uint32_t i = 0; i < rows; i++)
		for (uint32_t j0 = 0; j0 < cols; j0 += STL_QGEMM_COLS) {
			const uint32_t nj = cols - j0 < STL_QGEMM_COLS ? cols - j0 : STL_QGEMM_COLS;
			for (uint32_t j = 0; j < nj; j++)
				acc[j] = bias ? bias[j0 + j] : 0;
			for (uint32_t k = 0; k < depth; k++) {
				const int32_t xv = stl_qload(x, i * depth + k, x_signed) - xq.zp;
				const int8_t *wrow = w + (size_t)k * cols + j0;
				for (uint32_t j = 0; j < nj; j++)
					acc[j] += xv * wrow[j];
			}
			for (uint32_t j = 0; j < nj; j++)
				y[(size_t)i * cols + j0 + j] = stl_qround((float)acc[j] * mult[j0 + j], &yq);
		}
}
