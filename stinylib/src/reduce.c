/* REDUCE over the axes in the bit mask iattr[1] (Y keeps X's rank, 1 on those axes) and NORMALIZE
 * (zero mean, unit variance over the trailing dims from iattr[0], epsilon fattr[2]). Contiguous sums
 * use eight float lanes (sum8); strided ones and products accumulate in double. */
#include "tzm_format.h"
#include "kernels.h"
#include "tinylibm.h"

/* The X elements one Y element reduces: an odometer over the reduced axes. */
struct reduction {
	unsigned n;                       /* number of reduced axes */
	uint32_t len[STL_MAX_DIMS];       /* their lengths */
	size_t stride[STL_MAX_DIMS];      /* their X strides */
};

/* Call body(value) for every X element reduced into the Y element whose X offset is base: a plain
 * loop along the last reduced axis (contiguous when it is X's last axis), an odometer over the
 * others. */
#define STL_FOR_REDUCED(r, x, base, value, body)                                   \
	do {                                                                       \
		uint32_t idx_[STL_MAX_DIMS] = {0};                                \
		const unsigned last_ = (r)->n - 1;                                 \
		const size_t step_ = (r)->stride[last_];                           \
		size_t off_ = (base);                                              \
		for (;;) {                                                         \
			for (uint32_t i_ = 0; i_ < (r)->len[last_]; i_++) {       \
				const float value = (x)[off_ + i_ * step_];       \
				body;                                              \
			}                                                          \
			int d_ = (int)last_ - 1;                                   \
			for (; d_ >= 0; d_--) {                                    \
				off_ += (r)->stride[d_];                           \
				if (++idx_[d_] < (r)->len[d_])                     \
					break;                                     \
				off_ -= (r)->stride[d_] * (r)->len[d_];            \
				idx_[d_] = 0;                                      \
			}                                                          \
			if (d_ < 0)                                                \
				break;                                             \
		}                                                                  \
	} while (0)

/* Sum of x[0..n), and of (x[i] - mean)^2, with eight independent partial sums: the lanes gcc
 * vectorises without reassociating (no -ffast-math), and float error that stays far below 1e-6
 * relative for the row lengths of real models. */
static float sum8(const float *x, size_t n, float mean, int squares)
{
	float acc[8] = {0};
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		for (unsigned j = 0; j < 8; j++) {
			const float v = x[i + j] - mean;
			acc[j] += squares ? v * v : v;
		}
	for (; i < n; i++) {
		const float v = x[i] - mean;
		acc[0] += squares ? v * v : v;
	}
	return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

static float reduce_one(int kind, const struct reduction *r, const float *x, size_t base, double count)
{
	double acc;
	float best;
	const int contiguous = r->n == 1 && r->stride[0] == 1;
	switch (kind) {
	case STL_RED_MAX:
		best = x[base];
		STL_FOR_REDUCED(r, x, base, v, best = v > best ? v : best);
		return best;
	case STL_RED_MIN:
		best = x[base];
		STL_FOR_REDUCED(r, x, base, v, best = v < best ? v : best);
		return best;
	case STL_RED_PROD:
		acc = 1.0;
		STL_FOR_REDUCED(r, x, base, v, acc *= v);
		return (float)acc;
	case STL_RED_L1:
		acc = 0.0;
		STL_FOR_REDUCED(r, x, base, v, acc += v < 0.0f ? -v : v);
		return (float)acc;
	case STL_RED_L2:
	case STL_RED_SUM_SQUARE:
		acc = 0.0;
		STL_FOR_REDUCED(r, x, base, v, acc += (double)v * v);
		return kind == STL_RED_L2 ? tlm_sqrtf((float)acc) : (float)acc;
	case STL_RED_LOG_SUM_EXP:
		best = x[base];
		STL_FOR_REDUCED(r, x, base, v, best = v > best ? v : best);
		acc = 0.0;
		STL_FOR_REDUCED(r, x, base, v, acc += tlm_expf(v - best));
		return tlm_logf((float)acc) + best;
	default: /* MEAN, SUM, LOG_SUM */
		acc = 0.0;
		if (contiguous)
			acc = sum8(x + base, r->len[0], 0.0f, 0);
		else
			STL_FOR_REDUCED(r, x, base, v, acc += v);
		if (kind == STL_RED_MEAN)
			return (float)(acc / count);
		return kind == STL_RED_LOG_SUM ? tlm_logf((float)acc) : (float)acc;
	}
}

void stl_k_reduce(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *yt = stl_operand(e, stl_out(e));
	const unsigned nd = xt->ndim;
	const int kind = e->op->iattr[0];
	const uint32_t mask = (uint32_t)e->op->iattr[1];
	const float *x = stl_data(e, 0);
	float *y = stl_data(e, stl_out(e));
	size_t xstride[STL_MAX_DIMS], xs = 1;
	for (int d = (int)nd - 1; d >= 0; d--) {
		xstride[d] = xs;
		xs *= xt->dims[d];
	}
	struct reduction r = {0, {0}, {0}};
	double count = 1.0;
	for (unsigned d = 0; d < nd; d++)
		if (mask >> d & 1u) {
			count *= xt->dims[d];
			if (r.n && d > 0 && (mask >> (d - 1) & 1u)) { /* adjacent to the previous one: one axis */
				r.len[r.n - 1] *= xt->dims[d];
				r.stride[r.n - 1] = xstride[d];
				continue;
			}
			r.len[r.n] = xt->dims[d];
			r.stride[r.n++] = xstride[d];
		}
	uint32_t idx[STL_MAX_DIMS] = {0};
	size_t base = 0;
	for (uint32_t i = 0, n = stl_elems(yt); i < n; i++) {
		y[i] = reduce_one(kind, &r, x, base, count);
		for (int d = (int)nd - 1; d >= 0; d--) { /* Y's odometer; reduced dims have length 1 */
			base += xstride[d];
			if (++idx[d] < yt->dims[d])
				break;
			base -= xstride[d] * yt->dims[d];
			idx[d] = 0;
		}
	}
}

/* May run in place: each row is read in full (mean, variance) before it is overwritten. */
void stl_k_normalize(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0);
	const unsigned axis = (unsigned)e->op->iattr[0];
	const float eps = e->op->fattr[2];
	size_t len = 1;
	for (unsigned d = axis; d < xt->ndim; d++)
		len *= xt->dims[d];
	const size_t rows = stl_elems(xt) / len;
	const float *x = stl_data(e, 0);
	float *y = stl_data(e, stl_out(e));
	for (size_t r = 0; r < rows; r++) {
		const float *xr = x + r * len;
		float *yr = y + r * len;
		const float fmean = sum8(xr, len, 0.0f, 0) / (float)len;
		const float var = sum8(xr, len, fmean, 1) / (float)len;
		const float inv = 1.0f / tlm_sqrtf(var + eps);
		for (size_t i = 0; i < len; i++)
			yr[i] = (xr[i] - fmean) * inv;
	}
}
