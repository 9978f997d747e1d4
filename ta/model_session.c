#include "model_session.h"

#include <string.h>

#include "model_crypto.h"
#include "model_io.h"

static void report_engine(struct engine_report *report, const struct stl_error *e)
{
	report->status = e->status;
	report->reason = e->reason;
	report->op = e->op;
	report->tensor = e->tensor;
}

static uint32_t elapsed_us(const TEE_Time *start, const TEE_Time *end)
{
	uint32_t ms = (end->seconds - start->seconds) * 1000u + end->millis - start->millis;

	return ms * 1000u;
}

TEE_Result model_session_load_begin(struct model_session *s, size_t total)
{
	if (model_session_loaded(s))
		return TEE_ERROR_BAD_STATE;
	return model_upload_begin(&s->upload, total);
}

TEE_Result model_session_load_chunk(struct model_session *s, size_t offset,
				    const void *data, size_t len)
{
	TEE_Result res = model_upload_chunk(&s->upload, offset, data, len);

	/* A lost, repeated or oversized chunk ends the upload: nothing half-loaded lingers. */
	if (res != TEE_SUCCESS && res != TEE_ERROR_BAD_STATE)
		model_upload_abort(&s->upload);
	return res;
}

TEE_Result model_session_load_end(struct model_session *s, struct engine_report *report)
{
	uint64_t in_block = 0;
	uint64_t out_block = 0;

	if (!model_upload_complete(&s->upload))
		return TEE_ERROR_BAD_STATE;
	s->file = model_upload_take(&s->upload);
	if (model_crypto_is_sealed(s->file.ptr, s->file.len)) {
		TEE_Result res = model_crypto_unseal(s->file.ptr, s->file.len);

		if (res != TEE_SUCCESS) {
			model_session_unload(s); /* wipes what GCM wrote before the tag check */
			return res;
		}
	}
	if (stl_load(&s->model, s->file.ptr, s->file.len) != STL_OK) {
		report_engine(report, &s->model.error);
		model_session_unload(s);
		return TEE_ERROR_BAD_FORMAT;
	}
	in_block = model_io_block_bytes(&s->model, false);
	out_block = model_io_block_bytes(&s->model, true);
	/* The inputs (outputs) are disjoint in the arena, so their blocks hardly exceed it: a block
	 * past 4 GiB belongs to a model no TA heap holds. */
	if (in_block > UINT32_MAX || out_block > UINT32_MAX ||
	    !secure_buffer_alloc(&s->arena, stl_arena_bytes(&s->model)) ||
	    !secure_buffer_alloc(&s->io, stl_n_inputs(&s->model) * sizeof(struct stl_input) +
				 stl_n_outputs(&s->model) * sizeof(struct stl_output))) {
		model_session_unload(s);
		return TEE_ERROR_OUT_OF_MEMORY;
	}
	s->in_block_bytes = (uint32_t)in_block;
	s->out_block_bytes = (uint32_t)out_block;
	s->last_run_us = 0;
	return TEE_SUCCESS;
}

bool model_session_loaded(const struct model_session *s)
{
	return s->arena.ptr != NULL;
}

uint32_t model_session_weights_bytes(const struct model_session *s)
{
	if (!model_session_loaded(s))
		return 0;
	return (uint32_t)(s->model.size - (size_t)(s->model.weights - s->model.base));
}

TEE_Result model_session_run(struct model_session *s, const uint8_t *in, size_t in_len,
			     uint8_t *out, size_t *out_len, struct engine_report *report)
{
	TEE_Time start = { 0 };
	TEE_Time end = { 0 };
	struct stl_input *inputs = s->io.ptr;
	struct stl_output *outputs = NULL;
	TEE_Result res = TEE_SUCCESS;

	if (!model_session_loaded(s))
		return TEE_ERROR_BAD_STATE;
	outputs = (struct stl_output *)(void *)(inputs + stl_n_inputs(&s->model));
	res = model_io_inputs(&s->model, in, in_len, inputs);
	if (res != TEE_SUCCESS)
		return res;
	if (*out_len < s->out_block_bytes) {
		*out_len = s->out_block_bytes;
		return TEE_ERROR_SHORT_BUFFER;
	}
	if (!out || (uintptr_t)out % 4u)
		return TEE_ERROR_BAD_PARAMETERS;
	*out_len = s->out_block_bytes;
	model_io_outputs(&s->model, out, outputs);
	TEE_GetSystemTime(&start);
	if (stl_run(&s->model, s->arena.ptr, s->arena.len, inputs, stl_n_inputs(&s->model), outputs,
		    stl_n_outputs(&s->model)) != STL_OK) {
		report_engine(report, &s->model.error);
		/* The checks above leave the engine one argument to refuse: overlapping buffers. */
		return s->model.error.status == STL_E_ARG ? TEE_ERROR_BAD_PARAMETERS : TEE_ERROR_GENERIC;
	}
	TEE_GetSystemTime(&end);
	s->last_run_us = elapsed_us(&start, &end);
	return TEE_SUCCESS;
}

TEE_Result model_session_describe(const struct model_session *s, uint8_t *desc, size_t *len)
{
	uint64_t need = 0;

	if (!model_session_loaded(s))
		return TEE_ERROR_BAD_STATE;
	need = model_io_describe_bytes(&s->model);
	if (*len < need || !desc) {
		*len = (size_t)need;
		return TEE_ERROR_SHORT_BUFFER;
	}
	*len = (size_t)need;
	model_io_describe(&s->model, desc);
	return TEE_SUCCESS;
}

void model_session_unload(struct model_session *s)
{
	model_upload_abort(&s->upload);
	secure_buffer_release(&s->io);
	secure_buffer_release(&s->arena);
	secure_buffer_release(&s->file);
	secure_wipe(&s->model, sizeof(s->model));
	s->in_block_bytes = 0;
	s->out_block_bytes = 0;
	s->last_run_us = 0;
}
