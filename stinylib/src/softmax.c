/* SOFTMAX along one axis: max-subtracted exponentials normalised by their sum; with iattr[1] = 1 it
 * is LogSoftmax, x - max - log(sum). The exponentials are vmath.h's, a vector at a time: across
 * STL_VL neighbouring softmaxes when the axis is not the last one (each lane its own softmax, rows
 * at stride inner), along the axis when it is the last one. Exponentials below e^-87 (1.6e-38) are
 * flushed to it: against a sum of at least 1, far below any tolerance (stl_vexp_nonpositive). */
#include "kernels.h"
#include "simd.h"
#include "tinylibm.h"
#include "vmath.h"

/* One softmax over the contiguous x[0..len). */
static void softmax_row(const float *x, float *y, uint32_t len, int log_softmax)
{
	uint32_t i = 0;
	float mx = x[0];
	if (len >= STL_VL) {
		stl_vf vm = stl_vld(x);
		for (i = STL_VL; i + STL_VL <= len; i += STL_VL)
			vm = stl_vmax(vm, stl_vld(x + i));
		mx = stl_vmax_lanes(vm);
	}
	for (; i < len; i++)
		mx = x[i] > mx ? x[i] : mx;
	const stl_vf vmx = stl_vdup(mx);
	stl_vf vsum = stl_vdup(0.0f);
	for (i = 0; i + STL_VL <= len; i += STL_VL) {
		const stl_vf e = stl_vexp_nonpositive(stl_vsub(stl_vld(x + i), vmx));
		vsum = stl_vadd(vsum, e);
		if (!log_softmax)
			stl_vst(y + i, e);
	}
	float sum = stl_vsum_lanes(vsum);
	if (i < len) {
		float part[STL_VL] = {0};
		stl_vcopy_part(part, x + i, len - i);
		stl_vst(part, stl_vexp_nonpositive(stl_vsub(stl_vld(part), vmx)));
		for (uint32_t j = 0; j < len - i; j++)
			sum += part[j];
		if (!log_softmax)
			stl_vcopy_part(y + i, part, len - i);
	}
	if (log_softmax) {
		const float shift = mx + tlm_logf(sum);
		for (i = 0; i < len; i++)
			y[i] = x[i] - shift;
		return;
	}
	const stl_vf inv = stl_vdup(1.0f / sum);
	for (i = 0; i + STL_VL <= len; i += STL_VL)
		stl_vst(y + i, stl_vmul(stl_vld(y + i), inv));
	for (; i < len; i++)
		y[i] *= 1.0f / sum;
}

/* STL_VL softmaxes side by side: lane j is the softmax over x[j + i·inner], i < len. */
static void softmax_lanes(const float *x, float *y, uint32_t len, size_t inner, int log_softmax)
{
	stl_vf mx = stl_vld(x);
	for (uint32_t i = 1; i < len; i++)
		mx = stl_vmax(mx, stl_vld(x + i * inner));
	stl_vf sum = stl_vdup(0.0f);
	for (uint32_t i = 0; i < len; i++) {
		const stl_vf e = stl_vexp_nonpositive(stl_vsub(stl_vld(x + i * inner), mx));
		sum = stl_vadd(sum, e);
		if (!log_softmax)
			stl_vst(y + i * inner, e);
	}
	if (log_softmax) {
		float m[STL_VL], s[STL_VL];
		stl_vst(m, mx);
		stl_vst(s, sum);
		for (int j = 0; j < STL_VL; j++)
			m[j] += tlm_logf(s[j]);
		const stl_vf shift = stl_vld(m);
		for (uint32_t i = 0; i < len; i++)
			stl_vst(y + i * inner, stl_vsub(stl_vld(x + i * inner), shift));
		return;
	}
	const stl_vf inv = stl_vdiv(stl_vdup(1.0f), sum);
	for (uint32_t i = 0; i < len; i++)
		stl_vst(y + i * inner, stl_vmul(stl_vld(y + i * inner), inv));
}

/* One softmax over x[i·inner], i < len (the columns left over from softmax_lanes). */
static void softmax_strided(const float *x, float *y, uint32_t len, size_t inner, int log_softmax)
{
	float mx = x[0];
	for (uint32_t i = 1; i < len; i++)
		mx = x[i * inner] > mx ? x[i * inner] : mx;
	float sum = 0.0f;
	for (uint32_t i = 0; i < len; i++) {
		const float e = tlm_expf(x[i * inner] - mx);
		sum += e;
		if (!log_softmax)
			y[i * inner] = e;
	}
	if (log_softmax) {
		const float shift = mx + tlm_logf(sum);
		for (uint32_t i = 0; i < len; i++)
			y[i * inner] = x[i * inner] - shift;
		return;
	}
	const float inv = 1.0f / sum;
	for (uint32_t i = 0; i < len; i++)
		y[i * inner] *= inv;
}

void stl_k_softmax(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0);
	const unsigned axis = (unsigned)e->op->iattr[0];
	size_t outer = 1, inner = 1;
	for (unsigned i = 0; i < axis; i++)
		outer *= xt->dims[i];
	for (unsigned i = axis + 1; i < xt->ndim; i++)
		inner *= xt->dims[i];
	const uint32_t len = xt->dims[axis];
	const int log_softmax = e->op->iattr[1];
	const float *x = stl_data(e, 0);
	float *y = stl_data(e, stl_out(e));
	for (size_t o = 0; o < outer; o++) {
		const float *xs = x + o * len * inner;
		float *ys = y + o * len * inner;
		if (inner == 1) {
			softmax_row(xs, ys, len, log_softmax);
			continue;
		}
		size_t in = 0;
		for (; in + STL_VL <= inner; in += STL_VL)
			softmax_lanes(xs + in, ys + in, len, inner, log_softmax);
		for (; in < inner; in++)
			softmax_strided(xs + in, ys + in, len, inner, log_softmax);
	}
}
