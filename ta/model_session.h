/*
 * The state one client session holds: an upload under way, or one verified model with its
 * arena, plus the figures STATS reports. Everything here lives in the TA heap, is charged to the
 * session's own account (quota) and is wiped when released (UNLOAD, a failed load, session
 * close).
 */
#ifndef TZI_MODEL_SESSION_H
#define TZI_MODEL_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stinylib.h>
#include <tee_internal_api.h>

#include "attest.h"
#include "model_crypto.h"
#include "model_team.h"
#include "model_upload.h"
#include "secure_buffer.h"

struct model_session {
	struct secure_account account; /* what this session holds, and its quota */
	struct model_upload upload;
	struct secure_buffer file;   /* the upload; the engine reads weights in place from it */
	size_t tzm_offset;           /* where the .tzm starts in file: after a sealed header, or 0 */
	struct sealed_info sealed;   /* of a sealed package; all 0 for a plaintext model */
	struct secure_buffer arena;  /* activations, sized by the model's memory plan */
	struct secure_buffer io;     /* a RUN's stl_input and stl_output arrays, one per model I/O */
	struct stl_model model;      /* valid while arena.ptr != NULL */
	struct attestation attest;
	uint32_t in_block_bytes;     /* RUN's I/O blocks in the standard layout (tzinfer_ta.h) */
	uint32_t out_block_bytes;
	uint32_t last_run_us;
	struct team_owner team;      /* the team that runs this session's model on several cores */
	struct team_member member;   /* this session as another session's worker */
	TEE_Time prepared;           /* RUN_PREPARE's end, for RUN_COLLECT's time */
};

/* Why a load or run was refused, for the client's message (tzinfer_ta.h, LOAD_END and RUN). */
struct refusal {
	enum stl_status status; /* the engine's verdict, or the sealed header's */
	const char *reason;     /* static string, NULL when there is none */
	int32_t op, tensor;     /* -1 when none */
	uint32_t min_version, model_version; /* TEE_ERROR_SECURITY: the rollback refused */
};

/* A fresh session with the build's quota (TZI_SESSION_QUOTA). */
void model_session_init(struct model_session *s);

/* LOAD_BEGIN: BAD_STATE while a model is loaded or an upload is under way; attest: hash what
 * is loaded and run (TZI_LOAD_ATTEST). */
TEE_Result model_session_load_begin(struct model_session *s, size_t total, bool attest);

/* LOAD_CHUNK: a rejected chunk (BAD_PARAMETERS) also wipes the upload so far. */
TEE_Result model_session_load_chunk(struct model_session *s, size_t offset,
				    const void *data, size_t len);

/* Unseal the complete upload if it is a sealed package (model_crypto.h; the rollback check and
 * the sealed-only policy, tzinfer_ta.h), verify it with stl_load and allocate the arena, zeroed.
 * On any failure nothing of the load remains and *why says what the client should hear. */
TEE_Result model_session_load_end(struct model_session *s, struct refusal *why);

bool model_session_loaded(const struct model_session *s);
/* A model loaded or an upload under way. */
bool model_session_busy(const struct model_session *s);
uint32_t model_session_weights_bytes(const struct model_session *s);

/* One inference from the input block in[0..in_len) into the output block at out (I/O blocks:
 * tzinfer_ta.h). BAD_PARAMETERS when the input block breaks its rules or out is misaligned;
 * *out_len must be at least out_block_bytes (SHORT_BUFFER otherwise) and is set to it.
 * TEE_ERROR_CANCEL when the client cancelled it between two ops, TEE_ERROR_TIMEOUT when it ran
 * past limit_ms (0: no limit). */
TEE_Result model_session_run(struct model_session *s, const uint8_t *in, size_t in_len,
			     uint8_t *out, size_t *out_len, uint32_t limit_ms, struct refusal *why);

/* RUN_PREPARE: check the input block (as RUN) and take the inputs into the arena (through the
 * secure copies of an attested model), then arm the team's run, to end within limit_ms (0: no
 * limit): its id and participants out. BAD_STATE without an open team. */
TEE_Result model_session_run_prepare(struct model_session *s, const uint8_t *in, size_t in_len,
				     uint32_t limit_ms, uint32_t *run_id, uint32_t *participants,
				     struct refusal *why);

/* RUN_COLLECT: the armed run's outputs into the output block at out (as RUN), and disarm it.
 * CANCEL for a cancelled run, TIMEOUT for one past its limit, BUSY for a stalled one (why names
 * the op), BAD_STATE when none is armed or nobody completed it; nothing is written then. */
TEE_Result model_session_run_collect(struct model_session *s, uint8_t *out, size_t *out_len,
				     struct refusal *why);

/* DESCRIBE: the inputs and outputs into desc[0..*len) (tzinfer_ta.h); SHORT_BUFFER, with *len
 * set to the bytes needed, when they do not fit. */
TEE_Result model_session_describe(const struct model_session *s, uint8_t *desc, size_t *len);

/* Wipe and free the model, its arena, any partial upload and the attestation state; close its
 * team (model_team.h). */
void model_session_unload(struct model_session *s);

#endif
