/* Loader stage 3: per op type, the arity, the attributes and the shapes the op implies. Output dims
 * must be exactly what the op computes from its inputs; that is what lets the kernels trust dims.
 * All arithmetic on dims and attributes is done in 64 bits. */
#include <string.h>

#include "check.h"
#include "conv_geometry.h"
#include "tzm_format.h"

struct opctx {
	struct stl_model *m;
	uint32_t s;
	const struct stl_op *op;
};

static const struct stl_tensor *operand(const struct opctx *c, unsigned i)
{
	return &c->m->tensors[stl_io(c->m, c->op, i)];
}

static const struct stl_tensor *output(const struct opctx *c)
{
	return operand(c, c->op->n_in);
}

static enum stl_status op_error(const struct opctx *c, const char *reason)
{
	return stl_fail(c->m, STL_E_OP, reason, c->s, -1);
}

static enum stl_status shape_error(const struct opctx *c, const char *reason)
{
	return stl_fail(c->m, STL_E_SHAPE, reason, c->s, stl_io(c->m, c->op, c->op->n_in));
}

static int same_shape(const struct stl_tensor *a, const struct stl_tensor *b)
{
	return a->ndim == b->ndim && memcmp(a->dims, b->dims, sizeof a->dims) == 0;
}

static int dims_are(const struct stl_tensor *t, unsigned ndim, const uint64_t *want)
{
	if (t->ndim != ndim)
		return 0;
	for (unsigned i = 0; i < ndim; i++)
		if (t->dims[i] != want[i])
			return 0;
	return 1;
}

/* Per type: arity and how many leading iattr slots carry meaning (the rest must be zero). */
struct op_rule {
	uint8_t min_in, max_in;
	uint8_t n_iattr;
	uint8_t takes_act;
	uint8_t n_fattr; /* how many of fattr[2..3] the op reads */
};

static const struct op_rule rules[STL_OP_LAST + 1] = {
	[STL_OP_CONV] = {2, 3, 11, 1, 0},
	[STL_OP_GEMM] = {2, 3, 0, 1, 0},
	[STL_OP_MAXPOOL] = {1, 1, 8, 0, 0},
	[STL_OP_AVGPOOL] = {1, 1, 9, 0, 0},
	[STL_OP_GLOBAL_AVGPOOL] = {1, 1, 0, 0, 0},
	[STL_OP_BINARY] = {2, 2, 1, 1, 0},
	[STL_OP_UNARY] = {1, 1, 0, 1, 0},
	[STL_OP_CONCAT] = {1, 255, 1, 0, 0},
	[STL_OP_SOFTMAX] = {1, 1, 2, 0, 0},
	[STL_OP_TRANSPOSE] = {1, 1, 6, 0, 0},
	[STL_OP_PAD] = {1, 1, 12, 0, 1},
	[STL_OP_RESHAPE] = {1, 1, 0, 0, 0},
	[STL_OP_SLICE] = {1, 1, 12, 0, 0},
	[STL_OP_RESIZE] = {1, 1, 3, 0, 2},
	[STL_OP_REDUCE] = {1, 1, 2, 0, 0},
	[STL_OP_MATMUL] = {2, 2, 0, 1, 0},
	[STL_OP_TILE] = {1, 1, 0, 0, 0},
	[STL_OP_WHERE] = {3, 3, 0, 0, 0},
	[STL_OP_NORMALIZE] = {1, 1, 1, 0, 1},
	[STL_OP_CONV_TRANSPOSE] = {2, 3, 11, 1, 0},
	[STL_OP_PAD_EDGE] = {1, 1, 12, 0, 0},
	[STL_OP_PAD_REFLECT] = {1, 1, 12, 0, 0},
	[STL_OP_QUANTIZE] = {1, 1, 0, 0, 0},
	[STL_OP_DEQUANTIZE] = {1, 1, 0, 0, 0},
	[STL_OP_QCONV] = {3, 4, 11, 0, 0},
	[STL_OP_QGEMM] = {3, 4, 0, 0, 0},
	[STL_OP_QADD] = {2, 2, 0, 0, 0},
	[STL_OP_QGLOBAL_AVGPOOL] = {1, 1, 0, 0, 0},
};

/* How many of fattr[0..1] the activation reads. */
static unsigned act_params(uint8_t act)
{
	switch (act) {
	case STL_ACT_CLIP:
	case STL_ACT_HARD_SIGMOID:
		return 2;
	case STL_ACT_LEAKY_RELU:
		return 1;
	default:
		return 0;
	}
}

static int float_is_zero_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u == 0;
}

static enum stl_status check_common(const struct opctx *c)
{
	const struct stl_op *op = c->op;
	const struct op_rule *r = &rules[op->type];
	if (op->n_in < r->min_in || op->n_in > r->max_in)
		return op_error(c, "op has the wrong number of inputs for its type");
	if (op->n_scratch && op->type != STL_OP_CONV && op->type != STL_OP_QCONV)
		return op_error(c, "only CONV and QCONV may have a scratch tensor");
	if (op->act != STL_ACT_NONE && !r->takes_act)
		return op_error(c, "fused activation on an op type that does not take one");
	if (op->type == STL_OP_UNARY && op->act == STL_ACT_NONE)
		return op_error(c, "UNARY op without an activation");
	for (unsigned i = r->n_iattr; i < STL_N_IATTR; i++)
		if (op->iattr[i] != 0)
			return op_error(c, "unused iattr entry is not zero");
	for (unsigned i = act_params(op->act); i < 2; i++)
		if (!float_is_zero_bits(op->fattr[i]))
			return op_error(c, "unused activation parameter fattr[0..1] is not zero");
	for (unsigned i = 2u + r->n_fattr; i < STL_N_FATTR; i++)
		if (!float_is_zero_bits(op->fattr[i]))
			return op_error(c, "unused op parameter fattr[2..3] is not zero");
	return STL_OK;
}

static enum stl_status check_conv(const struct opctx *c)
{
	const struct stl_op *op = c->op;
	const struct stl_tensor *x = operand(c, 0), *w = operand(c, 1);
	const int32_t *a = op->iattr;
	struct stl_conv_geometry g;

	if (x->ndim != 4 || w->ndim != 4)
		return shape_error(c, "CONV input and weights must be 4-D (NCHW, MCkk)");
	switch (stl_conv_geometry(&g, x->dims, w->dims, a)) {
	case STL_GEOM_BAD_ATTR:
		return op_error(c, "CONV attributes out of range (kernel/stride/dilation/group >= 1, "
				   "0 <= pads <= 65535, kernel matches the weights)");
	case STL_GEOM_BAD_SHAPE:
		return shape_error(c, "CONV shapes inconsistent (channels vs group, or kernel larger than padded input)");
	default:
		break;
	}
	if (op->n_in == 3 && (operand(c, 2)->ndim != 1 || operand(c, 2)->dims[0] != g.m))
		return shape_error(c, "CONV bias must be 1-D with one value per output channel");
	uint64_t want[4] = {g.n, g.m, g.oh, g.ow};
	if (!dims_are(output(c), 4, want))
		return shape_error(c, "CONV output dims differ from [N, M, OH, OW] computed from the attributes");

	uint32_t need = stl_conv_scratch_bytes(x->dims, w->dims, a);
	if (op->n_scratch != (need > 0))
		return op_error(c, "CONV n_scratch disagrees with stl_conv_scratch_bytes (1 iff it is > 0)");
	if (op->n_scratch) {
		const struct stl_tensor *sc = operand(c, op->n_in + 1);
		if (sc->ndim != 1 || sc->kind != STL_KIND_ACT || sc->size < need)
			return shape_error(c, "CONV scratch must be a 1-D ACT tensor of at least stl_conv_scratch_bytes");
	}
	return STL_OK;
}

static enum stl_status check_gemm(const struct opctx *c)
{
	const struct stl_tensor *x = operand(c, 0), *w = operand(c, 1);
	if (x->ndim != 2 || w->ndim != 2 || x->dims[1] != w->dims[0])
		return shape_error(c, "GEMM needs X[M,K] and W[K,N]");
	if (c->op->n_in == 3 && (operand(c, 2)->ndim != 1 || operand(c, 2)->dims[0] != w->dims[1]))
		return shape_error(c, "GEMM bias must be 1-D [N]");
	uint64_t want[2] = {x->dims[0], w->dims[1]};
	if (!dims_are(output(c), 2, want))
		return shape_error(c, "GEMM output dims are not [M, N]");
	return STL_OK;
}

/* One spatial axis of a pool: the stored output size must be the floor- or ceil-mode size, and
 * every window must hold at least one input cell. */
static int pool_axis_ok(uint64_t in, int64_t k, int64_t s, int64_t p0, int64_t p1, uint64_t out)
{
	if (k < 1 || s < 1 || p0 < 0 || p1 < 0 || k > 65535 || s > 65535 || p0 >= k || p1 > 65535)
		return 0;
	int64_t span = (int64_t)in + p0 + p1 - k;
	if (span < 0)
		return 0;
	int64_t lo = span / s + 1, hi = (span + s - 1) / s + 1;
	if ((int64_t)out != lo && (int64_t)out != hi)
		return 0;
	return ((int64_t)out - 1) * s - p0 < (int64_t)in;
}

static enum stl_status check_pool(const struct opctx *c)
{
	const struct stl_tensor *x = operand(c, 0), *y = output(c);
	const int32_t *a = c->op->iattr;
	if (c->op->type == STL_OP_AVGPOOL && (a[STL_A_COUNT_PAD] < 0 || a[STL_A_COUNT_PAD] > 1))
		return op_error(c, "AVGPOOL count_include_pad must be 0 or 1");
	if (x->ndim != 4 || y->ndim != 4 || y->dims[0] != x->dims[0] || y->dims[1] != x->dims[1])
		return shape_error(c, "pool needs 4-D X and Y with the same N and C");
	if (!pool_axis_ok(x->dims[2], a[STL_A_KH], a[STL_A_SH], a[STL_A_PT], a[STL_A_PB], y->dims[2]) ||
	    !pool_axis_ok(x->dims[3], a[STL_A_KW], a[STL_A_SW], a[STL_A_PL], a[STL_A_PR], y->dims[3]))
		return shape_error(c, "pool output size is neither the floor- nor the ceil-mode size, or a "
				      "window lies outside the input (pads must be < kernel)");
	return STL_OK;
}

static enum stl_status check_global_avgpool(const struct opctx *c)
{
	const struct stl_tensor *x = operand(c, 0);
	if (x->ndim != 4)
		return shape_error(c, "GLOBAL_AVGPOOL input must be 4-D");
	uint64_t want[4] = {x->dims[0], x->dims[1], 1, 1};
	if (!dims_are(output(c), 4, want))
		return shape_error(c, "GLOBAL_AVGPOOL output dims are not [N, C, 1, 1]");
	return STL_OK;
}

/* Whether Y's first nd dims are the numpy broadcast of the first n inputs' dims, each input less
 * its last `skip` dims (MATMUL's matrix dims), right-aligned. The caller checks Y's rank. */
static int broadcasts_to(const struct opctx *c, unsigned n, unsigned skip, unsigned nd)
{
	for (unsigned i = 0; i < nd; i++) {
		uint32_t want = 1;
		for (unsigned k = 0; k < n; k++) {
			const struct stl_tensor *t = operand(c, k);
			const unsigned tnd = t->ndim - skip;
			const uint32_t d = i < nd - tnd ? 1 : t->dims[i - (nd - tnd)];
			if (d != 1 && want != 1 && d != want)
				return 0;
			want = d != 1 ? d : want;
		}
		if (output(c)->dims[i] != want)
			return 0;
	}
	return 1;
}

/* Largest rank among the first n inputs, less skip. */
static unsigned max_rank(const struct opctx *c, unsigned n, unsigned skip)
{
	unsigned nd = 0;
	for (unsigned k = 0; k < n; k++)
		nd = operand(c, k)->ndim - skip > nd ? operand(c, k)->ndim - skip : nd;
	return nd;
}

static enum stl_status check_binary(const struct opctx *c)
{
	if (c->op->iattr[0] < 0 || c->op->iattr[0] > STL_BIN_LAST)
		return op_error(c, "BINARY kind is out of range");
	const unsigned nd = max_rank(c, 2, 0);
	if (output(c)->ndim != nd)
		return shape_error(c, "BINARY output rank is not the broadcast rank");
	if (!broadcasts_to(c, 2, 0, nd))
		return shape_error(c, "BINARY inputs do not broadcast to the output dims");
	return STL_OK;
}

static enum stl_status check_where(const struct opctx *c)
{
	const unsigned nd = max_rank(c, 3, 0);
	if (output(c)->ndim != nd)
		return shape_error(c, "WHERE output rank is not the broadcast rank");
	if (!broadcasts_to(c, 3, 0, nd))
		return shape_error(c, "WHERE inputs do not broadcast to the output dims");
	return STL_OK;
}

static enum stl_status check_matmul(const struct opctx *c)
{
	const struct stl_tensor *a = operand(c, 0), *b = operand(c, 1), *y = output(c);
	if (a->ndim < 2 || b->ndim < 2)
		return shape_error(c, "MATMUL operands must have rank >= 2 (the converter reshapes vectors)");
	if (a->dims[a->ndim - 1] != b->dims[b->ndim - 2])
		return shape_error(c, "MATMUL needs A[..., M, K] and B[..., K, N]");
	const unsigned nb = max_rank(c, 2, 2);
	if (y->ndim != nb + 2 || y->dims[nb] != a->dims[a->ndim - 2] || y->dims[nb + 1] != b->dims[b->ndim - 1])
		return shape_error(c, "MATMUL output dims are not [batch..., M, N]");
	if (!broadcasts_to(c, 2, 2, nb))
		return shape_error(c, "MATMUL batch dims do not broadcast to the output's");
	return STL_OK;
}

static enum stl_status check_same_shape(const struct opctx *c)
{
	if (!same_shape(operand(c, 0), output(c)))
		return shape_error(c, "output shape differs from the input shape");
	return STL_OK;
}

static enum stl_status check_softmax(const struct opctx *c)
{
	int32_t axis = c->op->iattr[0];
	if (axis < 0 || axis >= operand(c, 0)->ndim)
		return op_error(c, "SOFTMAX axis must be in 0..ndim-1 (the converter normalises negatives)");
	if (c->op->iattr[1] < 0 || c->op->iattr[1] > 1)
		return op_error(c, "SOFTMAX iattr[1] (log) must be 0 or 1");
	return check_same_shape(c);
}

static enum stl_status check_concat(const struct opctx *c)
{
	const struct stl_tensor *y = output(c);
	int32_t axis = c->op->iattr[0];
	if (axis < 0 || axis >= y->ndim)
		return op_error(c, "CONCAT axis must be in 0..ndim-1");
	uint64_t sum = 0;
	for (unsigned i = 0; i < c->op->n_in; i++) {
		const struct stl_tensor *x = operand(c, i);
		if (x->ndim != y->ndim)
			return shape_error(c, "CONCAT inputs must have the output's rank");
		for (unsigned d = 0; d < y->ndim; d++)
			if (d != (unsigned)axis && x->dims[d] != y->dims[d])
				return shape_error(c, "CONCAT inputs differ from the output outside the axis");
		sum += x->dims[axis];
	}
	if (sum != y->dims[axis])
		return shape_error(c, "CONCAT output axis is not the sum of the inputs'");
	return STL_OK;
}

static enum stl_status check_transpose(const struct opctx *c)
{
	const struct stl_tensor *x = operand(c, 0), *y = output(c);
	const int32_t *perm = c->op->iattr;
	unsigned seen = 0;
	for (unsigned i = 0; i < STL_MAX_DIMS; i++) {
		if (i >= x->ndim) {
			if (perm[i] != 0)
				return op_error(c, "TRANSPOSE perm entries beyond ndim must be zero");
			continue;
		}
		if (perm[i] < 0 || perm[i] >= x->ndim || (seen >> perm[i]) & 1u)
			return op_error(c, "TRANSPOSE perm is not a permutation of 0..ndim-1");
		seen |= 1u << perm[i];
	}
	if (y->ndim != x->ndim)
		return shape_error(c, "TRANSPOSE output rank differs from the input's");
	for (unsigned i = 0; i < x->ndim; i++)
		if (y->dims[i] != x->dims[perm[i]])
			return shape_error(c, "TRANSPOSE output dims are not the permuted input dims");
	return STL_OK;
}

static enum stl_status check_pad(const struct opctx *c)
{
	const struct stl_tensor *x = operand(c, 0), *y = output(c);
	const int32_t *begin = c->op->iattr, *end = c->op->iattr + STL_MAX_DIMS;
	if (y->ndim != x->ndim)
		return shape_error(c, "PAD output rank differs from the input's");
	for (unsigned i = 0; i < STL_MAX_DIMS; i++) {
		if (begin[i] < 0 || end[i] < 0 || (i >= x->ndim && (begin[i] || end[i])))
			return op_error(c, "PAD pads must be >= 0, and zero beyond ndim");
		if (i < x->ndim && y->dims[i] != (uint64_t)x->dims[i] + (uint64_t)begin[i] + (uint64_t)end[i])
			return shape_error(c, "PAD output dims are not input + pads");
	}
	return STL_OK;
}

/* PAD_EDGE and PAD_REFLECT: PAD's rules; a reflection mirrors about the end element, so its pads
 * must be below the dim. */
static enum stl_status check_pad_mode(const struct opctx *c)
{
	enum stl_status st = check_pad(c);
	if (st != STL_OK || c->op->type != STL_OP_PAD_REFLECT)
		return st;
	const struct stl_tensor *x = operand(c, 0);
	for (unsigned i = 0; i < x->ndim; i++)
		if ((uint32_t)c->op->iattr[i] >= x->dims[i] || (uint32_t)c->op->iattr[STL_MAX_DIMS + i] >= x->dims[i])
			return op_error(c, "PAD_REFLECT pads must be below the dim they pad");
	return STL_OK;
}

static enum stl_status check_slice(const struct opctx *c)
{
	const struct stl_tensor *x = operand(c, 0), *y = output(c);
	const int32_t *start = c->op->iattr, *step = c->op->iattr + STL_MAX_DIMS;
	if (y->ndim != x->ndim)
		return shape_error(c, "SLICE output rank differs from the input's");
	for (unsigned i = 0; i < STL_MAX_DIMS; i++) {
		if (i >= x->ndim) {
			if (start[i] || step[i])
				return op_error(c, "SLICE starts and steps beyond ndim must be zero");
			continue;
		}
		const int64_t last = (int64_t)start[i] + ((int64_t)y->dims[i] - 1) * step[i];
		if (step[i] == 0 || start[i] < 0 || (uint32_t)start[i] >= x->dims[i] || last < 0 ||
		    last >= (int64_t)x->dims[i])
			return op_error(c, "SLICE step is zero or an index it reads lies outside the input");
	}
	return STL_OK;
}

static int finite_positive(float f)
{
	return f > 0.0f && f <= 3.40282347e38f;
}

static enum stl_status check_resize(const struct opctx *c)
{
	const struct stl_tensor *x = operand(c, 0), *y = output(c);
	const int32_t *a = c->op->iattr;
	if (a[0] < 0 || a[0] > STL_RESIZE_MODE_LAST || a[1] < 0 || a[1] > STL_COORD_LAST || a[2] < 0 ||
	    a[2] > STL_ROUND_LAST)
		return op_error(c, "RESIZE mode, coordinate transformation or rounding is out of range");
	if (!finite_positive(c->op->fattr[2]) || !finite_positive(c->op->fattr[3]))
		return op_error(c, "RESIZE scales fattr[2..3] must be finite and positive");
	if (x->ndim < 2 || y->ndim != x->ndim)
		return shape_error(c, "RESIZE needs input and output of the same rank >= 2");
	for (unsigned i = 0; i + 2 < x->ndim; i++)
		if (x->dims[i] != y->dims[i])
			return shape_error(c, "RESIZE changes a dim other than the last two");
	return STL_OK;
}

static enum stl_status check_reduce(const struct opctx *c)
{
	const struct stl_tensor *x = operand(c, 0), *y = output(c);
	const int32_t kind = c->op->iattr[0], mask = c->op->iattr[1];
	if (kind < 0 || kind > STL_RED_LAST)
		return op_error(c, "REDUCE kind is out of range");
	if (mask <= 0 || mask >= (1 << x->ndim))
		return op_error(c, "REDUCE axes mask must name at least one axis below ndim");
	if (y->ndim != x->ndim)
		return shape_error(c, "REDUCE output rank differs from the input's (it keeps reduced dims as 1)");
	for (unsigned i = 0; i < x->ndim; i++)
		if (y->dims[i] != ((mask >> i) & 1 ? 1u : x->dims[i]))
			return shape_error(c, "REDUCE output dims are not the input's with 1 on the reduced axes");
	return STL_OK;
}

static enum stl_status check_tile(const struct opctx *c)
{
	const struct stl_tensor *x = operand(c, 0), *y = output(c);
	if (y->ndim != x->ndim)
		return shape_error(c, "TILE output rank differs from the input's");
	for (unsigned i = 0; i < x->ndim; i++)
		if (y->dims[i] % x->dims[i] != 0)
			return shape_error(c, "TILE output dims must be multiples of the input's");
	return STL_OK;
}

static enum stl_status check_normalize(const struct opctx *c)
{
	const float eps = c->op->fattr[2];
	if (c->op->iattr[0] < 0 || c->op->iattr[0] >= operand(c, 0)->ndim)
		return op_error(c, "NORMALIZE axis must be in 0..ndim-1");
	if (!(eps >= 0.0f && eps <= 3.40282347e38f))
		return op_error(c, "NORMALIZE epsilon fattr[2] must be finite and >= 0");
	return check_same_shape(c);
}

static enum stl_status check_conv_transpose(const struct opctx *c)
{
	const struct stl_tensor *x = operand(c, 0), *w = operand(c, 1), *y = output(c);
	const int32_t *a = c->op->iattr;
	if (x->ndim != 4 || w->ndim != 4 || y->ndim != 4)
		return shape_error(c, "CONV_TRANSPOSE input, weights and output must be 4-D");
	for (unsigned i = STL_A_KH; i <= STL_A_DW; i++) {
		const int positive = i != STL_A_PT && i != STL_A_PL && i != STL_A_PB && i != STL_A_PR;
		if (a[i] < (positive ? 1 : 0) || a[i] > 65535)
			return op_error(c, "CONV_TRANSPOSE attributes out of range (kernel, strides, dilations, "
					   "group >= 1; 0 <= pads; all <= 65535)");
	}
	const uint32_t g = (uint32_t)a[STL_A_GROUP];
	if ((uint32_t)a[STL_A_KH] != w->dims[2] || (uint32_t)a[STL_A_KW] != w->dims[3])
		return op_error(c, "CONV_TRANSPOSE kernel size differs from the weights'");
	if (w->dims[0] != x->dims[1] || x->dims[1] % g != 0)
		return shape_error(c, "CONV_TRANSPOSE weights must be [C, M/group, kh, kw] with group dividing C");
	if (y->dims[0] != x->dims[0] || (uint64_t)y->dims[1] != (uint64_t)w->dims[1] * g)
		return shape_error(c, "CONV_TRANSPOSE output must be [N, M, OH, OW] with M = weights.dims[1] * group");
	for (unsigned s = 0; s < 2; s++) {
		const int64_t stride = a[STL_A_SH + s], dil = a[STL_A_DH + s];
		const int64_t span = ((int64_t)x->dims[2 + s] - 1) * stride - a[STL_A_PT + s] - a[STL_A_PB + s] +
				     dil * ((int64_t)a[STL_A_KH + s] - 1) + 1;
		const int64_t extra = (int64_t)y->dims[2 + s] - span; /* output_padding */
		if (extra < 0 || extra >= (stride > dil ? stride : dil))
			return shape_error(c, "CONV_TRANSPOSE output size is not (in-1)*stride - pads + "
					      "dilation*(k-1) + 1 + output_padding with 0 <= output_padding < "
					      "max(stride, dilation)");
	}
	if (c->op->n_in == 3 && (operand(c, 2)->ndim != 1 || operand(c, 2)->dims[0] != y->dims[1]))
		return shape_error(c, "CONV_TRANSPOSE bias must be 1-D with one value per output channel");
	return STL_OK;
}

static enum stl_status check_reshape(const struct opctx *c)
{
	if (operand(c, 0)->size != output(c)->size)
		return shape_error(c, "RESHAPE changes the number of elements");
	return STL_OK;
}

static int is_quantised(const struct stl_tensor *t)
{
	return t->kind == STL_KIND_ACT && (t->dtype == STL_DTYPE_U8 || t->dtype == STL_DTYPE_I8);
}

static int same_quantisation(const struct stl_tensor *a, const struct stl_tensor *b)
{
	return a->dtype == b->dtype && a->zero_point == b->zero_point && memcmp(&a->scale, &b->scale, 4) == 0;
}

/* The float ops read and write F32 tensors only; RESHAPE moves bytes of any dtype unchanged,
 * MAXPOOL and nearest RESIZE of a quantised tensor pick integers (the output quantised alike),
 * CONCAT of quantised tensors requantises each input to the output's scale and zero point. */
static enum stl_status check_float_dtypes(const struct opctx *c)
{
	const struct stl_op *op = c->op;
	const int on_integers = is_quantised(operand(c, 0)) &&
				(op->type == STL_OP_MAXPOOL ||
				 (op->type == STL_OP_RESIZE && op->iattr[0] == STL_RESIZE_NEAREST));
	if (op->type == STL_OP_RESHAPE || on_integers) {
		if (!same_quantisation(operand(c, 0), output(c)))
			return op_error(c, op->type == STL_OP_RESHAPE
						   ? "RESHAPE output dtype, zero point or scale differs from its input's"
						   : "quantised MAXPOOL or nearest RESIZE output dtype, zero point or scale "
						     "differs from its input's");
		return STL_OK;
	}
	if (op->type == STL_OP_CONCAT && is_quantised(output(c))) {
		for (unsigned i = 0; i < op->n_in; i++)
			if (!is_quantised(operand(c, i)) || operand(c, i)->dtype != output(c)->dtype)
				return op_error(c, "quantised CONCAT inputs must be quantised ACT tensors of the "
						   "output's dtype");
		return STL_OK;
	}
	for (unsigned i = 0; i < op->n_in + 1u + op->n_scratch; i++)
		if (operand(c, i)->dtype != STL_DTYPE_F32)
			return op_error(c, "a float op reads or writes a tensor that is not F32");
	return STL_OK;
}

static enum stl_status check_quantize(const struct opctx *c)
{
	const struct stl_tensor *x = operand(c, 0), *y = output(c);
	const int q = c->op->type == STL_OP_QUANTIZE;
	if (q ? x->dtype != STL_DTYPE_F32 || !is_quantised(y) : !is_quantised(x) || y->dtype != STL_DTYPE_F32)
		return op_error(c, "QUANTIZE takes F32 to a quantised U8/I8 ACT, DEQUANTIZE the reverse");
	return same_shape(x, y) ? STL_OK : shape_error(c, "(DE)QUANTIZE output dims differ from the input's");
}

/* QCONV/QGEMM's constants: I8 weights, F32 multipliers (one per output channel, finite and
 * positive), optional I32 bias of the same length. */
static enum stl_status check_qlinear_consts(const struct opctx *c, uint32_t channels)
{
	const struct stl_tensor *w = operand(c, 1), *mult = operand(c, 2);
	if (!is_quantised(operand(c, 0)) || !is_quantised(output(c)))
		return op_error(c, "QCONV/QGEMM input and output must be quantised U8/I8 ACT tensors");
	if (w->kind != STL_KIND_CONST || w->dtype != STL_DTYPE_I8)
		return op_error(c, "QCONV/QGEMM weights must be an I8 constant");
	if (mult->kind != STL_KIND_CONST || mult->dtype != STL_DTYPE_F32 || mult->ndim != 1 || mult->dims[0] != channels)
		return shape_error(c, "QCONV/QGEMM multipliers must be an F32 constant with one per output channel");
	const float *f = (const float *)(const void *)(c->m->weights + mult->offset);
	for (uint32_t i = 0; i < channels; i++)
		if (!finite_positive(f[i]))
			return op_error(c, "QCONV/QGEMM multiplier is not finite and positive");
	if (c->op->n_in == 4) {
		const struct stl_tensor *b = operand(c, 3);
		if (b->kind != STL_KIND_CONST || b->dtype != STL_DTYPE_I32 || b->ndim != 1 || b->dims[0] != channels)
			return shape_error(c, "QCONV/QGEMM bias must be an I32 constant with one per output channel");
	}
	return STL_OK;
}

static enum stl_status check_qconv(const struct opctx *c)
{
	const struct stl_op *op = c->op;
	const struct stl_tensor *x = operand(c, 0), *w = operand(c, 1);
	struct stl_conv_geometry g;
	if (x->ndim != 4 || w->ndim != 4)
		return shape_error(c, "QCONV input and weights must be 4-D (NCHW, MCkk)");
	if (stl_conv_geometry(&g, x->dims, w->dims, op->iattr) != STL_GEOM_OK)
		return op_error(c, "QCONV attributes or shapes are inconsistent (as CONV's)");
	enum stl_status st = check_qlinear_consts(c, (uint32_t)g.m);
	if (st != STL_OK)
		return st;
	uint64_t want[4] = {g.n, g.m, g.oh, g.ow};
	if (!dims_are(output(c), 4, want))
		return shape_error(c, "QCONV output dims differ from [N, M, OH, OW] computed from the attributes");
	if (op->n_scratch != 1)
		return op_error(c, "QCONV needs its scratch tensor (the int32 accumulators of one output plane)");
	const struct stl_tensor *sc = operand(c, op->n_in + 1);
	if (sc->ndim != 1 || sc->kind != STL_KIND_ACT || sc->dtype != STL_DTYPE_I32 || sc->dims[0] < g.oh * g.ow)
		return shape_error(c, "QCONV scratch must be a 1-D I32 ACT tensor of at least OH * OW elements");
	return STL_OK;
}

static enum stl_status check_qgemm(const struct opctx *c)
{
	const struct stl_tensor *x = operand(c, 0), *w = operand(c, 1);
	if (x->ndim != 2 || w->ndim != 2 || x->dims[1] != w->dims[0])
		return shape_error(c, "QGEMM needs X[M,K] and W[K,N]");
	enum stl_status st = check_qlinear_consts(c, w->dims[1]);
	if (st != STL_OK)
		return st;
	uint64_t want[2] = {x->dims[0], w->dims[1]};
	return dims_are(output(c), 2, want) ? STL_OK : shape_error(c, "QGEMM output dims are not [M, N]");
}

static enum stl_status check_qadd(const struct opctx *c)
{
	const struct stl_tensor *a = operand(c, 0), *b = operand(c, 1), *y = output(c);
	if (!is_quantised(a) || !is_quantised(b) || !is_quantised(y) || a->dtype != y->dtype || b->dtype != y->dtype)
		return op_error(c, "QADD operands must be quantised ACT tensors of one dtype");
	return same_shape(a, y) && same_shape(b, y) ? STL_OK : shape_error(c, "QADD operands must have one shape");
}

static enum stl_status check_qglobal_avgpool(const struct opctx *c)
{
	const struct stl_tensor *x = operand(c, 0), *y = output(c);
	if (!is_quantised(x) || !is_quantised(y) || x->dtype != y->dtype)
		return op_error(c, "QGLOBAL_AVGPOOL input and output must be quantised ACT tensors of one dtype");
	return check_global_avgpool(c);
}

enum stl_status stl_check_ops(struct stl_model *m)
{
	for (uint32_t s = 0; s < m->n_ops; s++) {
		struct opctx c = {m, s, &m->ops[s]};
		enum stl_status st = check_common(&c);
		if (st == STL_OK && c.op->type < STL_OP_QUANTIZE)
			st = check_float_dtypes(&c);
		if (st != STL_OK)
			return st;
		switch (c.op->type) {
		case STL_OP_CONV: st = check_conv(&c); break;
		case STL_OP_GEMM: st = check_gemm(&c); break;
		case STL_OP_MAXPOOL:
		case STL_OP_AVGPOOL: st = check_pool(&c); break;
		case STL_OP_GLOBAL_AVGPOOL: st = check_global_avgpool(&c); break;
		case STL_OP_BINARY: st = check_binary(&c); break;
		case STL_OP_UNARY: st = check_same_shape(&c); break;
		case STL_OP_CONCAT: st = check_concat(&c); break;
		case STL_OP_SOFTMAX: st = check_softmax(&c); break;
		case STL_OP_TRANSPOSE: st = check_transpose(&c); break;
		case STL_OP_PAD: st = check_pad(&c); break;
		case STL_OP_SLICE: st = check_slice(&c); break;
		case STL_OP_RESIZE: st = check_resize(&c); break;
		case STL_OP_REDUCE: st = check_reduce(&c); break;
		case STL_OP_MATMUL: st = check_matmul(&c); break;
		case STL_OP_TILE: st = check_tile(&c); break;
		case STL_OP_WHERE: st = check_where(&c); break;
		case STL_OP_NORMALIZE: st = check_normalize(&c); break;
		case STL_OP_CONV_TRANSPOSE: st = check_conv_transpose(&c); break;
		case STL_OP_PAD_EDGE:
		case STL_OP_PAD_REFLECT: st = check_pad_mode(&c); break;
		case STL_OP_QUANTIZE:
		case STL_OP_DEQUANTIZE: st = check_quantize(&c); break;
		case STL_OP_QCONV: st = check_qconv(&c); break;
		case STL_OP_QGEMM: st = check_qgemm(&c); break;
		case STL_OP_QADD: st = check_qadd(&c); break;
		case STL_OP_QGLOBAL_AVGPOOL: st = check_qglobal_avgpool(&c); break;
		default: st = check_reshape(&c); break; /* RESHAPE: the record check bounded the type */
		}
		if (st != STL_OK)
			return st;
	}
	return STL_OK;
}
