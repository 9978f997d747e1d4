/*
 * The TEEC operations of the S-Tinylib TA's commands (ta/include/tzinfer_ta.h), built in one
 * place: libtzinfer sends them, and tzinfer-hostile sends them (well-formed) around the malformed
 * requests it makes by hand. ta_upload() is the one copy of the chunked model upload.
 */
#ifndef TZI_TA_OPS_H
#define TZI_TA_OPS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <tee_client_api.h>

#include "tzinfer_ta.h"

/* LOAD_BEGIN of a file of len bytes. */
static inline void ta_op_load_begin(TEEC_Operation *op, uint32_t len, uint32_t flags)
{
	memset(op, 0, sizeof(*op));
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op->params[0].value.a = len;
	op->params[0].value.b = flags;
}

/* LOAD_CHUNK of data[0..len) at file offset `offset`, as a temporary reference. */
static inline void ta_op_load_chunk(TEEC_Operation *op, const void *data, size_t len, uint32_t offset)
{
	memset(op, 0, sizeof(*op));
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_VALUE_INPUT, TEEC_NONE,
					  TEEC_NONE);
	op->params[0].tmpref.buffer = (void *)data;
	op->params[0].tmpref.size = len;
	op->params[1].value.a = offset;
}

/* LOAD_END; reason (may be NULL) receives the engine's reason text. Results: [0] block sizes,
 * [1] arena and weights bytes, [2] engine status and location. */
static inline void ta_op_load_end(TEEC_Operation *op, char *reason, size_t reason_len)
{
	memset(op, 0, sizeof(*op));
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT,
					  reason ? TEEC_MEMREF_TEMP_OUTPUT : TEEC_NONE);
	op->params[3].tmpref.buffer = reason;
	op->params[3].tmpref.size = reason_len;
}

/* RUN with the input and output blocks as temporary references, without time limit; reason may
 * be NULL. */
static inline void ta_op_run(TEEC_Operation *op, const void *in, size_t in_len, void *out,
			     size_t out_len, char *reason, size_t reason_len)
{
	memset(op, 0, sizeof(*op));
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
					  TEEC_VALUE_INOUT,
					  reason ? TEEC_MEMREF_TEMP_OUTPUT : TEEC_NONE);
	op->params[0].tmpref.buffer = (void *)in;
	op->params[0].tmpref.size = in_len;
	op->params[1].tmpref.buffer = out;
	op->params[1].tmpref.size = out_len;
	op->params[3].tmpref.buffer = reason;
	op->params[3].tmpref.size = reason_len;
}

/* RUN with the blocks in registered shared memory (whole), the way libtzinfer sends them, to end
 * within limit_ms (0: no limit). */
static inline void ta_op_run_shm(TEEC_Operation *op, TEEC_SharedMemory *in, TEEC_SharedMemory *out,
				 uint32_t limit_ms, char *reason, size_t reason_len)
{
	memset(op, 0, sizeof(*op));
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_MEMREF_WHOLE, TEEC_VALUE_INOUT,
					  TEEC_MEMREF_TEMP_OUTPUT);
	op->params[0].memref.parent = in;
	op->params[1].memref.parent = out;
	op->params[2].value.a = limit_ms;
	op->params[3].tmpref.buffer = reason;
	op->params[3].tmpref.size = reason_len;
}

/* DESCRIBE into desc[0..len). */
static inline void ta_op_describe(TEEC_Operation *op, void *desc, size_t len)
{
	memset(op, 0, sizeof(*op));
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE,
					  TEEC_NONE);
	op->params[0].tmpref.buffer = desc;
	op->params[0].tmpref.size = len;
}

/* STATS: four value outputs. */
static inline void ta_op_stats(TEEC_Operation *op)
{
	memset(op, 0, sizeof(*op));
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT,
					  TEEC_VALUE_OUTPUT);
}

/* PROVISION_KEY: a temporary reference, so the key crosses shared memory once, straight into
 * the TA; flags: TZI_KEY_REPLACE or 0. */
static inline void ta_op_provision_key(TEEC_Operation *op, uint32_t key_id, const uint8_t *key,
				       size_t len, uint32_t flags)
{
	memset(op, 0, sizeof(*op));
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_INPUT, TEEC_NONE,
					  TEEC_NONE);
	op->params[0].value.a = key_id;
	op->params[0].value.b = flags;
	op->params[1].tmpref.buffer = (void *)key;
	op->params[1].tmpref.size = len;
}

/* DELETE_KEY. */
static inline void ta_op_delete_key(TEEC_Operation *op, uint32_t key_id)
{
	memset(op, 0, sizeof(*op));
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op->params[0].value.a = key_id;
}

/* LOCK_KEYS (and UNLOAD): no parameters. */
static inline void ta_op_none(TEEC_Operation *op)
{
	memset(op, 0, sizeof(*op));
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_NONE, TEEC_NONE, TEEC_NONE, TEEC_NONE);
}

/* DEVICE_KEY into key[0..TZI_DEVICE_KEY_BYTES). */
static inline void ta_op_device_key(TEEC_Operation *op, uint8_t *key)
{
	memset(op, 0, sizeof(*op));
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op->params[0].tmpref.buffer = key;
	op->params[0].tmpref.size = TZI_DEVICE_KEY_BYTES;
}

/* ATTEST of the last RUN with nonce[0..TZI_NONCE_BYTES), into report[0..TZI_ATTEST_REPORT_BYTES). */
static inline void ta_op_attest(TEEC_Operation *op, const uint8_t *nonce, uint8_t *report)
{
	memset(op, 0, sizeof(*op));
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE,
					  TEEC_NONE);
	op->params[0].tmpref.buffer = (void *)nonce;
	op->params[0].tmpref.size = TZI_NONCE_BYTES;
	op->params[1].tmpref.buffer = report;
	op->params[1].tmpref.size = TZI_ATTEST_REPORT_BYTES;
}

/* TEAM_OPEN: the token comes back in [0] and [1] (ta_op_token). */
static inline void ta_op_team_open(TEEC_Operation *op)
{
	memset(op, 0, sizeof(*op));
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE);
}

/* TEAM_OPEN's token out of its operation, as TEAM_JOIN takes it: four 32-bit words. */
static inline void ta_op_token(const TEEC_Operation *op, uint32_t token[4])
{
	token[0] = op->params[0].value.a;
	token[1] = op->params[0].value.b;
	token[2] = op->params[1].value.a;
	token[3] = op->params[1].value.b;
}

/* TEAM_JOIN with TEAM_OPEN's token. */
static inline void ta_op_team_join(TEEC_Operation *op, const uint32_t token[4])
{
	memset(op, 0, sizeof(*op));
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE);
	op->params[0].value.a = token[0];
	op->params[0].value.b = token[1];
	op->params[1].value.a = token[2];
	op->params[1].value.b = token[3];
}

/* RUN_COLLECT into the output block in registered shared memory: [0] the block, [1] time and
 * engine status out, [3] the reason. */
static inline void ta_op_run_collect(TEEC_Operation *op, TEEC_SharedMemory *block, char *reason,
				     size_t reason_len)
{
	memset(op, 0, sizeof(*op));
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_VALUE_OUTPUT, TEEC_NONE,
					  TEEC_MEMREF_TEMP_OUTPUT);
	op->params[0].memref.parent = block;
	op->params[3].tmpref.buffer = reason;
	op->params[3].tmpref.size = reason_len;
}

/* RUN_PREPARE of the input block: RUN_COLLECT's parameters ([1] the run id out), and the time
 * limit in [2]. */
static inline void ta_op_run_prepare(TEEC_Operation *op, TEEC_SharedMemory *block, uint32_t limit_ms,
				     char *reason, size_t reason_len)
{
	ta_op_run_collect(op, block, reason, reason_len);
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_VALUE_OUTPUT, TEEC_VALUE_INPUT,
					  TEEC_MEMREF_TEMP_OUTPUT);
	op->params[2].value.a = limit_ms;
}

/* RUN_WORK of run run_id: value parameters only (a worker entry). */
static inline void ta_op_run_work(TEEC_Operation *op, uint32_t run_id)
{
	memset(op, 0, sizeof(*op));
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op->params[0].value.a = run_id;
}

/* How ta_upload() sends one command: ctx is the caller's (a session, or a hostile link that
 * reopens a session after the TA died). *origin gets the result's TEEC_ORIGIN_*. */
typedef TEEC_Result (*ta_invoke_fn)(void *ctx, uint32_t cmd, TEEC_Operation *op, uint32_t *origin);

/*
 * LOAD_BEGIN(len, flags) and the LOAD_CHUNKs of file[0..len), at most chunk bytes each: copied
 * through `window` (registered shared memory of at least chunk bytes), or sent as temporary
 * references when window is NULL. LOAD_END is the caller's. On failure *failed_cmd is the
 * command that failed (TZI_CMD_LOAD_BEGIN or TZI_CMD_LOAD_CHUNK).
 */
TEEC_Result ta_upload(ta_invoke_fn invoke, void *ctx, TEEC_SharedMemory *window, size_t chunk,
		      const uint8_t *file, size_t len, uint32_t flags, uint32_t *failed_cmd,
		      uint32_t *origin);

#endif
