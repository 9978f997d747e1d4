/* MAXPOOL, AVGPOOL and GLOBAL_AVGPOOL over NCHW. Window cells outside the input are skipped; the
 * loader proved every window holds at least one input cell. */
#include "format.h"
#include "kernels.h"

/* Clip the window of output index o on one axis to the input [0, in) and, for the average
 * divisor, to the padded input [-p0, in + p1). */
struct window {
	uint32_t lo, hi;   /* input cells [lo, hi) */
	uint32_t padded;   /* cells inside the padded input */
};

static struct window window_at(uint32_t o, uint32_t k, uint32_t s, uint32_t p0, uint32_t p1, uint32_t in)
{
	int64_t start = (int64_t)o * s - p0, end = start + k;
	int64_t pend = end < (int64_t)in + p1 ? end : (int64_t)in + p1;
	struct window w;
	w.lo = (uint32_t)(start < 0 ? 0 : start);
	w.hi = (uint32_t)(end > in ? in : end);
	w.padded = (uint32_t)(pend - start);
	return w;
}

static void pool(const struct stl_exec *e, int is_max)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *yt = stl_operand(e, stl_out(e));
	const int32_t *a = e->op->iattr;
	const uint32_t planes = xt->dims[0] * xt->dims[1], h = xt->dims[2], w = xt->dims[3];
	const uint32_t oh = yt->dims[2], ow = yt->dims[3];
	const int count_pad = !is_max && a[STL_A_COUNT_PAD];
	const float *x = stl_data(e, 0);
	float *y = stl_data(e, stl_out(e));

	for (uint32_t pl = 0; pl < planes; pl++) {
		const float *xp = x + (size_t)pl * h * w;
		float *yp = y + (size_t)pl * oh * ow;
		for (uint32_t i = 0; i < oh; i++) {
			struct window wy = window_at(i, a[STL_A_KH], a[STL_A_SH], a[STL_A_PT], a[STL_A_PB], h);
			for (uint32_t j = 0; j < ow; j++) {
				struct window wx = window_at(j, a[STL_A_KW], a[STL_A_SW], a[STL_A_PL], a[STL_A_PR], w);
				float acc = is_max ? xp[(size_t)wy.lo * w + wx.lo] : 0.0f;
				for (uint32_t r = wy.lo; r < wy.hi; r++)
					for (uint32_t c = wx.lo; c < wx.hi; c++) {
						float v = xp[(size_t)r * w + c];
						if (is_max)
							acc = v > acc || v != v ? v : acc; /* NaN wins, as in ORT */
						else
							acc += v;
					}
				if (!is_max) {
					uint32_t cells = count_pad ? wy.padded * wx.padded
								   : (wy.hi - wy.lo) * (wx.hi - wx.lo);
					acc /= (float)cells;
				}
				yp[(size_t)i * ow + j] = acc;
			}
		}
	}
}

void stl_k_maxpool(const struct stl_exec *e)
{
	pool(e, 1);
}

void stl_k_avgpool(const struct stl_exec *e)
{
	pool(e, 0);
}

void stl_k_global_avgpool(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0);
	const uint32_t planes = xt->dims[0] * xt->dims[1];
	const size_t area = (size_t)xt->dims[2] * xt->dims[3];
	const float *x = stl_data(e, 0);
	float *y = stl_data(e, stl_out(e));
	for (uint32_t pl = 0; pl < planes; pl++) {
		const float *xp = x + pl * area;
		float s = 0.0f;
		for (size_t i = 0; i < area; i++)
			s += xp[i];
		y[pl] = s / (float)area;
	}
}
