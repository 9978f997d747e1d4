/* stl_run: argument checks, then the inputs in, every op in order over the caller's arena, and the
 * outputs out. */
#include <string.h>

#include "check.h"
#include "kernels.h"

static stl_kernel_fn *const kernels[STL_OP_LAST + 1] = {
	[STL_OP_CONV] = stl_k_conv,
	[STL_OP_GEMM] = stl_k_gemm,
	[STL_OP_MAXPOOL] = stl_k_maxpool,
	[STL_OP_AVGPOOL] = stl_k_avgpool,
	[STL_OP_GLOBAL_AVGPOOL] = stl_k_global_avgpool,
	[STL_OP_BINARY] = stl_k_binary,
	[STL_OP_UNARY] = stl_k_unary,
	[STL_OP_CONCAT] = stl_k_concat,
	[STL_OP_SOFTMAX] = stl_k_softmax,
	[STL_OP_TRANSPOSE] = stl_k_transpose,
	[STL_OP_PAD] = stl_k_pad,
	[STL_OP_RESHAPE] = stl_k_reshape,
	[STL_OP_SLICE] = stl_k_slice,
	[STL_OP_RESIZE] = stl_k_resize,
	[STL_OP_REDUCE] = stl_k_reduce,
	[STL_OP_MATMUL] = stl_k_matmul,
	[STL_OP_TILE] = stl_k_tile,
	[STL_OP_WHERE] = stl_k_where,
	[STL_OP_NORMALIZE] = stl_k_normalize,
	[STL_OP_CONV_TRANSPOSE] = stl_k_conv_transpose,
	[STL_OP_PAD_EDGE] = stl_k_pad_mode,
	[STL_OP_PAD_REFLECT] = stl_k_pad_mode,
};

static int overlaps(const void *a, size_t alen, const void *b, size_t blen)
{
	uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;
	return pa < pb + blen && pb < pa + alen;
}

static enum stl_status arg_error(struct stl_model *m, const char *reason)
{
	m->error.status = STL_E_ARG;
	m->error.reason = reason;
	m->error.op = -1;
	m->error.tensor = -1;
	return STL_E_ARG;
}

static enum stl_status cancelled(struct stl_model *m, uint32_t next_op)
{
	m->error.status = STL_E_CANCELLED;
	m->error.reason = "run stopped by the op hook (cancelled)";
	m->error.op = (int32_t)next_op;
	m->error.tensor = -1;
	return STL_E_CANCELLED;
}

/* One input or output buffer: not NULL, 4-byte aligned, exactly its tensor's bytes, outside the arena. */
static int buffer_ok(const struct stl_model *m, const void *arena, const void *data, size_t len, uint32_t bytes)
{
	return data != NULL && len == bytes && (uintptr_t)data % 4 == 0 && !overlaps(data, len, arena, m->arena_size);
}

/* The buffers' checks (stl_run's contract in stinylib.h); NULL when they pass, else the reason. */
static const char *check_buffers(const struct stl_model *m, const void *arena, const struct stl_input *in,
				 uint32_t n_in, const struct stl_output *out, uint32_t n_out)
{
	struct stl_io_desc d;
	if (n_in != m->n_inputs || (n_in && in == NULL))
		return "give exactly stl_n_inputs() inputs, in the model's order";
	if (n_out != m->n_outputs || (n_out && out == NULL))
		return "give exactly stl_n_outputs() outputs, in the model's order";
	for (uint32_t i = 0; i < n_in; i++)
		if (stl_input_desc(m, i, &d) != STL_OK || !buffer_ok(m, arena, in[i].data, in[i].len, d.bytes))
			return "an input is NULL, misaligned, not its stl_input_desc() bytes long, or in the arena";
	for (uint32_t o = 0; o < n_out; o++) {
		if (stl_output_desc(m, o, &d) != STL_OK || !buffer_ok(m, arena, out[o].data, out[o].len, d.bytes))
			return "an output is NULL, misaligned, not its stl_output_desc() bytes long, or in the arena";
		for (uint32_t i = 0; i < n_in; i++)
			if (overlaps(out[o].data, out[o].len, in[i].data, in[i].len))
				return "an output overlaps an input";
		for (uint32_t p = 0; p < o; p++)
			if (overlaps(out[o].data, out[o].len, out[p].data, out[p].len))
				return "two outputs overlap";
	}
	return NULL;
}

enum stl_status stl_run(struct stl_model *m, void *arena, size_t arena_len, const struct stl_input *inputs,
			uint32_t n_inputs, const struct stl_output *outputs, uint32_t n_outputs)
{
	if (m->base == NULL)
		return arg_error(m, "model is not loaded (stl_load failed or was not called)");
	if (arena == NULL || (uintptr_t)arena % STL_ALIGN != 0)
		return arg_error(m, "arena is NULL or not 16-byte aligned");
	if (arena_len < m->arena_size)
		return arg_error(m, "arena is shorter than stl_arena_bytes()");
	const char *bad = check_buffers(m, arena, inputs, n_inputs, outputs, n_outputs);
	if (bad != NULL)
		return arg_error(m, bad);

	uint8_t *a = arena;
	for (uint32_t i = 0; i < n_inputs; i++)
		memcpy(a + m->tensors[m->bindings[i].tensor].offset, inputs[i].data, inputs[i].len);
	for (uint32_t s = 0; s <= m->n_ops; s++) {
		if (m->op_hook && m->op_hook(m->op_hook_ctx, m, s))
			return cancelled(m, s);
		if (s == m->n_ops)
			break;
		const struct stl_exec e = {m, &m->ops[s], a};
		kernels[m->ops[s].type](&e);
	}
	for (uint32_t o = 0; o < n_outputs; o++)
		memcpy(outputs[o].data, a + m->tensors[m->bindings[n_inputs + o].tensor].offset, outputs[o].len);
	return STL_OK;
}

void stl_set_op_hook(struct stl_model *m, stl_op_hook *hook, void *ctx)
{
	m->op_hook = hook;
	m->op_hook_ctx = ctx;
}
