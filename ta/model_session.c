#include "model_session.h"

#include <string.h>

#include "model_crypto.h"

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
	if (!secure_buffer_alloc(&s->arena, stl_arena_bytes(&s->model))) {
		model_session_unload(s);
		return TEE_ERROR_OUT_OF_MEMORY;
	}
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

TEE_Result model_session_run(struct model_session *s, const void *input, size_t input_len,
			     void *output, size_t *output_len, struct engine_report *report)
{
	TEE_Time start = { 0 };
	TEE_Time end = { 0 };
	size_t out_bytes = 0;

	if (!model_session_loaded(s))
		return TEE_ERROR_BAD_STATE;
	out_bytes = stl_output_bytes(&s->model);
	if (input_len != stl_input_bytes(&s->model))
		return TEE_ERROR_BAD_PARAMETERS;
	if (*output_len < out_bytes) {
		*output_len = out_bytes;
		return TEE_ERROR_SHORT_BUFFER;
	}
	*output_len = out_bytes;
	TEE_GetSystemTime(&start);
	if (stl_run(&s->model, s->arena.ptr, s->arena.len, input, input_len,
		    output, out_bytes) != STL_OK) {
		report_engine(report, &s->model.error);
		return TEE_ERROR_GENERIC;
	}
	TEE_GetSystemTime(&end);
	s->last_run_us = elapsed_us(&start, &end);
	return TEE_SUCCESS;
}

void model_session_unload(struct model_session *s)
{
	model_upload_abort(&s->upload);
	secure_buffer_release(&s->arena);
	secure_buffer_release(&s->file);
	secure_wipe(&s->model, sizeof(s->model));
	s->last_run_us = 0;
}
