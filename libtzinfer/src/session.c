/*
 * A libtzinfer session: one TEE context and one session with the S-Tinylib TA, holding at most
 * one model. The model goes to the TA in chunks through a registered shared-memory window
 * (LOAD_BEGIN/CHUNK/END, ta_upload), then DESCRIBE gives its inputs and outputs, and every RUN
 * moves all inputs and outputs as two I/O blocks in two more registered buffers (io_block.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tee_client_api.h>
#include <time.h>

#include "io_block.h"
#include "ta_ops.h"
#include "team.h"
#include "tee_errors.h"
#include "tzinfer.h"
#include "tzinfer_sealed.h"
#include "tzinfer_ta.h"

#define ERROR_BYTES 512

/* The public header's sizes are the TA interface's. */
_Static_assert(TZI_DEVICE_KEY_LEN == TZI_DEVICE_KEY_BYTES, "device key size");
_Static_assert(TZI_NONCE_LEN == TZI_NONCE_BYTES, "nonce size");
_Static_assert(TZI_ATTEST_REPORT_LEN == TZI_ATTEST_REPORT_BYTES, "report size");

struct tzi_session {
	TEEC_Context ctx;
	TEEC_Session session;
	TEEC_SharedMemory window;       /* model upload */
	TEEC_SharedMemory in, out;      /* I/O blocks of the loaded model */
	bool context_ready, session_open, window_allocated, io_allocated;
	bool login_group;               /* logged in as group login_gid (tzi_open_group) */
	uint32_t login_gid;
	uint32_t quota_bytes;           /* this session's secure-memory quota, from STATS */
	uint32_t worker_slots;          /* the TA's worker slots, from STATS */
	uint32_t threads;               /* tzi_set_threads; 1: RUN */
	uint32_t run_limit_ms;          /* tzi_set_time_limit; 0: none */
	struct team *team;              /* of the loaded model when threads > 1, opened at a run */
	uint32_t load_flags;            /* LOAD_BEGIN's flags: TZI_LOAD_ATTEST (tzi_set_attest) */
	uint8_t *description;           /* DESCRIBE's answer; the tensor names point into it */
	struct tzi_tensor_info *io;     /* the inputs, then the outputs */
	uint32_t n_inputs, n_outputs;
	const void **in_data;           /* tzi_run's inputs in the model's order */
	size_t *in_bytes;
	struct tzi_stats stats;
	pthread_mutex_t lock;           /* guards in_flight, cancel_sent and team against tzi_cancel */
	TEEC_Operation *in_flight;      /* the RUN under way, or NULL */
	bool cancel_sent;               /* tzi_cancel asked OP-TEE to cancel that RUN */
	char error[ERROR_BYTES];
};

static const char out_of_memory_open[] =
	"out of memory opening a libtzinfer session: free memory in the normal world";

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static tzi_status fail(tzi_session *s, tzi_status status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	return status;
}

static tzi_status fail_tee(tzi_session *s, const struct tee_failure *f)
{
	return tee_failure_explain(f, s->error, sizeof(s->error));
}

static tzi_status fail_call(tzi_session *s, enum tee_call call, TEEC_Result res, uint32_t origin)
{
	struct tee_failure f = { .call = call, .result = res, .origin = origin,
				 .quota_bytes = s->quota_bytes, .login_group = s->login_group,
				 .login_gid = s->login_gid };

	return fail_tee(s, &f);
}

static TEEC_Result invoke(void *ctx, uint32_t cmd, TEEC_Operation *op, uint32_t *origin)
{
	tzi_session *s = ctx;

	*origin = TEEC_ORIGIN_API;
	return TEEC_InvokeCommand(&s->session, cmd, op, origin);
}

static tzi_status alloc_shm(tzi_session *s, TEEC_SharedMemory *shm, size_t size, uint32_t flags)
{
	TEEC_Result res = TEEC_SUCCESS;

	memset(shm, 0, sizeof(*shm));
	shm->size = size;
	shm->flags = flags;
	res = TEEC_AllocateSharedMemory(&s->ctx, shm);
	if (res != TEEC_SUCCESS)
		return fail_call(s, TEE_CALL_SHARED_MEMORY, res, TEEC_ORIGIN_API);
	return TZI_OK;
}

const char *tzi_version(void)
{
#define TZI_STR2(x) #x
#define TZI_STR(x) TZI_STR2(x)
	return TZI_STR(TZINFER_VERSION_MAJOR) "." TZI_STR(TZINFER_VERSION_MINOR) "."
		TZI_STR(TZINFER_VERSION_PATCH);
}

const char *tzi_errmsg(const tzi_session *s)
{
	return s ? s->error : out_of_memory_open;
}

/* Close the team's worker sessions (the TA wipes their scratch). */
static void close_team(tzi_session *s)
{
	struct team *t = NULL;

	pthread_mutex_lock(&s->lock);
	t = s->team;
	s->team = NULL;
	pthread_mutex_unlock(&s->lock);
	team_close(t);
}

/* Forget the loaded model on this side: its description and I/O buffers. */
static void forget_model(tzi_session *s)
{
	free(s->description);
	free(s->io);
	free(s->in_data);
	free(s->in_bytes);
	s->description = NULL;
	s->io = NULL;
	s->in_data = NULL;
	s->in_bytes = NULL;
	s->n_inputs = s->n_outputs = 0;
	if (s->io_allocated) {
		TEEC_ReleaseSharedMemory(&s->in);
		TEEC_ReleaseSharedMemory(&s->out);
		s->io_allocated = false;
	}
	s->stats.runs = s->stats.cancelled_runs = 0;
	close_team(s);
}

static tzi_status check_interface(tzi_session *s)
{
	TEEC_Operation op;
	TEEC_Result res = TEEC_SUCCESS;
	uint32_t origin = 0;

	ta_op_stats(&op);
	res = invoke(s, TZI_CMD_STATS, &op, &origin);
	if (res != TEEC_SUCCESS)
		return fail_call(s, TEE_CALL_STATS, res, origin);
	if (TZI_STATS_VERSION(op.params[3].value.b) != TZI_TA_API_VERSION)
		return fail(s, TZI_E_VERSION, "the TA speaks interface version %u, libtzinfer %u: install "
			    "the TA and libtzinfer from the same build",
			    TZI_STATS_VERSION(op.params[3].value.b), TZI_TA_API_VERSION);
	s->quota_bytes = op.params[3].value.a;
	s->worker_slots = TZI_STATS_WORKER_SLOTS(op.params[3].value.b);
	return TZI_OK;
}

/* The session logs in with the caller's identity (TEEC_LOGIN_USER), or as a group: the TA
 * decides on key management by it (tzinfer_ta.h). */
static tzi_status open_as(tzi_session **out, bool group, uint32_t gid)
{
	const TEEC_UUID uuid = TZI_TA_UUID;
	tzi_session *s = NULL;
	TEEC_Result res = TEEC_SUCCESS;
	uint32_t origin = TEEC_ORIGIN_API;
	uint32_t login_gid = gid; /* libteec copies a gid_t (32 bits) from here */

	if (!out)
		return TZI_E_ARGUMENT;
	*out = s = calloc(1, sizeof(*s));
	if (!s)
		return TZI_E_NO_MEMORY;
	pthread_mutex_init(&s->lock, NULL);
	s->threads = 1;
	s->login_group = group;
	s->login_gid = gid;
	res = TEEC_InitializeContext(NULL, &s->ctx);
	if (res != TEEC_SUCCESS)
		return fail_call(s, TEE_CALL_CONTEXT, res, TEEC_ORIGIN_API);
	s->context_ready = true;
	/* Without tee-supplicant OP-TEE cannot load the TA, and the open would wait for it forever. */
	if (!tee_supplicant_running())
		return fail(s, TZI_E_NO_TA, "tee-supplicant is not running, so OP-TEE cannot load the TA "
			    "from the filesystem: start it with `tee-supplicant -d`");
	res = TEEC_OpenSession(&s->ctx, &s->session, &uuid, group ? TEEC_LOGIN_GROUP : TEEC_LOGIN_USER,
			       group ? &login_gid : NULL, NULL, &origin);
	if (res != TEEC_SUCCESS)
		return fail_call(s, TEE_CALL_OPEN_SESSION, res, origin);
	s->session_open = true;
	if (tzi_set_upload_chunk(s, TZI_MAX_CHUNK_BYTES) != TZI_OK)
		return TZI_E_SHARED_MEMORY;
	return check_interface(s);
}

tzi_status tzi_open(tzi_session **out)
{
	return open_as(out, false, 0);
}

tzi_status tzi_open_group(tzi_session **out, uint32_t gid)
{
	return open_as(out, true, gid);
}

tzi_status tzi_set_upload_chunk(tzi_session *s, size_t bytes)
{
	tzi_status status = TZI_OK;

	if (!s || !s->session_open || !bytes || bytes > TZI_MAX_CHUNK_BYTES)
		return s ? fail(s, TZI_E_ARGUMENT, "the upload chunk must be 1 to %u bytes, on an open "
				"session", TZI_MAX_CHUNK_BYTES) : TZI_E_ARGUMENT;
	s->error[0] = '\0';
	if (s->window_allocated)
		TEEC_ReleaseSharedMemory(&s->window);
	s->window_allocated = false;
	status = alloc_shm(s, &s->window, bytes, TEEC_MEM_INPUT);
	s->window_allocated = status == TZI_OK;
	return status;
}

void tzi_close(tzi_session *s)
{
	if (!s)
		return;
	forget_model(s);
	if (s->window_allocated)
		TEEC_ReleaseSharedMemory(&s->window);
	if (s->session_open)
		TEEC_CloseSession(&s->session); /* the TA wipes and frees the model */
	if (s->context_ready)
		TEEC_FinalizeContext(&s->ctx);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Callers check the session before anything else: open, and the error of the last call cleared. */
static tzi_status usable(tzi_session *s)
{
	if (!s)
		return TZI_E_ARGUMENT;
	s->error[0] = '\0';
	if (!s->session_open)
		return fail(s, TZI_E_STATE, "the session is not open (tzi_open failed): open a new one");
	return TZI_OK;
}

tzi_status tzi_unload(tzi_session *s)
{
	TEEC_Operation op;
	TEEC_Result res = TEEC_SUCCESS;
	uint32_t origin = 0;
	tzi_status status = usable(s);

	if (status != TZI_OK)
		return status;
	forget_model(s);
	ta_op_none(&op);
	res = invoke(s, TZI_CMD_UNLOAD, &op, &origin);
	return res == TEEC_SUCCESS ? TZI_OK : fail_call(s, TEE_CALL_UNLOAD, res, origin);
}

/* Tensor description k of DESCRIBE's answer d[0..len) into t; -1 when it points outside. */
static int parse_tensor(const uint8_t *d, size_t len, uint32_t k, struct tzi_tensor_info *t)
{
	struct tzi_tensor_desc td;

	memcpy(&td, d + sizeof(struct tzi_describe_header) + k * sizeof(td), sizeof(td));
	if (td.ndim > TZI_MAX_DIMS || (uint64_t)td.name_offset + td.name_len >= len ||
	    d[td.name_offset + td.name_len])
		return -1;
	t->name = (const char *)d + td.name_offset;
	t->dtype = td.dtype;
	t->ndim = td.ndim;
	memcpy(t->dims, td.dims, sizeof(t->dims));
	t->bytes = td.bytes;
	return 0;
}

/* DESCRIBE: the loaded model's inputs and outputs, kept in s until the model goes. */
static tzi_status describe(tzi_session *s)
{
	TEEC_Operation op;
	TEEC_Result res = TEEC_SUCCESS;
	struct tzi_describe_header h = { 0, 0 };
	uint32_t origin = 0, n = 0;
	size_t len = 4096;

	for (int attempt = 0; attempt < 2; attempt++) { /* the second with the size the TA asked for */
		free(s->description);
		s->description = malloc(len);
		if (!s->description)
			return fail(s, TZI_E_NO_MEMORY, "out of memory for the model's description");
		ta_op_describe(&op, s->description, len);
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
	if (!h.n_inputs || !h.n_outputs || h.n_inputs > 255 || h.n_outputs > 255 ||
	    len < sizeof(h) + (size_t)n * sizeof(struct tzi_tensor_desc))
		goto malformed;
	s->io = calloc(n, sizeof(*s->io));
	s->in_data = calloc(h.n_inputs, sizeof(*s->in_data));
	s->in_bytes = calloc(h.n_inputs, sizeof(*s->in_bytes));
	if (!s->io || !s->in_data || !s->in_bytes)
		return fail(s, TZI_E_NO_MEMORY, "out of memory for the model's description");
	for (uint32_t k = 0; k < n; k++)
		if (parse_tensor(s->description, len, k, &s->io[k]) != 0)
			goto malformed;
	s->n_inputs = h.n_inputs;
	s->n_outputs = h.n_outputs;
	return TZI_OK;
malformed:
	return fail(s, TZI_E_VERSION, "the TA described the model's inputs and outputs in a form "
		    "libtzinfer does not read: install the TA and libtzinfer from the same build");
}

/* What a file's header says about sealing (docs/sealed-format.md): f->sealed and f->key_id for
 * a sealed package of format v2, f->key_id alone for a .tzm flagged as a v1 package (which the
 * TA refuses); nothing for a plaintext model. */
static void describe_sealing(const uint8_t *file, size_t len, struct tee_failure *f)
{
	if (len >= TZI_SEALED_HEADER_BYTES &&
	    !memcmp(file, TZI_SEALED_MAGIC, TZI_SEALED_MAGIC_BYTES)) {
		f->sealed = true;
		f->key_id = stl_le32(file + TZI_SEALED_KEY_ID_OFF);
	} else if (len >= TZI_SEALED_V1_HEADER_BYTES &&
		   !memcmp(file, TZI_SEALED_V1_MAGIC, sizeof(TZI_SEALED_V1_MAGIC) - 1) &&
		   (stl_le32(file + TZI_SEALED_V1_FLAGS_OFF) & 1u)) {
		f->key_id = stl_le32(file + TZI_SEALED_V1_KEY_ID_OFF);
	}
}

static tzi_status load(tzi_session *s, const char *what, const uint8_t *file, size_t len,
		       uint32_t key_id)
{
	TEEC_Operation op;
	TEEC_Result res = TEEC_SUCCESS;
	uint32_t origin = 0, failed_cmd = 0, sealed_for = 0;
	char reason[TZI_REASON_BYTES] = "";
	double start = now_ms();
	tzi_status status = TZI_OK;
	struct tee_failure f = { .model_path = what, .model_bytes = len,
				 .quota_bytes = s->quota_bytes };

	describe_sealing(file, len, &f);
	sealed_for = f.key_id;
	if (len > UINT32_MAX)
		return fail(s, TZI_E_MODEL_FORMAT, "%s is larger than 4 GiB: not a tzinfer model", what);
	if (key_id != TZI_KEY_ID_ANY && sealed_for != key_id)
		return fail(s, TZI_E_KEY_ID, sealed_for ? "%s is sealed for key id %u, not %u: load the "
			    "package sealed for key id %u" : "%s is not sealed (a plaintext model), but "
			    "key id %u was asked for: load the sealed package (tzinfer seal)",
			    what, sealed_for ? sealed_for : key_id, key_id, key_id);
	if ((status = tzi_unload(s)) != TZI_OK)
		return status;
	s->stats.load_transfer_ms = s->stats.load_verify_ms = 0;
	res = ta_upload(invoke, s, &s->window, s->window.size, file, len, s->load_flags, &failed_cmd,
			&origin);
	if (res != TEEC_SUCCESS) {
		f.call = failed_cmd == TZI_CMD_LOAD_BEGIN ? TEE_CALL_LOAD_BEGIN : TEE_CALL_LOAD_CHUNK;
		f.result = res;
		f.origin = origin;
		return fail_tee(s, &f);
	}
	s->stats.load_transfer_ms = now_ms() - start;
	start = now_ms();
	ta_op_load_end(&op, reason, sizeof(reason));
	res = invoke(s, TZI_CMD_LOAD_END, &op, &origin);
	if (res != TEEC_SUCCESS) {
		reason[sizeof(reason) - 1] = '\0';
		f.call = TEE_CALL_LOAD_END;
		f.result = res;
		f.origin = origin;
		f.engine_status = op.params[2].value.a;
		f.engine_location = op.params[2].value.b;
		f.engine_reason = reason;
		f.min_version = op.params[1].value.a;
		f.model_version = op.params[1].value.b;
		return fail_tee(s, &f);
	}
	s->stats.model_bytes = len;
	s->stats.arena_bytes = op.params[1].value.a;
	s->stats.weights_bytes = op.params[1].value.b;
	if ((status = describe(s)) != TZI_OK ||
	    (status = alloc_shm(s, &s->in, op.params[0].value.a, TEEC_MEM_INPUT)) != TZI_OK)
		goto undo;
	if ((status = alloc_shm(s, &s->out, op.params[0].value.b, TEEC_MEM_OUTPUT)) != TZI_OK) {
		TEEC_ReleaseSharedMemory(&s->in);
		goto undo;
	}
	s->io_allocated = true;
	s->stats.load_verify_ms = now_ms() - start;
	return TZI_OK;
undo:
	/* The model is in the TA but unusable from here: take it out again, keep the first error. */
	ta_op_none(&op);
	invoke(s, TZI_CMD_UNLOAD, &op, &origin);
	forget_model(s);
	return status;
}

tzi_status tzi_load_buffer(tzi_session *s, const void *model, size_t len, uint32_t key_id)
{
	tzi_status status = usable(s);

	if (status != TZI_OK)
		return status;
	if (!model || !len)
		return fail(s, TZI_E_ARGUMENT, "no model given (NULL or 0 bytes)");
	return load(s, "the model", model, len, key_id);
}

tzi_status tzi_load_file(tzi_session *s, const char *path, uint32_t key_id)
{
	tzi_status status = usable(s);
	FILE *f = NULL;
	uint8_t *data = NULL;
	long size = 0;

	if (status != TZI_OK)
		return status;
	if (!path)
		return fail(s, TZI_E_ARGUMENT, "no model path given");
	f = fopen(path, "rb");
	if (!f)
		return fail(s, TZI_E_FILE, "cannot open %s: check the path", path);
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0)
		status = fail(s, TZI_E_FILE, "%s is empty or not a regular file: give a model file", path);
	else if (!(data = malloc((size_t)size)))
		status = fail(s, TZI_E_NO_MEMORY, "out of memory reading %s (%ld bytes)", path, size);
	else if (fread(data, 1, (size_t)size, f) != (size_t)size)
		status = fail(s, TZI_E_FILE, "cannot read %s: check the file", path);
	fclose(f);
	if (status == TZI_OK)
		status = load(s, path, data, (size_t)size, key_id);
	free(data);
	return status;
}

uint32_t tzi_input_count(const tzi_session *s)
{
	return s ? s->n_inputs : 0;
}

uint32_t tzi_output_count(const tzi_session *s)
{
	return s ? s->n_outputs : 0;
}

static tzi_status tensor_info(const tzi_session *s, bool output, uint32_t i,
			      struct tzi_tensor_info *info)
{
	uint32_t n = output ? tzi_output_count(s) : tzi_input_count(s);

	if (!s || !info || i >= n)
		return TZI_E_ARGUMENT;
	*info = s->io[(output ? s->n_inputs : 0) + i];
	return TZI_OK;
}

tzi_status tzi_input_info(const tzi_session *s, uint32_t i, struct tzi_tensor_info *info)
{
	return tensor_info(s, false, i, info);
}

tzi_status tzi_output_info(const tzi_session *s, uint32_t i, struct tzi_tensor_info *info)
{
	return tensor_info(s, true, i, info);
}

/* Index of the tensor called name among t[0..n), or -1. */
static int find(const struct tzi_tensor_info *t, uint32_t n, const char *name)
{
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return (int)i;
	return -1;
}

/* Which model tensor the k-th of n given ones is: by name, or by position when the caller gave
 * every tensor without names. -1 after setting the error. */
static int match(tzi_session *s, const char *kind, const struct tzi_tensor_info *t, uint32_t n_model,
		 const char *name, size_t k, size_t n_given, size_t bytes, tzi_status status)
{
	int i = name ? find(t, n_model, name) : (n_given == n_model ? (int)k : -1);

	if (i < 0) {
		if (name)
			fail(s, status, "the model has no %s named '%s': its %ss are listed by "
			     "tzi_%s_info", kind, name, kind, kind);
		else
			fail(s, status, "%s %zu has no name: name it, or give all %u %ss in the "
			     "model's order", kind, k, n_model, kind);
		return -1;
	}
	if (bytes != t[i].bytes) {
		fail(s, status, "%s '%s' is given %zu bytes but the model's takes %zu (%zu floats): "
		     "give a tensor of its shape", kind, t[i].name, bytes, t[i].bytes, t[i].bytes / 4);
		return -1;
	}
	return i;
}

static tzi_status put_inputs(tzi_session *s, const struct tzi_input *in, size_t n_in)
{
	memset(s->in_data, 0, s->n_inputs * sizeof(*s->in_data));
	for (size_t k = 0; k < n_in; k++) {
		int i = match(s, "input", s->io, s->n_inputs, in[k].name, k, n_in, in[k].bytes,
			      TZI_E_INPUT);

		if (i < 0)
			return TZI_E_INPUT;
		if (!in[k].data)
			return fail(s, TZI_E_ARGUMENT, "input '%s' has no data (NULL)", s->io[i].name);
		if (s->in_data[i])
			return fail(s, TZI_E_INPUT, "input '%s' is given twice: give each input once",
				    s->io[i].name);
		s->in_data[i] = in[k].data;
		s->in_bytes[i] = in[k].bytes;
	}
	for (uint32_t i = 0; i < s->n_inputs; i++)
		if (!s->in_data[i])
			return fail(s, TZI_E_INPUT, "input '%s' is missing: the model takes %u inputs, "
				    "give each once", s->io[i].name, s->n_inputs);
	io_block_write(s->in.buffer, s->in_data, s->in_bytes, s->n_inputs);
	return TZI_OK;
}

/* The model's index of each wanted output into idx[0..n_out); checked before the run. */
static tzi_status find_outputs(tzi_session *s, const struct tzi_output *out, size_t n_out, int *idx)
{
	const struct tzi_tensor_info *t = s->io + s->n_inputs;

	for (size_t k = 0; k < n_out; k++) {
		idx[k] = match(s, "output", t, s->n_outputs, out[k].name, k, n_out, out[k].bytes,
			       TZI_E_OUTPUT);
		if (idx[k] < 0)
			return TZI_E_OUTPUT;
		if (!out[k].data)
			return fail(s, TZI_E_ARGUMENT, "output '%s' has no buffer (NULL)", t[idx[k]].name);
		for (size_t j = 0; j < k; j++)
			if (idx[j] == idx[k])
				return fail(s, TZI_E_OUTPUT, "output '%s' is asked for twice",
					    t[idx[k]].name);
	}
	return TZI_OK;
}

static tzi_status take_outputs(tzi_session *s, struct tzi_output *out, size_t n_out, const int *idx)
{
	for (size_t k = 0; k < n_out; k++) {
		size_t bytes = 0;
		const uint8_t *tensor = io_block_tensor(s->out.buffer, s->out.size, (uint32_t)idx[k],
							&bytes);

		if (!tensor || bytes != out[k].bytes)
			return fail(s, TZI_E_VERSION, "the TA's output block does not hold output %d as "
				    "described: install the TA and libtzinfer from the same build",
				    idx[k]);
		memcpy(out[k].data, tensor, bytes);
	}
	return TZI_OK;
}

/*
 * OP-TEE keeps a session's cancellation flag from the moment the request arrives until the end of
 * the next command it runs in the TA. A request sent while the RUN was under way may arrive just
 * after the RUN returned, and would then cancel the next RUN at its first op. Every request has
 * arrived once tzi_run holds the lock again (tzi_cancel sends it under the lock, synchronously),
 * so one command that checks no flag (STATS) consumes it.
 */
static void drain_cancellation(tzi_session *s)
{
	TEEC_Operation op;
	uint32_t origin = 0;

	ta_op_stats(&op);
	invoke(s, TZI_CMD_STATS, &op, &origin);
}

/* RUN: the inference in one TA entry. *op keeps its time and engine status. */
static TEEC_Result run_alone(tzi_session *s, TEEC_Operation *op, char *reason, size_t reason_len,
			     uint32_t *origin)
{
	TEEC_Result res = TEEC_SUCCESS;
	bool cancel_sent = false;

	ta_op_run_shm(op, &s->in, &s->out, s->run_limit_ms, reason, reason_len);
	pthread_mutex_lock(&s->lock);
	s->in_flight = op;
	pthread_mutex_unlock(&s->lock);
	res = invoke(s, TZI_CMD_RUN, op, origin);
	pthread_mutex_lock(&s->lock);
	s->in_flight = NULL;
	cancel_sent = s->cancel_sent;
	s->cancel_sent = false;
	pthread_mutex_unlock(&s->lock);
	if (cancel_sent)
		drain_cancellation(s);
	return res;
}

/* The team of s->threads for the loaded model, opened now if it is not yet. */
static tzi_status ensure_team(tzi_session *s)
{
	struct team_error e = { TEE_CALL_TEAM_OPEN, TEEC_SUCCESS, 0, 0 };
	struct team *t = NULL;
	char why[ERROR_BYTES];
	tzi_status status = TZI_OK;

	if (s->team)
		return TZI_OK;
	if (team_open(&t, &s->ctx, &s->session, s->threads, &e) == TEEC_SUCCESS) {
		pthread_mutex_lock(&s->lock);
		s->team = t;
		pthread_mutex_unlock(&s->lock);
		return TZI_OK;
	}
	{
		struct tee_failure f = { .call = e.call, .result = e.result, .origin = e.origin,
					 .quota_bytes = s->quota_bytes,
					 .worker_slots = s->worker_slots };

		status = tee_failure_explain(&f, why, sizeof(why));
	}
	if (!e.worker)
		return fail(s, status, "cannot open a team of %u threads (TEAM_OPEN on the model "
			    "session): %s", s->threads, why);
	return fail(s, status, "cannot start a team of %u threads: worker session %u of %u could "
		    "not be %s: %s", s->threads, e.worker, s->threads - 1,
		    e.call == TEE_CALL_OPEN_SESSION ? "opened" : "joined to the model session's team",
		    why);
}

tzi_status tzi_run(tzi_session *s, const struct tzi_input *in, size_t n_in,
		   struct tzi_output *out, size_t n_out)
{
	TEEC_Operation op;
	TEEC_Result res = TEEC_SUCCESS;
	struct team_error e = { TEE_CALL_RUN, TEEC_SUCCESS, 0, 0 };
	uint32_t origin = 0;
	char reason[TZI_REASON_BYTES] = "";
	int *idx = NULL;
	double start = now_ms();
	tzi_status status = usable(s);

	if (status != TZI_OK)
		return status;
	if (!s->io_allocated)
		return fail(s, TZI_E_STATE, "no model is loaded: load one (tzi_load_file) before running it");
	if ((!in && n_in) || (!out && n_out))
		return fail(s, TZI_E_ARGUMENT, "inputs or outputs are NULL but their count is not 0");
	if (n_out > s->n_outputs)
		return fail(s, TZI_E_OUTPUT, "%zu outputs asked for, the model has %u", n_out,
			    s->n_outputs);
	idx = malloc((n_out ? n_out : 1) * sizeof(*idx));
	if (!idx)
		return fail(s, TZI_E_NO_MEMORY, "out of memory");
	if ((status = put_inputs(s, in, n_in)) != TZI_OK ||
	    (status = find_outputs(s, out, n_out, idx)) != TZI_OK)
		goto done;
	if (s->threads > 1) {
		if ((status = ensure_team(s)) != TZI_OK)
			goto done;
		res = team_run(s->team, &s->in, &s->out, s->run_limit_ms, &op, reason, sizeof(reason), &e);
		origin = e.origin;
	} else {
		res = run_alone(s, &op, reason, sizeof(reason), &origin);
	}
	if (res != TEEC_SUCCESS) {
		/* RUN's [2] and RUN_COLLECT's [1] both carry the time and the engine status. */
		struct tee_failure f = { .call = e.call, .result = res, .origin = origin,
					 .engine_status = s->threads > 1 ? op.params[1].value.b
									 : op.params[2].value.b,
					 .engine_reason = reason };

		reason[sizeof(reason) - 1] = '\0';
		status = fail_tee(s, &f);
		s->stats.cancelled_runs += status == TZI_E_CANCELLED || status == TZI_E_TIMEOUT;
		goto done;
	}
	if ((status = take_outputs(s, out, n_out, idx)) != TZI_OK)
		goto done;
	s->stats.last_run_us = s->threads > 1 ? op.params[1].value.a : op.params[2].value.a;
	s->stats.last_round_trip_ms = now_ms() - start;
	s->stats.runs++;
done:
	free(idx);
	return status;
}

tzi_status tzi_set_threads(tzi_session *s, uint32_t threads)
{
	tzi_status status = usable(s);

	if (status != TZI_OK)
		return status;
	if (!threads || threads > s->worker_slots)
		return fail(s, TZI_E_ARGUMENT, "%u threads asked for, but the TA runs at most %u entries "
			    "at once (its worker slots; threads from 1 to %u): a board's TA gets more with "
			    "ta_worker_slots in board/<board>/memory.yaml (and an OP-TEE with concurrent "
			    "entries)", threads, s->worker_slots, s->worker_slots);
	if (threads != s->threads)
		close_team(s);
	s->threads = threads;
	return TZI_OK;
}

tzi_status tzi_set_time_limit(tzi_session *s, double seconds)
{
	tzi_status status = usable(s);

	if (status != TZI_OK)
		return status;
	/* Written so that NaN fails the check too. */
	if (!(seconds >= 0 && seconds <= UINT32_MAX / 1e3))
		return fail(s, TZI_E_ARGUMENT, "time limit %g s: give 0 (none) up to %u s",
			    seconds, UINT32_MAX / 1000u);
	/* Rounded up, so that a limit is never shorter than asked for, nor a tiny one 0 (none). */
	s->run_limit_ms = (uint32_t)(seconds * 1e3);
	s->run_limit_ms += s->run_limit_ms < seconds * 1e3;
	return TZI_OK;
}

uint32_t tzi_worker_slots(const tzi_session *s)
{
	return s ? s->worker_slots : 0;
}

uint32_t tzi_last_run_us(const tzi_session *s)
{
	return s ? s->stats.last_run_us : 0;
}

tzi_status tzi_cancel(tzi_session *s)
{
	bool running = false;

	if (!s)
		return TZI_E_ARGUMENT;
	/* Not usable(): the error belongs to the thread that runs. */
	pthread_mutex_lock(&s->lock);
	running = s->in_flight != NULL || team_cancel(s->team);
	if (s->in_flight) {
		TEEC_RequestCancellation(s->in_flight);
		s->cancel_sent = true;
	}
	pthread_mutex_unlock(&s->lock);
	return running ? TZI_OK : TZI_E_STATE;
}

tzi_status tzi_get_stats(tzi_session *s, struct tzi_stats *stats)
{
	TEEC_Operation op;
	TEEC_Result res = TEEC_SUCCESS;
	uint32_t origin = 0;
	tzi_status status = usable(s);

	if (status != TZI_OK)
		return status;
	if (!stats)
		return fail(s, TZI_E_ARGUMENT, "no tzi_stats to fill (NULL)");
	ta_op_stats(&op);
	res = invoke(s, TZI_CMD_STATS, &op, &origin);
	if (res != TEEC_SUCCESS)
		return fail_call(s, TEE_CALL_STATS, res, origin);
	s->stats.secure_in_use_bytes = op.params[2].value.a;
	s->stats.secure_peak_bytes = op.params[2].value.b;
	s->stats.secure_limit_bytes = op.params[3].value.a;
	*stats = s->stats;
	return TZI_OK;
}

/* A command with no model behind it (keys, attestation). */
static tzi_status plain_call(tzi_session *s, enum tee_call call, uint32_t cmd, TEEC_Operation *op,
			     uint32_t key_id)
{
	TEEC_Result res = TEEC_SUCCESS;
	uint32_t origin = 0;

	res = invoke(s, cmd, op, &origin);
	if (res != TEEC_SUCCESS) {
		struct tee_failure f = { .call = call, .result = res, .origin = origin,
					 .key_id = key_id, .login_group = s->login_group,
					 .login_gid = s->login_gid };

		return fail_tee(s, &f);
	}
	return TZI_OK;
}

tzi_status tzi_provision_key(tzi_session *s, uint32_t key_id, const void *key, size_t len,
			     uint32_t flags)
{
	TEEC_Operation op;
	tzi_status status = usable(s);

	if (status != TZI_OK)
		return status;
	if (!key || len != TZI_MODEL_KEY_BYTES || !key_id || (flags & ~TZI_PROVISION_REPLACE))
		return fail(s, TZI_E_ARGUMENT, "a model key is %u bytes under a key id from 1, and "
			    "the only flag is TZI_PROVISION_REPLACE: create a key with `tzinfer keys "
			    "generate`", TZI_MODEL_KEY_BYTES);
	ta_op_provision_key(&op, key_id, key, len,
			    flags & TZI_PROVISION_REPLACE ? TZI_KEY_REPLACE : 0);
	return plain_call(s, TEE_CALL_PROVISION_KEY, TZI_CMD_PROVISION_KEY, &op, key_id);
}

tzi_status tzi_delete_key(tzi_session *s, uint32_t key_id)
{
	TEEC_Operation op;
	tzi_status status = usable(s);

	if (status != TZI_OK)
		return status;
	ta_op_delete_key(&op, key_id);
	return plain_call(s, TEE_CALL_DELETE_KEY, TZI_CMD_DELETE_KEY, &op, key_id);
}

tzi_status tzi_lock_keys(tzi_session *s)
{
	TEEC_Operation op;
	tzi_status status = usable(s);

	if (status != TZI_OK)
		return status;
	ta_op_none(&op);
	return plain_call(s, TEE_CALL_LOCK_KEYS, TZI_CMD_LOCK_KEYS, &op, 0);
}

tzi_status tzi_device_key(tzi_session *s, uint8_t key[TZI_DEVICE_KEY_LEN])
{
	TEEC_Operation op;
	tzi_status status = usable(s);

	if (status != TZI_OK)
		return status;
	if (!key)
		return fail(s, TZI_E_ARGUMENT, "no buffer for the device key (NULL)");
	ta_op_device_key(&op, key);
	return plain_call(s, TEE_CALL_DEVICE_KEY, TZI_CMD_DEVICE_KEY, &op, 0);
}

tzi_status tzi_set_attest(tzi_session *s, int attest)
{
	tzi_status status = usable(s);

	if (status != TZI_OK)
		return status;
	s->load_flags = attest ? TZI_LOAD_ATTEST : 0;
	return TZI_OK;
}

tzi_status tzi_attest(tzi_session *s, const uint8_t nonce[TZI_NONCE_LEN],
		      uint8_t report[TZI_ATTEST_REPORT_LEN])
{
	TEEC_Operation op;
	tzi_status status = usable(s);

	if (status != TZI_OK)
		return status;
	if (!nonce || !report)
		return fail(s, TZI_E_ARGUMENT, "no nonce or no report buffer (NULL)");
	ta_op_attest(&op, nonce, report);
	return plain_call(s, TEE_CALL_ATTEST, TZI_CMD_ATTEST, &op, 0);
}
