/* BINARY (numpy broadcasting) and UNARY. Both may run in place: the output may be exactly one of
 * the inputs (same offset and shape), so reads and writes use the same index and nothing here is
 * restrict-qualified. */
#include "act.h"
#include "tzm_format.h"
#include "kernels.h"
#include "tinylibm.h"

/* a^b for the exponents exporters write: by repeated squaring (in double) for an integer b, which
 * also covers a negative base, else e^(b ln a), NaN for a negative base. */
static float power(float a, float b)
{
	const float magnitude = b < 0.0f ? -b : b;
	if (magnitude <= 16777216.0f && (float)(int32_t)magnitude == magnitude) {
		double base = b < 0.0f ? 1.0 / a : a, result = 1.0;
		for (uint32_t e = (uint32_t)magnitude; e; e >>= 1, base *= base)
			if (e & 1u)
				result *= base;
		return (float)result;
	}
	return tlm_expf(b * tlm_logf(a));
}

static float apply(int kind, float a, float b)
{
	switch (kind) {
	case STL_BIN_ADD: return a + b;
	case STL_BIN_SUB: return a - b;
	case STL_BIN_MUL: return a * b;
	case STL_BIN_DIV: return a / b;
	case STL_BIN_PRELU: return a < 0.0f ? a * b : a; /* b is the slope */
	case STL_BIN_POW: return power(a, b);
	case STL_BIN_MAX: return a != a || a > b ? a : b; /* NaN propagates, as in ONNX Runtime */
	case STL_BIN_MIN: return a != a || a < b ? a : b;
	case STL_BIN_EQUAL: return a == b;
	case STL_BIN_LESS: return a < b;
	case STL_BIN_LESS_EQUAL: return a <= b;
	case STL_BIN_GREATER: return a > b;
	case STL_BIN_GREATER_EQUAL: return a >= b;
	case STL_BIN_AND: return a != 0.0f && b != 0.0f;
	case STL_BIN_OR: return a != 0.0f || b != 0.0f;
	default: return (a != 0.0f) != (b != 0.0f); /* XOR */
	}
}

/* y[i] = a[i*sa] op b[i*sb] for i < n, strides 0 (broadcast) or 1; one loop per kind and stride
 * pair so each vectorises. */
static void run_line(int kind, const float *a, uint32_t sa, const float *b, uint32_t sb, float *y, uint32_t n)
{
#define STL_LINE(expr)                                     \
	do {                                               \
		if (sa && sb)                              \
			for (uint32_t i = 0; i < n; i++) { \
				float av = a[i], bv = b[i]; \
				y[i] = (expr);             \
			}                                  \
		else if (sa)                               \
			for (uint32_t i = 0; i < n; i++) { \
				float av = a[i], bv = b[0]; \
				y[i] = (expr);             \
			}                                  \
		else if (sb)                               \
			for (uint32_t i = 0; i < n; i++) { \
				float av = a[0], bv = b[i]; \
				y[i] = (expr);             \
			}                                  \
		else                                       \
			for (uint32_t i = 0; i < n; i++) { \
				float av = a[0], bv = b[0]; \
				y[i] = (expr);             \
			}                                  \
	} while (0)
	switch (kind) {
	case STL_BIN_ADD: STL_LINE(av + bv); break;
	case STL_BIN_SUB: STL_LINE(av - bv); break;
	case STL_BIN_MUL: STL_LINE(av * bv); break;
	case STL_BIN_DIV: STL_LINE(av / bv); break;
	case STL_BIN_PRELU: STL_LINE(apply(STL_BIN_PRELU, av, bv)); break;
	default: STL_LINE(apply(kind, av, bv)); break; /* the rarer kinds: one switch per element */
	}
#undef STL_LINE
}

void stl_k_binary(const struct stl_exec *e)
{
	const struct stl_tensor *at = stl_operand(e, 0), *bt = stl_operand(e, 1), *yt = stl_operand(e, stl_out(e));
	const unsigned nd = yt->ndim;
	const int kind = e->op->iattr[0];
	/* Right-aligned dims and element strides of A and B over Y's index space (0 where broadcast). */
	uint32_t dims[STL_MAX_DIMS], sa[STL_MAX_DIMS], sb[STL_MAX_DIMS];
	uint32_t na = 1, nb = 1;
	for (int i = (int)nd - 1; i >= 0; i--) {
		unsigned ia = (unsigned)i - (nd - at->ndim), ib = (unsigned)i - (nd - bt->ndim);
		uint32_t da = (unsigned)i < nd - at->ndim ? 1 : at->dims[ia];
		uint32_t db = (unsigned)i < nd - bt->ndim ? 1 : bt->dims[ib];
		dims[i] = yt->dims[i];
		sa[i] = da == 1 ? 0 : na;
		sb[i] = db == 1 ? 0 : nb;
		na *= da;
		nb *= db;
	}
	const float *a = stl_data(e, 0), *b = stl_data(e, 1);
	float *y = stl_data(e, stl_out(e));
	if (nd == 0) {
		y[0] = apply(kind, a[0], b[0]);
	} else {
		/* Iterate over every line along the last dim with an odometer over the outer dims. */
		uint32_t idx[STL_MAX_DIMS] = {0};
		const uint32_t inner = dims[nd - 1], lines = stl_elems(yt) / inner;
		size_t oa = 0, ob = 0;
		for (uint32_t l = 0; l < lines; l++) {
			run_line(kind, a + oa, sa[nd - 1], b + ob, sb[nd - 1], y + (size_t)l * inner, inner);
			for (int d = (int)nd - 2; d >= 0; d--) {
				oa += sa[d];
				ob += sb[d];
				if (++idx[d] < dims[d])
					break;
				oa -= (size_t)sa[d] * dims[d];
				ob -= (size_t)sb[d] * dims[d];
				idx[d] = 0;
			}
		}
	}
	stl_act_apply(e->op, y, stl_elems(yt));
}

void stl_k_unary(const struct stl_exec *e)
{
	const struct stl_tensor *yt = stl_operand(e, stl_out(e));
	stl_act_map(e->op, stl_data(e, 0), stl_data(e, stl_out(e)), stl_elems(yt));
}
