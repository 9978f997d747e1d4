#include "model_session.h"

#include <stdio.h>
#include <string.h>

#include "model_crypto.h"
#include "model_io.h"
#include "run_deadline.h"
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

	if (model_session_loaded(s) || team_is_worker(s))
		return TEE_ERROR_BAD_STATE; /* a worker holds no model of its own */
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

/* Bytes of all the model's inputs (outputs = true: outputs), one after the other. */
static size_t io_bytes(const struct stl_model *m, bool outputs)
{
	uint32_t n = outputs ? stl_n_outputs(m) : stl_n_inputs(m);
	struct stl_io_desc d;
	size_t total = 0;
	uint32_t i = 0;

	for (i = 0; i < n; i++) {
		if (outputs)
			stl_output_desc(m, i, &d);
		else
			stl_input_desc(m, i, &d);
		total += d.bytes;
	}
	return total;
}

/* The engine's verdict, the arena, RUN's I/O arrays and, when attesting, the secure copies of
 * the inputs and outputs. */
static TEE_Result verify(struct model_session *s, struct refusal *why)
{
	uint64_t in_block = 0;
	uint64_t out_block = 0;
	TEE_Result res = TEE_SUCCESS;

	if (stl_load(&s->model, (uint8_t *)s->file.ptr + s->tzm_offset,
		     s->file.len - s->tzm_offset) != STL_OK) {
		report_engine(why, &s->model.error);
		return TEE_ERROR_BAD_FORMAT;
	}
	in_block = model_io_block_bytes(&s->model, false);
	out_block = model_io_block_bytes(&s->model, true);
	/* The inputs (outputs) are disjoint in the arena, so their blocks hardly exceed it: a block
	 * past 4 GiB belongs to a model no TA heap holds. */
	if (in_block > UINT32_MAX || out_block > UINT32_MAX)
		return TEE_ERROR_OUT_OF_MEMORY;
	s->in_block_bytes = (uint32_t)in_block;
	s->out_block_bytes = (uint32_t)out_block;
	res = alloc_zeroed(s, &s->arena, stl_arena_bytes(&s->model));
	if (res == TEE_SUCCESS)
		res = alloc_zeroed(s, &s->io, stl_n_inputs(&s->model) * sizeof(struct stl_input) +
				   stl_n_outputs(&s->model) * sizeof(struct stl_output));
	if (res == TEE_SUCCESS && s->attest.enabled)
		res = alloc_zeroed(s, &s->attest.input, io_bytes(&s->model, false));
	if (res == TEE_SUCCESS && s->attest.enabled)
		res = alloc_zeroed(s, &s->attest.output, io_bytes(&s->model, true));
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

bool model_session_busy(const struct model_session *s)
{
	return model_session_loaded(s) || s->upload.file.ptr != NULL;
}

uint32_t model_session_weights_bytes(const struct model_session *s)
{
	if (!model_session_loaded(s))
		return 0;
	return (uint32_t)(s->model.size - (size_t)(s->model.weights - s->model.base));
}

/* What stops a RUN between two ops: the client's request, or its time limit. */
struct run_stop {
	struct run_deadline deadline;
	bool timed_out;
};

static int stop_requested(void *ctx, const struct stl_model *m, uint32_t next_op)
{
	struct run_stop *stop = ctx;

	(void)m;
	(void)next_op;
	if (TEE_GetCancellationFlag())
		return 1;
	stop->timed_out = run_deadline_passed(&stop->deadline);
	return stop->timed_out ? 1 : 0;
}

/* stl_run within limit_ms (0: none), with cancellation unmasked so that the flag reaches the op
 * hook. */
static TEE_Result run_stoppable(struct model_session *s, struct stl_input *inputs,
				struct stl_output *outputs, uint32_t limit_ms, struct refusal *why)
{
	bool was_masked = TEE_UnmaskCancellation();
	struct run_stop stop = { { 0, 0 }, false };
	enum stl_status st = STL_OK;

	run_deadline_start(&stop.deadline, limit_ms);
	stl_set_op_hook(&s->model, stop_requested, &stop);
	st = stl_run(&s->model, s->arena.ptr, s->arena.len, inputs, stl_n_inputs(&s->model),
		     outputs, stl_n_outputs(&s->model));
	stl_set_op_hook(&s->model, NULL, NULL);
	if (was_masked)
		TEE_MaskCancellation();
	if (st == STL_OK)
		return TEE_SUCCESS;
	report_engine(why, &s->model.error);
	/* The checks before leave the engine one argument to refuse: overlapping buffers. */
	if (st == STL_E_ARG)
		return TEE_ERROR_BAD_PARAMETERS;
	if (st == STL_E_CANCELLED && stop.timed_out) {
		why->reason = "the run passed its time limit";
		return TEE_ERROR_TIMEOUT;
	}
	return st == STL_E_CANCELLED ? TEE_ERROR_CANCEL : TEE_ERROR_GENERIC;
}

/*
 * An attested model's runs pass their inputs and outputs through secure copies, one after the
 * other in the model's order, so that the hashes bind exactly what the engine read and wrote,
 * whatever the normal world does to shared memory meanwhile. The digests are of those
 * concatenations: each tensor's bytes, without the I/O block's table and padding.
 */
static void attest_take_inputs(struct model_session *s, struct stl_input *inputs)
{
	uint8_t *copy = s->attest.input.ptr;
	uint32_t i = 0;

	for (i = 0; i < stl_n_inputs(&s->model); copy += inputs[i].len, i++) {
		memcpy(copy, inputs[i].data, inputs[i].len);
		inputs[i].data = copy;
	}
}

static void attest_redirect_outputs(struct model_session *s, struct stl_output *outputs)
{
	uint8_t *copy = s->attest.output.ptr;
	uint32_t i = 0;

	for (i = 0; i < stl_n_outputs(&s->model); copy += outputs[i].len, i++)
		outputs[i].data = copy;
}

/* After the run: hash both copies and hand over what was hashed to the output block at out. */
static TEE_Result attest_finish(struct model_session *s, struct stl_output *outputs, uint8_t *out)
{
	struct attestation *a = &s->attest;
	uint8_t *copy = a->output.ptr;
	TEE_Result res = attest_sha256(a->input.ptr, a->input.len, a->input_sha256);
	uint32_t i = 0;

	if (res == TEE_SUCCESS)
		res = attest_sha256(a->output.ptr, a->output.len, a->output_sha256);
	if (res != TEE_SUCCESS)
		return res;
	model_io_outputs(&s->model, out, outputs);
	for (i = 0; i < stl_n_outputs(&s->model); copy += outputs[i].len, i++)
		memcpy(outputs[i].data, copy, outputs[i].len);
	a->have_run = true;
	return TEE_SUCCESS;
}

static TEE_Result run_attested(struct model_session *s, struct stl_input *inputs,
			       struct stl_output *outputs, uint8_t *out, uint32_t limit_ms,
			       struct refusal *why)
{
	TEE_Result res = TEE_SUCCESS;

	attest_take_inputs(s, inputs);
	attest_redirect_outputs(s, outputs);
	res = run_stoppable(s, inputs, outputs, limit_ms, why);
	return res == TEE_SUCCESS ? attest_finish(s, outputs, out) : res;
}

/* The output block's checks of RUN and RUN_COLLECT; *out_len is set to its size. */
static TEE_Result check_output_block(const struct model_session *s, const uint8_t *out, size_t *out_len)
{
	if (*out_len < s->out_block_bytes) {
		*out_len = s->out_block_bytes;
		return TEE_ERROR_SHORT_BUFFER;
	}
	if (!out || (uintptr_t)out % 4u)
		return TEE_ERROR_BAD_PARAMETERS;
	*out_len = s->out_block_bytes;
	return TEE_SUCCESS;
}

TEE_Result model_session_run(struct model_session *s, const uint8_t *in, size_t in_len,
			     uint8_t *out, size_t *out_len, uint32_t limit_ms, struct refusal *why)
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
	if (res == TEE_SUCCESS)
		res = check_output_block(s, out, out_len);
	if (res != TEE_SUCCESS)
		return res;
	s->team.run.armed = false; /* RUN overwrites the arena a prepared team run was in */
	model_io_outputs(&s->model, out, outputs);
	s->attest.have_run = false;
	TEE_GetSystemTime(&start);
	if (s->attest.enabled)
		res = run_attested(s, inputs, outputs, out, limit_ms, why);
	else
		res = run_stoppable(s, inputs, outputs, limit_ms, why);
	if (res != TEE_SUCCESS)
		return res;
	TEE_GetSystemTime(&end);
	s->last_run_us = elapsed_us(&start, &end);
	return TEE_SUCCESS;
}

TEE_Result model_session_run_prepare(struct model_session *s, const uint8_t *in, size_t in_len,
				     uint32_t limit_ms, uint32_t *run_id, uint32_t *participants,
				     struct refusal *why)
{
	struct stl_input *inputs = s->io.ptr;
	TEE_Result res = TEE_SUCCESS;

	if (!model_session_loaded(s) || !s->team.open)
		return TEE_ERROR_BAD_STATE;
	s->team.run.armed = false;
	s->attest.have_run = false;
	res = model_io_inputs(&s->model, in, in_len, inputs);
	if (res != TEE_SUCCESS)
		return res;
	if (s->attest.enabled)
		attest_take_inputs(s, inputs);
	if (stl_run_begin(&s->model, s->arena.ptr, s->arena.len, inputs, stl_n_inputs(&s->model)) != STL_OK) {
		report_engine(why, &s->model.error);
		return TEE_ERROR_BAD_PARAMETERS; /* the engine's one refusal here: overlapping buffers */
	}
	*participants = team_participants(s);
	res = run_team_arm(&s->team.run, &s->model, s->arena.ptr, s->team.counters.ptr, *participants,
			   limit_ms);
	*run_id = s->team.run.run_id;
	TEE_GetSystemTime(&s->prepared);
	return res;
}

/* Why a team run did not complete, for RUN_COLLECT. */
static TEE_Result run_unfinished(struct model_session *s, struct refusal *why)
{
	const struct run_team *r = &s->team.run;
	uint32_t op = run_team_pending_op(r);

	why->status = STL_E_CANCELLED;
	why->op = op == RUN_TEAM_NO_OP ? -1 : (int32_t)op;
	if (r->stall_op != RUN_TEAM_NO_OP) {
		why->op = (int32_t)r->stall_op;
		snprintf(s->team.reason, sizeof(s->team.reason), "team run stalled at op %u: no chunk "
			 "finished for %u s, so the run was stopped", (unsigned)r->stall_op,
			 TZI_TEAM_STALL_MS / 1000u);
		why->reason = s->team.reason;
		return TEE_ERROR_BUSY;
	}
	if (r->timed_out) {
		why->reason = "team run passed its time limit";
		return TEE_ERROR_TIMEOUT;
	}
	if (__atomic_load_n(&r->team.stop, __ATOMIC_ACQUIRE)) {
		why->reason = "team run cancelled";
		return TEE_ERROR_CANCEL;
	}
	why->status = STL_OK;
	why->reason = "team run not complete: no participant ran it (RUN_WORK) before RUN_COLLECT";
	return TEE_ERROR_BAD_STATE;
}

TEE_Result model_session_run_collect(struct model_session *s, uint8_t *out, size_t *out_len,
				     struct refusal *why)
{
	TEE_Time end = { 0 };
	struct stl_input *inputs = s->io.ptr;
	struct stl_output *outputs = NULL;
	TEE_Result res = TEE_SUCCESS;

	if (!model_session_loaded(s) || !s->team.open || !s->team.run.armed)
		return TEE_ERROR_BAD_STATE;
	res = check_output_block(s, out, out_len);
	if (res != TEE_SUCCESS)
		return res;
	if (!run_team_complete(&s->team.run)) {
		res = run_unfinished(s, why);
		s->team.run.armed = false;
		return res;
	}
	s->team.run.armed = false;
	outputs = (struct stl_output *)(void *)(inputs + stl_n_inputs(&s->model));
	model_io_outputs(&s->model, out, outputs);
	if (s->attest.enabled)
		attest_redirect_outputs(s, outputs);
	if (stl_run_end(&s->model, s->arena.ptr, s->arena.len, outputs, stl_n_outputs(&s->model)) != STL_OK) {
		report_engine(why, &s->model.error);
		return TEE_ERROR_BAD_PARAMETERS;
	}
	if (s->attest.enabled)
		res = attest_finish(s, outputs, out);
	if (res != TEE_SUCCESS)
		return res;
	TEE_GetSystemTime(&end);
	s->last_run_us = elapsed_us(&s->prepared, &end);
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
	team_close(s);
	model_upload_abort(&s->upload);
	secure_buffer_release(&s->io);
	secure_buffer_release(&s->arena);
	secure_buffer_release(&s->file);
	attest_reset(&s->attest);
	secure_wipe(&s->model, sizeof(s->model));
	memset(&s->sealed, 0, sizeof(s->sealed));
	s->tzm_offset = 0;
	s->in_block_bytes = 0;
	s->out_block_bytes = 0;
	s->last_run_us = 0;
}
