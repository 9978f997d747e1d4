/* CONV_TRANSPOSE: X[N,C,H,W], W[C,M/g,kh,kw], B[M]? -> Y[N,M,OH,OW] (iattr as CONV). Input pixel
 * (ih, iw) of channel c adds X·W[c, m, ki, kj] to output (ih·sh − pt + ki·dh, iw·sw − pl + kj·dw);
 * output_padding needs no attribute, it is the part of OH, OW beyond the last such pixel.
 *
 * Computed as a gather, one output row and one column phase at a time: the columns
 * ox = px + j·sw of row oy receive, from each tap (ki, kj) that reaches them, input row
 * ih = (oy + pt − ki·dh)/sh at columns j + (px + pl − kj·dw)/sw. So for every input channel the
 * work is a contiguous multiply-add of an input row into an accumulator on the stack (which gcc
 * vectorises), and each output element is written once, with the bias and the activation. */
#include "act.h"
#include "tzm_format.h"
#include "kernels.h"

/* Output columns of one phase accumulated at a time (a 512-byte stack buffer). */
#define STL_CT_CHUNK 128

/* floor(a / b) for b > 0 and any sign of a. */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

void stl_k_conv_transpose(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *wt = stl_operand(e, 1), *yt = stl_operand(e, stl_out(e));
	const int32_t *a = e->op->iattr;
	const uint32_t n = xt->dims[0], c = xt->dims[1], h = xt->dims[2], w = xt->dims[3];
	const uint32_t m = yt->dims[1], oh = yt->dims[2], ow = yt->dims[3];
	const uint32_t kh = wt->dims[2], kw = wt->dims[3], g = (uint32_t)a[STL_A_GROUP];
	const uint32_t cg = c / g, mg = m / g;
	const int64_t sh = a[STL_A_SH], sw = a[STL_A_SW], pt = a[STL_A_PT], pl = a[STL_A_PL];
	const int64_t dh = a[STL_A_DH], dw = a[STL_A_DW];
	const float *x = stl_data(e, 0), *wts = stl_data(e, 1);
	const float *bias = e->op->n_in == 3 ? stl_data(e, 2) : NULL;
	float *y = stl_data(e, stl_out(e));
	float acc[STL_CT_CHUNK];

	for (uint32_t b = 0; b < n; b++)
		for (uint32_t o = 0; o < m; o++) {
			const uint32_t grp = o / mg, mo = o % mg;
			const float *xg = x + ((size_t)b * c + (size_t)grp * cg) * h * w;
			float *yp = y + ((size_t)b * m + o) * oh * ow;
			for (uint32_t oy = 0; oy < oh; oy++) {
				float *yrow = yp + (size_t)oy * ow;
				for (int64_t px = 0; px < sw && px < (int64_t)ow; px++) {
					const int64_t nj = ((int64_t)ow - px + sw - 1) / sw; /* columns of this phase */
					for (int64_t j0 = 0; j0 < nj; j0 += STL_CT_CHUNK) {
						const int64_t jn = nj - j0 < STL_CT_CHUNK ? nj - j0 : STL_CT_CHUNK;
						for (int64_t j = 0; j < jn; j++)
							acc[j] = bias ? bias[o] : 0.0f;
						for (uint32_t ki = 0; ki < kh; ki++) {
							const int64_t t = (int64_t)oy + pt - (int64_t)ki * dh;
							if (t < 0 || t % sh || t / sh >= (int64_t)h)
								continue;
							const int64_t ih = t / sh;
							for (uint32_t kj = 0; kj < kw; kj++) {
								const int64_t u = px + pl - (int64_t)kj * dw;
								if (u - floor_div(u, sw) * sw)
									continue;
								/* input column of acc[j] is j0 + j + off; keep it in [0, W) */
								const int64_t off = floor_div(u, sw) + j0;
								const int64_t lo = off < 0 ? -off : 0;
								const int64_t hi = (int64_t)w - off < jn ? (int64_t)w - off : jn;
								if (lo >= hi)
									continue;
								for (uint32_t ci = 0; ci < cg; ci++) {
									const size_t tap = (((size_t)(grp * cg + ci) * mg + mo) * kh + ki) * kw + kj;
									const float wv = wts[tap];
									const float *xr = xg + ((size_t)ci * h + (size_t)ih) * w;
									for (int64_t j = lo; j < hi; j++)
										acc[j] += wv * xr[off + j];
								}
							}
						}
						for (int64_t j = 0; j < jn; j++)
							yrow[px + (j0 + j) * sw] = acc[j];
					}
				}
			}
		}
	stl_act_apply(e->op, y, stl_elems(yt));
}
