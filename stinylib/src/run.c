/* stl_run: argument checks, then every op in order over the caller's arena. */
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

enum stl_status stl_run(struct stl_model *m, void *arena, size_t arena_len, const float *input,
			size_t input_len, float *output, size_t output_len)
{
	if (m->base == NULL)
		return arg_error(m, "model is not loaded (stl_load failed or was not called)");
	if (arena == NULL || (uintptr_t)arena % STL_ALIGN != 0)
		return arg_error(m, "arena is NULL or not 16-byte aligned");
	if (arena_len < m->arena_size)
		return arg_error(m, "arena is shorter than stl_arena_bytes()");
	if (input == NULL || input_len != stl_input_bytes(m) || (uintptr_t)input % 4 != 0)
		return arg_error(m, "input is NULL, misaligned, or not stl_input_bytes() long");
	if (output == NULL || output_len != stl_output_bytes(m) || (uintptr_t)output % 4 != 0)
		return arg_error(m, "output is NULL, misaligned, or not stl_output_bytes() long");
	if (overlaps(input, input_len, arena, m->arena_size) || overlaps(output, output_len, arena, m->arena_size) ||
	    overlaps(input, input_len, output, output_len))
		return arg_error(m, "input, output and arena must not overlap");

	uint8_t *a = arena;
	memcpy(a + m->tensors[m->input].offset, input, input_len);
	for (uint32_t s = 0; s <= m->n_ops; s++) {
		if (m->op_hook && m->op_hook(m->op_hook_ctx, m, s))
			return cancelled(m, s);
		if (s == m->n_ops)
			break;
		const struct stl_exec e = {m, &m->ops[s], a};
		kernels[m->ops[s].type](&e);
	}
	memcpy(output, a + m->tensors[m->output].offset, output_len);
	return STL_OK;
}

void stl_set_op_hook(struct stl_model *m, stl_op_hook *hook, void *ctx)
{
	m->op_hook = hook;
	m->op_hook_ctx = ctx;
}
