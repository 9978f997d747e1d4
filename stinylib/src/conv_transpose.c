/* CONV_TRANSPOSE: X[N,C,H,W], W[C,M/g,kh,kw], B[M]? -> Y[N,M,OH,OW] (iattr as CONV). Input pixel
 * (ih, iw) of channel c adds X·W[c, m, ki, kj] to output (ih·sh − pt + ki·dh, iw·sw − pl + kj·dw);
 * output_padding needs no attribute, it is the part of OH, OW beyond the last such pixel. A direct
 * scatter: for each weight tap, whole input rows are added into strided output rows. */
#include "act.h"
#include "format.h"
#include "kernels.h"

/* ceil(a / b) for b > 0 and any sign of a. */
static int64_t ceil_div(int64_t a, int64_t b)
{
	return a >= 0 ? (a + b - 1) / b : -((-a) / b);
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
	const size_t plane = (size_t)oh * ow;

	for (uint32_t b = 0; b < n; b++)
		for (uint32_t o = 0; o < m; o++) {
			float *yp = y + ((size_t)b * m + o) * plane;
			const float init = bias ? bias[o] : 0.0f;
			for (size_t i = 0; i < plane; i++)
				yp[i] = init;
		}
	for (uint32_t kj = 0; kj < kw; kj++) {
		/* Input columns whose output column iw·sw − pl + kj·dw lies in [0, OW). */
		const int64_t off = (int64_t)kj * dw - pl;
		int64_t lo = ceil_div(-off, sw), hi = ceil_div((int64_t)ow - off, sw);
		lo = lo < 0 ? 0 : lo;
		hi = hi > (int64_t)w ? (int64_t)w : hi;
		if (lo >= hi)
			continue;
		for (uint32_t b = 0; b < n; b++)
			for (uint32_t ci = 0; ci < c; ci++) {
				const uint32_t grp = ci / cg;
				const float *xc = x + ((size_t)b * c + ci) * h * w;
				for (uint32_t mo = 0; mo < mg; mo++) {
					const uint32_t o = grp * mg + mo;
					float *yp = y + ((size_t)b * m + o) * plane;
					const float *wk = wts + ((size_t)ci * mg + mo) * kh * kw;
					for (uint32_t ki = 0; ki < kh; ki++) {
						const float wv = wk[ki * kw + kj];
						for (uint32_t ih = 0; ih < h; ih++) {
							const int64_t row = (int64_t)ih * sh - pt + (int64_t)ki * dh;
							if (row < 0 || row >= (int64_t)oh)
								continue;
							const int64_t base = row * (int64_t)ow + off;
							const float *xr = xc + (size_t)ih * w;
							for (int64_t iw = lo; iw < hi; iw++)
								yp[base + iw * sw] += wv * xr[iw];
						}
					}
				}
			}
	}
	stl_act_apply(e->op, y, stl_elems(yt));
}
