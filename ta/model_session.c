#include "model_session.h"

#include <string.h>

#include "model_crypto.h"
#include "ta_config.h"
#include "tzinfer_sealed.h"
#include "version_floor.h"

static void report_engine(struct refusal *why, const struct stl_error *e)
{
	why->status = e->status;
	why->reason = e->reason;
	why->op = e->op;
	why->tensor = e->tensor;
}

static uint32_t elapsed_us(const TEE_Time *start, const TEE_Time *end)
{
	uint32_t ms = (end->seconds - start->seconds) * 1000u + end->millis - start->millis;

	return ms * 1000u;
}

void model_session_init(struct model_session *s)
{
	memset(s, 0, sizeof(*s));
	s->account.quota = TZI_SESSION_QUOTA;
}

TEE_Result model_session_load_begin(struct model_session *s, size_t total, bool attest)
{
	TEE_Result res = TEE_SUCCESS;

	if (model_session_loaded(s))
		return TEE_ERROR_BAD_STATE;
	res = model_upload_begin(&s->upload, total, &s->account);
	if (res == TEE_SUCCESS)
		s->attest.enabled = attest;
	return res;
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

/* Where the policy refuses a file before anything is decrypted or parsed. */
static TEE_Result check_kind(enum model_kind kind, struct refusal *why)
{
	if (kind == MODEL_SEALED_V1) {
		why->reason = "sealed format v1 is refused: it shows the plaintext SHA-256 and has "
			      "no version; seal the .tzm again";
		return TEE_ERROR_NOT_SUPPORTED;
	}
	if (kind == MODEL_PLAIN && !TZI_PLAINTEXT_MODELS_ALLOWED) {
		why->reason = "this TA loads sealed models only (built with TZI_SEALED_ONLY=y)";
		return TEE_ERROR_ACCESS_DENIED;
	}
	return TEE_SUCCESS;
}

/* Decrypt a sealed package in place and refuse a rollback; the .tzm then follows the header. */
static TEE_Result unseal(struct model_session *s, struct refusal *why)
{
	struct sealed_info *info = &s->sealed;
	struct sealed_refusal bad = { STL_OK, NULL };
	TEE_Result res = model_crypto_unseal(s->file.ptr, s->file.len, info, &bad);

	if (res == TEE_ERROR_BAD_FORMAT) {
		why->status = bad.status;
		why->reason = bad.reason;
	}
	if (res == TEE_SUCCESS)
		res = version_floor_get(info->key_id, &why->min_version);
	if (res != TEE_SUCCESS)
		return res;
	why->model_version = info->model_version;
	if (info->model_version < why->min_version) {
		why->reason = "model_version is below the minimum version of its key id (rollback)";
		return TEE_ERROR_SECURITY;
	}
	s->tzm_offset = TZI_SEALED_HEADER_BYTES;
	return TEE_SUCCESS;
}

/* A buffer for this session's model, zeroed so that nothing stale in the heap is ever read. */
static TEE_Result alloc_zeroed(struct model_session *s, struct secure_buffer *b, size_t len)
{
	TEE_Result res = secure_buffer_alloc(b, len, &s->account);

	if (res == TEE_SUCCESS)
		memset(b->ptr, 0, len);
	return res;
}

/* The engine's verdict, the arena and, when attesting, the secure copies of input and output. */
static TEE_Result verify(struct model_session *s, struct refusal *why)
{
	TEE_Result res = TEE_SUCCESS;

	if (stl_load(&s->model, (uint8_t *)s->file.ptr + s->tzm_offset,
		     s->file.len - s->tzm_offset) != STL_OK) {
		report_engine(why, &s->model.error);
		return TEE_ERROR_BAD_FORMAT;
	}
	res = alloc_zeroed(s, &s->arena, stl_arena_bytes(&s->model));
	if (res == TEE_SUCCESS && s->attest.enabled)
		res = alloc_zeroed(s, &s->attest.input, stl_input_bytes(&s->model));
	if (res == TEE_SUCCESS && s->attest.enabled)
		res = alloc_zeroed(s, &s->attest.output, stl_output_bytes(&s->model));
	return res;
}

TEE_Result model_session_load_end(struct model_session *s, struct refusal *why)
{
	enum model_kind kind = MODEL_PLAIN;
	TEE_Result res = TEE_SUCCESS;

	if (!model_upload_complete(&s->upload))
		return TEE_ERROR_BAD_STATE;
	s->file = model_upload_take(&s->upload);
	kind = model_crypto_kind(s->file.ptr, s->file.len);
	res = check_kind(kind, why);
	/* The file as uploaded: a sealed package is hashed before it is decrypted in place. */
	if (res == TEE_SUCCESS && s->attest.enabled)
		res = attest_sha256(s->file.ptr, s->file.len, s->attest.model_sha256);
	if (res == TEE_SUCCESS && kind == MODEL_SEALED)
		res = unseal(s, why);
	if (res == TEE_SUCCESS)
		res = verify(s, why);
	/* Only a package that loaded moves its key id's floor (unless it asks not to). */
	if (res == TEE_SUCCESS && kind == MODEL_SEALED && !(s->sealed.flags & TZI_SEALED_KEEP_FLOOR))
		res = version_floor_raise(s->sealed.key_id, s->sealed.model_version);
	if (res != TEE_SUCCESS) {
		model_session_unload(s); /* also wipes what GCM wrote before the tag check */
		return res;
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

/* Between two ops of RUN: has the client asked to cancel (TEEC_RequestCancellation)? */
static int cancel_requested(void *ctx, const struct stl_model *m, uint32_t next_op)
{
	(void)ctx;
	(void)m;
	(void)next_op;
	return TEE_GetCancellationFlag() ? 1 : 0;
}

/* stl_run with cancellation unmasked, so that the flag reaches the op hook. */
static TEE_Result run_cancellable(struct model_session *s, const void *input, size_t input_len,
				  void *output, size_t output_len, struct refusal *why)
{
	bool was_masked = TEE_UnmaskCancellation();
	enum stl_status st = STL_OK;

	stl_set_op_hook(&s->model, cancel_requested, NULL);
	st = stl_run(&s->model, s->arena.ptr, s->arena.len, input, input_len, output, output_len);
	stl_set_op_hook(&s->model, NULL, NULL);
	if (was_masked)
		TEE_MaskCancellation();
	if (st == STL_OK)
		return TEE_SUCCESS;
	report_engine(why, &s->model.error);
	return st == STL_E_CANCELLED ? TEE_ERROR_CANCEL : TEE_ERROR_GENERIC;
}

/* RUN of an attested model: input and output pass through secure copies, so that the hashes
 * bind exactly what the engine read and wrote, whatever the normal world does to shared
 * memory meanwhile. */
static TEE_Result run_attested(struct model_session *s, const void *input, size_t input_len,
			       void *output, size_t output_len, struct refusal *why)
{
	struct attestation *a = &s->attest;
	TEE_Result res = TEE_SUCCESS;

	memcpy(a->input.ptr, input, input_len);
	res = run_cancellable(s, a->input.ptr, input_len, a->output.ptr, output_len, why);
	if (res == TEE_SUCCESS)
		res = attest_sha256(a->input.ptr, input_len, a->input_sha256);
	if (res == TEE_SUCCESS)
		res = attest_sha256(a->output.ptr, output_len, a->output_sha256);
	if (res == TEE_SUCCESS)
		memcpy(output, a->output.ptr, output_len);
	a->have_run = res == TEE_SUCCESS;
	return res;
}

TEE_Result model_session_run(struct model_session *s, const void *input, size_t input_len,
			     void *output, size_t *output_len, struct refusal *why)
{
	TEE_Time start = { 0 };
	TEE_Time end = { 0 };
	size_t out_bytes = 0;
	TEE_Result res = TEE_SUCCESS;

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
	s->attest.have_run = false;
	TEE_GetSystemTime(&start);
	if (s->attest.enabled)
		res = run_attested(s, input, input_len, output, out_bytes, why);
	else
		res = run_cancellable(s, input, input_len, output, out_bytes, why);
	if (res != TEE_SUCCESS)
		return res;
	TEE_GetSystemTime(&end);
	s->last_run_us = elapsed_us(&start, &end);
	return TEE_SUCCESS;
}

void model_session_unload(struct model_session *s)
{
	model_upload_abort(&s->upload);
	secure_buffer_release(&s->arena);
	secure_buffer_release(&s->file);
	attest_reset(&s->attest);
	secure_wipe(&s->model, sizeof(s->model));
	memset(&s->sealed, 0, sizeof(s->sealed));
	s->tzm_offset = 0;
	s->last_run_us = 0;
}
