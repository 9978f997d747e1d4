/*
 * The runner that executes the model in the S-Tinylib TA: the model is sent through one
 * shared-memory buffer in chunks (LOAD_BEGIN/CHUNK/END), the inputs and the outputs through two
 * more, each holding all of them as an I/O block (io_block.h); DESCRIBE gives their names and
 * shapes. The session logs in with the caller's identity (TEEC_LOGIN_USER, or TEEC_LOGIN_GROUP
 * for an administrators' group), which the TA checks before key management.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <tee_client_api.h>

#include "cancel_watch.h"
#include "clock.h"
#include "diag.h"
#include "inputs.h"
#include "io_block.h"
#include "runner.h"
#include "ta_ops.h"
#include "tee_errors.h"
#include "tzinfer_sealed.h"
#include "tzinfer_ta.h"

struct secure_state {
	TEEC_Context ctx;
	TEEC_Session session;
	TEEC_SharedMemory chunk;       /* model upload window */
	TEEC_SharedMemory in, out;     /* I/O blocks; (re)allocated per model */
	bool session_open, chunk_allocated, io_allocated;
	struct secure_options opt;
	uint32_t quota_bytes;          /* this session's quota, from STATS */
	const char *model_path;
	size_t model_bytes;
	struct model_info info;        /* of the loaded model */
	uint8_t *description;          /* DESCRIBE's answer; the tensor names point into it */
	struct tensor_info *io;        /* inputs, then outputs */
};

static int fail(const struct tee_failure *f)
{
	char msg[512];

	tee_failure_explain(f, msg, sizeof(msg));
	diag_error("%s", msg);
	return -1;
}

static int fail_call(struct secure_state *s, enum tee_call call, TEEC_Result res, uint32_t origin)
{
	struct tee_failure f = { .call = call, .result = res, .origin = origin,
				 .model_path = s->model_path, .model_bytes = s->model_bytes,
				 .quota_bytes = s->quota_bytes,
				 .login_group = s->opt.login_group, .login_gid = s->opt.login_gid };

	return fail(&f);
}

static int alloc_shm(struct secure_state *s, TEEC_SharedMemory *shm, size_t size, uint32_t flags)
{
	TEEC_Result res = TEEC_SUCCESS;

	memset(shm, 0, sizeof(*shm));
	shm->size = size;
	shm->flags = flags;
	res = TEEC_AllocateSharedMemory(&s->ctx, shm);
	if (res != TEEC_SUCCESS)
		return fail_call(s, TEE_CALL_SHARED_MEMORY, res, TEEC_ORIGIN_API);
	return 0;
}

static void free_io(struct secure_state *s)
{
	free(s->description);
	free(s->io);
	s->description = NULL;
	s->io = NULL;
	if (!s->io_allocated)
		return;
	TEEC_ReleaseSharedMemory(&s->in);
	TEEC_ReleaseSharedMemory(&s->out);
	s->io_allocated = false;
}

static TEEC_Result invoke(struct secure_state *s, uint32_t cmd, TEEC_Operation *op,
			  uint32_t *origin)
{
	*origin = TEEC_ORIGIN_API;
	return TEEC_InvokeCommand(&s->session, cmd, op, origin);
}

static int read_quota(struct secure_state *s)
{
	TEEC_Operation op = { 0 };
	TEEC_Result res = TEEC_SUCCESS;
	uint32_t origin = 0;

	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT,
					 TEEC_VALUE_OUTPUT);
	res = invoke(s, TZI_CMD_STATS, &op, &origin);
	if (res != TEEC_SUCCESS)
		return fail_call(s, TEE_CALL_STATS, res, origin);
	if (op.params[3].value.b != TZI_TA_API_VERSION) {
		diag_error("the TA speaks interface version %u, this client %u: install the TA "
			   "and tzinfer-run from the same build", op.params[3].value.b,
			   TZI_TA_API_VERSION);
		return -1;
	}
	s->quota_bytes = op.params[3].value.a;
	return 0;
}

static int upload(struct secure_state *s, const uint8_t *file, size_t len)
{
	TEEC_Operation op = { 0 };
	TEEC_Result res = TEEC_SUCCESS;
	uint32_t origin = 0;
	size_t off = 0;

	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = (uint32_t)len;
	op.params[0].value.b = s->opt.attest ? TZI_LOAD_ATTEST : 0;
	res = invoke(s, TZI_CMD_LOAD_BEGIN, &op, &origin);
	if (res != TEEC_SUCCESS)
		return fail_call(s, TEE_CALL_LOAD_BEGIN, res, origin);
	for (off = 0; off < len; off += op.params[0].memref.size) {
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INPUT, TEEC_VALUE_INPUT,
						 TEEC_NONE, TEEC_NONE);
		op.params[0].memref.parent = &s->chunk;
		op.params[0].memref.size = len - off < s->chunk.size ? len - off : s->chunk.size;
		memcpy(s->chunk.buffer, file + off, op.params[0].memref.size);
		op.params[1].value.a = (uint32_t)off;
		res = invoke(s, TZI_CMD_LOAD_CHUNK, &op, &origin);
		if (res != TEEC_SUCCESS)
			return fail_call(s, TEE_CALL_LOAD_CHUNK, res, origin);
	}
	return 0;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* What a file's header says about sealing, for error messages (docs/sealed-format.md). */
static void describe_sealing(const uint8_t *file, size_t len, struct tee_failure *f)
{
	if (len >= TZI_SEALED_HEADER_BYTES &&
	    !memcmp(file, TZI_SEALED_MAGIC, TZI_SEALED_MAGIC_BYTES)) {
		f->sealed = true;
		f->key_id = rd32(file + TZI_SEALED_KEY_ID_OFF);
	} else if (len >= TZI_SEALED_V1_HEADER_BYTES) {
		f->key_id = rd32(file + TZI_SEALED_V1_KEY_ID_OFF);
	}
}

/* Tensor description k of DESCRIBE's answer d[0..len) into t; -1 when it points outside. */
static int parse_tensor(const uint8_t *d, size_t len, uint32_t k, struct tensor_info *t)
{
	struct tzi_tensor_desc td;

	memcpy(&td, d + sizeof(struct tzi_describe_header) + k * sizeof(td), sizeof(td));
	if (td.ndim > 6 || (uint64_t)td.name_offset + td.name_len >= len || d[td.name_offset + td.name_len])
		return -1;
	t->name = (const char *)d + td.name_offset;
	t->dtype = td.dtype;
	t->ndim = td.ndim;
	memcpy(t->dims, td.dims, sizeof(t->dims));
	t->bytes = td.bytes;
	return 0;
}

/* DESCRIBE: the loaded model's inputs and outputs into info (kept in s until unload). */
static int describe(struct secure_state *s, struct model_info *info)
{
	TEEC_Operation op = { 0 };
	TEEC_Result res = TEEC_SUCCESS;
	struct tzi_describe_header h = { 0, 0 };
	uint32_t origin = 0, n = 0;
	size_t len = 4096;

	for (int attempt = 0; attempt < 2; attempt++) { /* the second with the size the TA asked for */
		free(s->description);
		s->description = malloc(len);
		if (!s->description) {
			diag_error("out of memory");
			return -1;
		}
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE,
						 TEEC_NONE);
		op.params[0].tmpref.buffer = s->description;
		op.params[0].tmpref.size = len;
		res = invoke(s, TZI_CMD_DESCRIBE, &op, &origin);
		len = op.params[0].tmpref.size;
		if (res != TEEC_ERROR_SHORT_BUFFER)
			break;
	}
	if (res != TEEC_SUCCESS)
		return fail_call(s, TEE_CALL_DESCRIBE, res, origin);
	if (len >= sizeof(h))
		memcpy(&h, s->description, sizeof(h));
	n = h.n_inputs + h.n_outputs;
	s->io = n && h.n_inputs <= 255 && h.n_outputs <= 255 ? calloc(n, sizeof(*s->io)) : NULL;
	if (!s->io || len < sizeof(h) + (size_t)n * sizeof(struct tzi_tensor_desc))
		goto malformed;
	for (uint32_t k = 0; k < n; k++)
		if (parse_tensor(s->description, len, k, &s->io[k]) != 0)
			goto malformed;
	info->n_inputs = h.n_inputs;
	info->n_outputs = h.n_outputs;
	info->inputs = s->io;
	info->outputs = s->io + h.n_inputs;
	return 0;
malformed:
	diag_error("the TA described the model's inputs and outputs in a form this client does not "
		   "read: install the TA and tzinfer-run from the same build");
	return -1;
}

static int secure_load(struct runner *r, const char *model_path, const uint8_t *file, size_t len,
		       struct model_info *info)
{
	struct secure_state *s = r->state;
	TEEC_Operation op = { 0 };
	TEEC_Result res = TEEC_SUCCESS;
	uint32_t origin = 0;
	char reason[TZI_REASON_BYTES] = "";
	double start = clock_ms();

	s->model_path = model_path;
	s->model_bytes = len;
	if (len > UINT32_MAX) {
		diag_error("%s is larger than 4 GiB: not a tzinfer model", model_path);
		return -1;
	}
	if (upload(s, file, len) != 0)
		return -1;
	info->transfer_ms = clock_ms() - start;
	start = clock_ms();
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT,
					 TEEC_MEMREF_TEMP_OUTPUT);
	op.params[3].tmpref.buffer = reason;
	op.params[3].tmpref.size = sizeof(reason);
	res = invoke(s, TZI_CMD_LOAD_END, &op, &origin);
	if (res != TEEC_SUCCESS) {
		struct tee_failure f = { .call = TEE_CALL_LOAD_END, .result = res, .origin = origin,
					 .model_path = model_path, .model_bytes = len,
					 .quota_bytes = s->quota_bytes,
					 .engine_status = op.params[2].value.a,
					 .engine_location = op.params[2].value.b,
					 .engine_reason = reason,
					 .min_version = op.params[1].value.a,
					 .model_version = op.params[1].value.b };

		reason[sizeof(reason) - 1] = '\0';
		describe_sealing(file, len, &f);
		return fail(&f);
	}
	info->arena_bytes = op.params[1].value.a;
	info->weights_bytes = op.params[1].value.b;
	info->model_bytes = len;
	free_io(s);
	if (describe(s, info) != 0)
		return -1;
	info->verify_ms = clock_ms() - start;
	if (alloc_shm(s, &s->in, op.params[0].value.a, TEEC_MEM_INPUT) != 0)
		return -1;
	if (alloc_shm(s, &s->out, op.params[0].value.b, TEEC_MEM_OUTPUT) != 0) {
		TEEC_ReleaseSharedMemory(&s->in);
		return -1;
	}
	s->io_allocated = true;
	s->info = *info;
	return 0;
}

/* The input block in the shared memory, or (for inputs of the wrong size, which the TA must
 * refuse) in a buffer of its own; *temp is that buffer, or NULL. */
static int input_block(struct secure_state *s, const struct input_buf *in, uint8_t **temp,
		       size_t *len)
{
	uint32_t n = s->info.n_inputs;
	const void **data = calloc(n, sizeof(*data));
	size_t *bytes = calloc(n, sizeof(*bytes));
	int rc = -1;

	*temp = NULL;
	if (!data || !bytes)
		goto done;
	for (uint32_t i = 0; i < n; i++) {
		data[i] = in[i].data;
		bytes[i] = in[i].bytes;
	}
	*len = io_block_bytes(bytes, n);
	if (*len != s->in.size && !(*temp = malloc(*len)))
		goto done;
	io_block_write(*temp ? *temp : s->in.buffer, data, bytes, n);
	rc = 0;
done:
	if (rc)
		diag_error("out of memory");
	free(data);
	free(bytes);
	return rc;
}

static int secure_run(struct runner *r, const struct input_buf *in, const struct output_buf *out,
		      uint32_t *engine_us)
{
	struct secure_state *s = r->state;
	TEEC_Operation op = { 0 };
	TEEC_Result res = TEEC_SUCCESS;
	uint32_t origin = 0;
	char reason[TZI_REASON_BYTES] = "";
	char detail[512] = "";
	uint8_t *temp = NULL;
	size_t in_len = 0;
	enum cancel_cause cancelled = CANCEL_NONE;

	if (!s->io_allocated) {
		diag_error("no model is loaded: load one before running it");
		return -1;
	}
	if (input_block(s, in, &temp, &in_len) != 0)
		return -1;
	/* The TA checks the inputs' sizes: a block with a wrong one still goes there to be refused. */
	if (temp) {
		op.params[0].tmpref.buffer = temp;
		op.params[0].tmpref.size = in_len;
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_WHOLE,
						 TEEC_VALUE_OUTPUT, TEEC_MEMREF_TEMP_OUTPUT);
	} else {
		op.params[0].memref.parent = &s->in;
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_MEMREF_WHOLE,
						 TEEC_VALUE_OUTPUT, TEEC_MEMREF_TEMP_OUTPUT);
	}
	op.params[1].memref.parent = &s->out;
	op.params[3].tmpref.buffer = reason;
	op.params[3].tmpref.size = sizeof(reason);
	cancel_watch_begin(&op, s->opt.run_timeout_s);
	res = invoke(s, TZI_CMD_RUN, &op, &origin);
	cancelled = cancel_watch_end();
	free(temp);
	if (res != TEEC_SUCCESS) {
		struct tee_failure f = { .call = TEE_CALL_RUN, .result = res, .origin = origin,
					 .model_path = s->model_path,
					 .engine_status = op.params[2].value.b,
					 .engine_reason = reason, .detail = detail,
					 .cancel = cancelled, .timeout_s = s->opt.run_timeout_s };

		reason[sizeof(reason) - 1] = '\0';
		inputs_size_problem(&s->info, in, detail, sizeof(detail));
		return fail(&f);
	}
	for (uint32_t o = 0; o < s->info.n_outputs; o++) {
		size_t bytes = 0;
		const uint8_t *tensor = io_block_tensor(s->out.buffer, s->out.size, o, &bytes);

		if (!tensor || bytes != out[o].bytes) {
			diag_error("the TA's output block does not hold output %u as described: install "
				   "the TA and tzinfer-run from the same build", o);
			return -1;
		}
		memcpy(out[o].data, tensor, bytes);
	}
	*engine_us = op.params[2].value.a;
	return 0;
}

static void secure_unload(struct runner *r)
{
	struct secure_state *s = r->state;
	TEEC_Operation op = { 0 };
	TEEC_Result res = TEEC_SUCCESS;
	uint32_t origin = 0;

	op.paramTypes = TEEC_PARAM_TYPES(TEEC_NONE, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	res = invoke(s, TZI_CMD_UNLOAD, &op, &origin);
	if (res != TEEC_SUCCESS)
		fail_call(s, TEE_CALL_UNLOAD, res, origin);
	free_io(s);
}

/* One command with no model behind it (keys, attestation); 0, or -1 with a diagnostic. */
static int plain_call(struct runner *r, enum tee_call call, uint32_t cmd, TEEC_Operation *op,
		      uint32_t key_id)
{
	struct secure_state *s = r->state;
	TEEC_Result res = TEEC_SUCCESS;
	uint32_t origin = 0;

	res = invoke(s, cmd, op, &origin);
	if (res != TEEC_SUCCESS) {
		struct tee_failure f = { .call = call, .result = res, .origin = origin,
					 .key_id = key_id, .login_group = s->opt.login_group,
					 .login_gid = s->opt.login_gid };

		return fail(&f);
	}
	return 0;
}

int secure_runner_provision_key(struct runner *r, uint32_t key_id, const uint8_t *key,
				size_t len, bool replace)
{
	TEEC_Operation op;

	ta_op_provision_key(&op, key_id, key, len, replace ? TZI_KEY_REPLACE : 0);
	return plain_call(r, TEE_CALL_PROVISION_KEY, TZI_CMD_PROVISION_KEY, &op, key_id);
}

int secure_runner_delete_key(struct runner *r, uint32_t key_id)
{
	TEEC_Operation op;

	ta_op_delete_key(&op, key_id);
	return plain_call(r, TEE_CALL_DELETE_KEY, TZI_CMD_DELETE_KEY, &op, key_id);
}

int secure_runner_lock_keys(struct runner *r)
{
	TEEC_Operation op = { 0 };

	op.paramTypes = TEEC_PARAM_TYPES(TEEC_NONE, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	return plain_call(r, TEE_CALL_LOCK_KEYS, TZI_CMD_LOCK_KEYS, &op, 0);
}

int secure_runner_device_key(struct runner *r, uint8_t key[TZI_DEVICE_KEY_BYTES])
{
	TEEC_Operation op = { 0 };

	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = key;
	op.params[0].tmpref.size = TZI_DEVICE_KEY_BYTES;
	return plain_call(r, TEE_CALL_DEVICE_KEY, TZI_CMD_DEVICE_KEY, &op, 0);
}

int secure_runner_attest(struct runner *r, const uint8_t nonce[TZI_NONCE_BYTES],
			 uint8_t report[TZI_ATTEST_REPORT_BYTES])
{
	TEEC_Operation op = { 0 };

	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE,
					 TEEC_NONE);
	op.params[0].tmpref.buffer = (void *)nonce;
	op.params[0].tmpref.size = TZI_NONCE_BYTES;
	op.params[1].tmpref.buffer = report;
	op.params[1].tmpref.size = TZI_ATTEST_REPORT_BYTES;
	return plain_call(r, TEE_CALL_ATTEST, TZI_CMD_ATTEST, &op, 0);
}

static void secure_print_memory(struct runner *r, const struct model_info *info, FILE *out)
{
	struct secure_state *s = r->state;
	TEEC_Operation op = { 0 };
	TEEC_Result res = TEEC_SUCCESS;
	uint32_t origin = 0;

	fprintf(out, "secure memory: %zu bytes (model %zu + arena %u) of a %u-byte session quota\n",
		info->model_bytes + info->arena_bytes, info->model_bytes, info->arena_bytes,
		s->quota_bytes);
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT,
					 TEEC_VALUE_OUTPUT);
	res = invoke(s, TZI_CMD_STATS, &op, &origin);
	if (res != TEEC_SUCCESS) {
		fail_call(s, TEE_CALL_STATS, res, origin);
		return;
	}
	fprintf(out, "secure buffers: %u bytes in use, %u peak (this session)\n",
		op.params[2].value.a, op.params[2].value.b);
}

static void secure_close(struct runner *r)
{
	struct secure_state *s = r->state;

	free_io(s);
	if (s->chunk_allocated)
		TEEC_ReleaseSharedMemory(&s->chunk);
	if (s->session_open)
		TEEC_CloseSession(&s->session);
	TEEC_FinalizeContext(&s->ctx);
	free(s);
	r->state = NULL;
}

static const struct runner_ops secure_ops = {
	.world = "secure",
	.load = secure_load,
	.run = secure_run,
	.unload = secure_unload,
	.print_memory = secure_print_memory,
	.close = secure_close,
};

/* The session with the caller's identity: the TA decides on key management by it. */
static TEEC_Result open_session(struct secure_state *s, uint32_t *origin)
{
	const TEEC_UUID uuid = TZI_TA_UUID;
	uint32_t gid = s->opt.login_gid; /* libteec copies a gid_t (32 bits) from here */

	if (s->opt.login_group)
		return TEEC_OpenSession(&s->ctx, &s->session, &uuid, TEEC_LOGIN_GROUP, &gid, NULL,
					origin);
	return TEEC_OpenSession(&s->ctx, &s->session, &uuid, TEEC_LOGIN_USER, NULL, NULL, origin);
}

int secure_runner_open(struct runner *r, const struct secure_options *opt)
{
	struct secure_state *s = calloc(1, sizeof(*s));
	TEEC_Result res = TEEC_SUCCESS;
	uint32_t origin = TEEC_ORIGIN_API;

	if (!s) {
		diag_error("out of memory");
		return -1;
	}
	r->ops = &secure_ops;
	r->state = s;
	s->opt = *opt;
	res = TEEC_InitializeContext(NULL, &s->ctx);
	if (res != TEEC_SUCCESS) {
		fail_call(s, TEE_CALL_CONTEXT, res, TEEC_ORIGIN_API);
		free(s);
		r->state = NULL;
		return -1;
	}
	if (!tee_supplicant_running())
		diag_error("warning: tee-supplicant is not running, so OP-TEE cannot load the TA and "
			   "this waits until it starts: start it with `tee-supplicant -d`");
	res = open_session(s, &origin);
	if (res != TEEC_SUCCESS) {
		fail_call(s, TEE_CALL_OPEN_SESSION, res, origin);
		secure_close(r);
		return -1;
	}
	s->session_open = true;
	if (alloc_shm(s, &s->chunk, opt->chunk_bytes, TEEC_MEM_INPUT) != 0) {
		secure_close(r);
		return -1;
	}
	s->chunk_allocated = true;
	if (read_quota(s) != 0) {
		secure_close(r);
		return -1;
	}
	return 0;
}
