/*
 * GP TEE Internal Core API entry points of the S-Tinylib TA: session set-up and tear-down,
 * and the command dispatcher. Every command checks its parameter types first; the command
 * semantics and parameter layouts are documented in include/tzinfer_ta.h.
 */
#include <string.h>
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

#include "attest.h"
#include "key_admin.h"
#include "key_store.h"
#include "model_session.h"
#include "model_team.h"
#include "tzinfer_ta.h"
#include "user_ta_header_defines.h"
#ifdef TZI_TEST_HOOKS
#include "test_rendezvous.h"
#include "tzinfer_ta_test.h"
#include "wipe_audit.h"
#endif

#define ANY_REASON_PARAM 0xffffffffu /* sentinel for param_types_ok: NONE or MEMREF_OUTPUT */

TEE_Result TA_CreateEntryPoint(void)
{
	return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void)
{
}

TEE_Result TA_OpenSessionEntryPoint(uint32_t param_types, TEE_Param params[4], void **sess_ctx)
{
	struct model_session *s = NULL;

	(void)params;
	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE,
					   TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	s = TEE_Malloc(sizeof(*s), TEE_MALLOC_FILL_ZERO);
	if (!s)
		return TEE_ERROR_OUT_OF_MEMORY;
	model_session_init(s);
	*sess_ctx = s;
	return TEE_SUCCESS;
}

void TA_CloseSessionEntryPoint(void *sess_ctx)
{
	struct model_session *s = sess_ctx;

	team_leave(s);
	model_session_unload(s);
	secure_free(s, sizeof(*s));
}

/* Param 3 of LOAD_END and RUN may be NONE or a MEMREF_OUTPUT for the reason text. */
static bool param_types_ok(uint32_t types, uint32_t p0, uint32_t p1, uint32_t p2, uint32_t p3)
{
	uint32_t t3 = TEE_PARAM_TYPE_GET(types, 3);

	if (p3 == ANY_REASON_PARAM) {
		if (t3 != TEE_PARAM_TYPE_NONE && t3 != TEE_PARAM_TYPE_MEMREF_OUTPUT)
			return false;
		p3 = t3;
	}
	return types == TEE_PARAM_TYPES(p0, p1, p2, p3);
}

/* The op and tensor an engine failure involves, packed as tzinfer_ta.h describes. */
static uint32_t engine_location(const struct refusal *r)
{
	uint32_t op = r->op < 0 ? 0xffffu : (uint32_t)r->op & 0xffffu;
	uint32_t tensor = r->tensor < 0 ? 0xffffu : (uint32_t)r->tensor & 0xffffu;

	return op << 16 | tensor;
}

/* The reason text into param 3 when the client gave a buffer (truncated to fit). */
static void put_reason(const struct refusal *r, uint32_t types, TEE_Param *reason)
{
	size_t n = 0;

	if (TEE_PARAM_TYPE_GET(types, 3) != TEE_PARAM_TYPE_MEMREF_OUTPUT)
		return;
	if (!r->reason || !reason->memref.size) {
		reason->memref.size = 0;
		return;
	}
	n = strlen(r->reason);
	if (n > reason->memref.size - 1)
		n = reason->memref.size - 1;
	memcpy(reason->memref.buffer, r->reason, n);
	((char *)reason->memref.buffer)[n] = '\0';
	reason->memref.size = n + 1;
}

static TEE_Result cmd_load_begin(struct model_session *s, uint32_t types, TEE_Param p[4])
{
	if (!param_types_ok(types, TEE_PARAM_TYPE_VALUE_INPUT, TEE_PARAM_TYPE_NONE,
			    TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE) ||
	    (p[0].value.b & ~TZI_LOAD_ATTEST))
		return TEE_ERROR_BAD_PARAMETERS;
	return model_session_load_begin(s, p[0].value.a, p[0].value.b & TZI_LOAD_ATTEST);
}

static TEE_Result cmd_load_chunk(struct model_session *s, uint32_t types, TEE_Param p[4])
{
	if (!param_types_ok(types, TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_VALUE_INPUT,
			    TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE) || p[1].value.b)
		return TEE_ERROR_BAD_PARAMETERS;
	return model_session_load_chunk(s, p[1].value.a, p[0].memref.buffer, p[0].memref.size);
}

static TEE_Result cmd_load_end(struct model_session *s, uint32_t types, TEE_Param p[4])
{
	struct refusal why = { STL_OK, NULL, -1, -1, 0, 0 };
	TEE_Result res = TEE_SUCCESS;

	if (!param_types_ok(types, TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_VALUE_OUTPUT,
			    TEE_PARAM_TYPE_VALUE_OUTPUT, ANY_REASON_PARAM))
		return TEE_ERROR_BAD_PARAMETERS;
	res = model_session_load_end(s, &why);
	p[2].value.a = (uint32_t)why.status;
	p[2].value.b = engine_location(&why);
	put_reason(&why, types, &p[3]);
	if (res == TEE_ERROR_SECURITY) {
		p[1].value.a = why.min_version;
		p[1].value.b = why.model_version;
	}
	if (res != TEE_SUCCESS)
		return res;
	p[0].value.a = s->in_block_bytes;
	p[0].value.b = s->out_block_bytes;
	p[1].value.a = stl_arena_bytes(&s->model);
	p[1].value.b = model_session_weights_bytes(s);
	return TEE_SUCCESS;
}

static TEE_Result cmd_run(struct model_session *s, uint32_t types, TEE_Param p[4])
{
	struct refusal why = { STL_OK, NULL, -1, -1, 0, 0 };
	TEE_Result res = TEE_SUCCESS;
	size_t out_len = 0;

	if (!param_types_ok(types, TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT,
			    TEE_PARAM_TYPE_VALUE_INOUT, ANY_REASON_PARAM) || p[2].value.b)
		return TEE_ERROR_BAD_PARAMETERS;
	out_len = p[1].memref.size;
	res = model_session_run(s, p[0].memref.buffer, p[0].memref.size,
				p[1].memref.buffer, &out_len, p[2].value.a, &why);
	p[1].memref.size = out_len;
	put_reason(&why, types, &p[3]);
	p[2].value.a = s->last_run_us;
	p[2].value.b = (uint32_t)why.status;
	return res;
}

static TEE_Result cmd_describe(struct model_session *s, uint32_t types, TEE_Param p[4])
{
	size_t len = 0;
	TEE_Result res = TEE_SUCCESS;

	if (!param_types_ok(types, TEE_PARAM_TYPE_MEMREF_OUTPUT, TEE_PARAM_TYPE_VALUE_OUTPUT,
			    TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	len = p[0].memref.size;
	res = model_session_describe(s, p[0].memref.buffer, &len);
	p[0].memref.size = len;
	p[1].value.a = s->in_block_bytes;
	p[1].value.b = s->out_block_bytes;
	return res;
}

static TEE_Result cmd_stats(struct model_session *s, uint32_t types, TEE_Param p[4])
{
	bool loaded = model_session_loaded(s);

	if (!param_types_ok(types, TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_VALUE_OUTPUT,
			    TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_VALUE_OUTPUT))
		return TEE_ERROR_BAD_PARAMETERS;
	/* This session's figures only: the heap is shared, what others hold is theirs. */
	p[0].value.a = loaded ? stl_arena_bytes(&s->model) : 0;
	p[0].value.b = model_session_weights_bytes(s);
	p[1].value.a = loaded ? (uint32_t)s->file.len : 0;
	p[1].value.b = s->last_run_us;
	p[2].value.a = (uint32_t)s->account.in_use;
	p[2].value.b = (uint32_t)s->account.peak;
	p[3].value.a = (uint32_t)s->account.quota;
	p[3].value.b = TZI_STATS_VERSION_SLOTS(TZI_TA_API_VERSION, TZI_TA_WORKER_SLOTS);
	return TEE_SUCCESS;
}

/* A token in two VALUE parameters, bytes 0-7 in p[0] and 8-15 in p[1], a then b, little-endian. */
static void token_to_values(const uint8_t *token, TEE_Param p[2])
{
	uint32_t w[4];

	memcpy(w, token, sizeof(w));
	p[0].value.a = w[0];
	p[0].value.b = w[1];
	p[1].value.a = w[2];
	p[1].value.b = w[3];
}

static void token_from_values(const TEE_Param p[2], uint8_t *token)
{
	uint32_t w[4] = { p[0].value.a, p[0].value.b, p[1].value.a, p[1].value.b };

	memcpy(token, w, sizeof(w));
}

static TEE_Result cmd_team_open(struct model_session *s, uint32_t types, TEE_Param p[4])
{
	uint8_t token[TZI_TEAM_TOKEN_BYTES];
	TEE_Result res = TEE_SUCCESS;

	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_VALUE_OUTPUT,
				     TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	res = team_open(s, token);
	if (res == TEE_SUCCESS)
		token_to_values(token, p);
	secure_wipe(token, sizeof(token));
	return res;
}

static TEE_Result cmd_team_join(struct model_session *s, uint32_t types, TEE_Param p[4])
{
	uint8_t token[TZI_TEAM_TOKEN_BYTES];
	TEE_Result res = TEE_SUCCESS;

	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INPUT, TEE_PARAM_TYPE_VALUE_INPUT,
				     TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	token_from_values(p, token);
	res = team_join(s, token);
	secure_wipe(token, sizeof(token));
	return res;
}

static TEE_Result cmd_run_prepare(struct model_session *s, uint32_t types, TEE_Param p[4])
{
	struct refusal why = { STL_OK, NULL, -1, -1, 0, 0 };
	TEE_Result res = TEE_SUCCESS;

	if (!param_types_ok(types, TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_VALUE_OUTPUT,
			    TEE_PARAM_TYPE_VALUE_INPUT, ANY_REASON_PARAM) || p[2].value.b)
		return TEE_ERROR_BAD_PARAMETERS;
	res = model_session_run_prepare(s, p[0].memref.buffer, p[0].memref.size, p[2].value.a,
					&p[1].value.a, &p[1].value.b, &why);
	put_reason(&why, types, &p[3]);
	return res;
}

/* A worker entry: value parameters only, no allocation (model_team.h, run_team.h). */
static TEE_Result cmd_run_work(struct model_session *s, uint32_t types, TEE_Param p[4])
{
	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INPUT, TEE_PARAM_TYPE_NONE,
				     TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE) || p[0].value.b)
		return TEE_ERROR_BAD_PARAMETERS;
	return team_work(s, p[0].value.a);
}

static TEE_Result cmd_run_collect(struct model_session *s, uint32_t types, TEE_Param p[4])
{
	struct refusal why = { STL_OK, NULL, -1, -1, 0, 0 };
	TEE_Result res = TEE_SUCCESS;
	size_t out_len = 0;

	if (!param_types_ok(types, TEE_PARAM_TYPE_MEMREF_OUTPUT, TEE_PARAM_TYPE_VALUE_OUTPUT,
			    TEE_PARAM_TYPE_NONE, ANY_REASON_PARAM))
		return TEE_ERROR_BAD_PARAMETERS;
	out_len = p[0].memref.size;
	res = model_session_run_collect(s, p[0].memref.buffer, &out_len, &why);
	p[0].memref.size = out_len;
	put_reason(&why, types, &p[3]);
	p[1].value.a = s->last_run_us;
	p[1].value.b = (uint32_t)why.status;
	return res;
}

static TEE_Result cmd_unload(struct model_session *s, uint32_t types)
{
	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE,
				     TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	model_session_unload(s);
	return TEE_SUCCESS;
}

/* Key management: an administrator (key_admin.h), and not locked (key_store.h). */
static TEE_Result key_management_allowed(void)
{
	TEE_Result res = key_admin_check_client();

	return res == TEE_SUCCESS ? key_store_check_unlocked() : res;
}

static TEE_Result cmd_provision_key(uint32_t types, TEE_Param p[4])
{
	TEE_Result res = TEE_SUCCESS;

	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INPUT, TEE_PARAM_TYPE_MEMREF_INPUT,
				     TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE) ||
	    (p[0].value.b & ~TZI_KEY_REPLACE))
		return TEE_ERROR_BAD_PARAMETERS;
	res = key_management_allowed();
	if (res != TEE_SUCCESS)
		return res;
	return key_store_provision(p[0].value.a, p[1].memref.buffer, p[1].memref.size,
				   p[0].value.b & TZI_KEY_REPLACE);
}

static TEE_Result cmd_delete_key(uint32_t types, TEE_Param p[4])
{
	TEE_Result res = TEE_SUCCESS;

	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INPUT, TEE_PARAM_TYPE_NONE,
				     TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE) || p[0].value.b)
		return TEE_ERROR_BAD_PARAMETERS;
	res = key_management_allowed();
	if (res != TEE_SUCCESS)
		return res;
	return key_store_delete(p[0].value.a);
}

static TEE_Result cmd_lock_keys(uint32_t types)
{
	TEE_Result res = TEE_SUCCESS;

	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE,
				     TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	res = key_management_allowed();
	if (res != TEE_SUCCESS)
		return res;
	return key_store_lock();
}

static TEE_Result cmd_attest(struct model_session *s, uint32_t types, TEE_Param p[4])
{
	uint8_t nonce[TZI_NONCE_BYTES];
	uint8_t report[TZI_ATTEST_REPORT_BYTES];
	TEE_Result res = TEE_SUCCESS;

	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT,
				     TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE) ||
	    p[0].memref.size != TZI_NONCE_BYTES)
		return TEE_ERROR_BAD_PARAMETERS;
	if (p[1].memref.size < TZI_ATTEST_REPORT_BYTES) {
		p[1].memref.size = TZI_ATTEST_REPORT_BYTES;
		return TEE_ERROR_SHORT_BUFFER;
	}
	/* Both in TA memory first: shared memory may change under us, and the TA must sign only
	 * what it composed itself. */
	memcpy(nonce, p[0].memref.buffer, sizeof(nonce));
	res = attest_report(&s->attest, s->sealed.key_id, s->sealed.model_version, nonce, report);
	if (res != TEE_SUCCESS)
		return res;
	memcpy(p[1].memref.buffer, report, sizeof(report));
	p[1].memref.size = sizeof(report);
	return TEE_SUCCESS;
}

static TEE_Result cmd_device_key(uint32_t types, TEE_Param p[4])
{
	uint8_t key[TZI_DEVICE_KEY_BYTES];
	TEE_Result res = TEE_SUCCESS;

	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_OUTPUT, TEE_PARAM_TYPE_NONE,
				     TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	if (p[0].memref.size < sizeof(key)) {
		p[0].memref.size = sizeof(key);
		return TEE_ERROR_SHORT_BUFFER;
	}
	res = attest_device_key(key);
	if (res != TEE_SUCCESS)
		return res;
	memcpy(p[0].memref.buffer, key, sizeof(key));
	p[0].memref.size = sizeof(key);
	return TEE_SUCCESS;
}

static TEE_Result dispatch(struct model_session *s, uint32_t cmd_id, uint32_t param_types,
			   TEE_Param params[4])
{
	switch (cmd_id) {
	case TZI_CMD_LOAD_BEGIN:
		return cmd_load_begin(s, param_types, params);
	case TZI_CMD_LOAD_CHUNK:
		return cmd_load_chunk(s, param_types, params);
	case TZI_CMD_LOAD_END:
		return cmd_load_end(s, param_types, params);
	case TZI_CMD_RUN:
		return cmd_run(s, param_types, params);
	case TZI_CMD_STATS:
		return cmd_stats(s, param_types, params);
	case TZI_CMD_UNLOAD:
		return cmd_unload(s, param_types);
	case TZI_CMD_PROVISION_KEY:
		return cmd_provision_key(param_types, params);
	case TZI_CMD_DELETE_KEY:
		return cmd_delete_key(param_types, params);
	case TZI_CMD_DESCRIBE:
		return cmd_describe(s, param_types, params);
	case TZI_CMD_LOCK_KEYS:
		return cmd_lock_keys(param_types);
	case TZI_CMD_ATTEST:
		return cmd_attest(s, param_types, params);
	case TZI_CMD_DEVICE_KEY:
		return cmd_device_key(param_types, params);
	case TZI_CMD_TEAM_OPEN:
		return cmd_team_open(s, param_types, params);
	case TZI_CMD_TEAM_JOIN:
		return cmd_team_join(s, param_types, params);
	case TZI_CMD_RUN_PREPARE:
		return cmd_run_prepare(s, param_types, params);
	case TZI_CMD_RUN_WORK:
		return cmd_run_work(s, param_types, params);
	case TZI_CMD_RUN_COLLECT:
		return cmd_run_collect(s, param_types, params);
#ifdef TZI_TEST_HOOKS
	case TZI_CMD_TEST_WIPE_AUDIT:
		return wipe_audit_cmd(param_types, params);
	case TZI_CMD_TEST_RENDEZVOUS:
		return test_rendezvous_cmd(param_types, params);
	case TZI_CMD_TEST_PANIC_BESIDE:
		return test_panic_beside_cmd(param_types, params);
#endif
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
}

TEE_Result TA_InvokeCommandEntryPoint(void *sess_ctx, uint32_t cmd_id, uint32_t param_types,
				      TEE_Param params[4])
{
	TEE_Result res = dispatch(sess_ctx, cmd_id, param_types, params);

	/* Whatever the command was and however it ended, its frames leave with it. */
	secure_wipe_stack();
	return res;
}
