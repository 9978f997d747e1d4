/* SOFTMAX along one axis: max-subtracted exponentials (tinylibm) normalised by their sum; with
 * iattr[1] = 1 it is LogSoftmax, x - max - log(sum). */
#include "kernels.h"
#include "tinylibm.h"

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
	for (size_t o = 0; o < outer; o++)
		for (size_t in = 0; in < inner; in++) {
			const float *xs = x + o * len * inner + in;
			float *ys = y + o * len * inner + in;
			float mx = xs[0];
			for (uint32_t i = 1; i < len; i++)
				mx = xs[i * inner] > mx ? xs[i * inner] : mx;
			float sum = 0.0f;
			for (uint32_t i = 0; i < len; i++) {
				ys[i * inner] = tlm_expf(xs[i * inner] - mx);
				sum += ys[i * inner];
			}
			if (log_softmax) {
				const float shift = mx + tlm_logf(sum);
				for (uint32_t i = 0; i < len; i++)
					ys[i * inner] = xs[i * inner] - shift;
				continue;
			}
			const float inv = 1.0f / sum;
			for (uint32_t i = 0; i < len; i++)
				ys[i * inner] *= inv;
		}
}
