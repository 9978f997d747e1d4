/* Loader stage 3: per op type, the arity, the attributes and the shapes the op implies. Output dims
 * must be exactly what the op computes from its inputs; that is what lets the kernels trust dims.
 * All arithmetic on dims and attributes is done in 64 bits. */
#include <string.h>

#include "check.h"
#include "conv_geometry.h"
#include "format.h"

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
	uint8_t uses_pad_value; /* fattr[2] */
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
	[STL_OP_SOFTMAX] = {1, 1, 1, 0, 0},
	[STL_OP_TRANSPOSE] = {1, 1, 6, 0, 0},
	[STL_OP_PAD] = {1, 1, 12, 0, 1},
	[STL_OP_RESHAPE] = {1, 1, 0, 0, 0},
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
	if (op->n_scratch && op->type != STL_OP_CONV)
		return op_error(c, "only CONV may have a scratch tensor");
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
	if ((!r->uses_pad_value && !float_is_zero_bits(op->fattr[2])) || !float_is_zero_bits(op->fattr[3]))
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

static enum stl_status check_binary(const struct opctx *c)
{
	const struct stl_tensor *a = operand(c, 0), *b = operand(c, 1), *y = output(c);
	if (c->op->iattr[0] < 0 || c->op->iattr[0] > STL_BIN_LAST)
		return op_error(c, "BINARY kind is not ADD/SUB/MUL/DIV/PRELU");
	unsigned nd = a->ndim > b->ndim ? a->ndim : b->ndim;
	if (y->ndim != nd)
		return shape_error(c, "BINARY output rank is not the broadcast rank");
	for (unsigned i = 0; i < nd; i++) {
		uint32_t da = i < nd - a->ndim ? 1 : a->dims[i - (nd - a->ndim)];
		uint32_t db = i < nd - b->ndim ? 1 : b->dims[i - (nd - b->ndim)];
		if (da != db && da != 1 && db != 1)
			return shape_error(c, "BINARY input shapes do not broadcast");
		if (y->dims[i] != (da == 1 ? db : da))
			return shape_error(c, "BINARY output dims are not the broadcast shape");
	}
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

static enum stl_status check_reshape(const struct opctx *c)
{
	if (operand(c, 0)->size != output(c)->size)
		return shape_error(c, "RESHAPE changes the number of elements");
	return STL_OK;
}

enum stl_status stl_check_ops(struct stl_model *m)
{
	for (uint32_t s = 0; s < m->n_ops; s++) {
		struct opctx c = {m, s, &m->ops[s]};
		enum stl_status st = check_common(&c);
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
		default: st = check_reshape(&c); break; /* RESHAPE: the record check bounded the type */
		}
		if (st != STL_OK)
			return st;
	}
	return STL_OK;
}
