/*
 * The state one client session holds: an upload under way, or one verified model with its
 * arena, plus the figures STATS reports. Everything here lives in the TA heap and is wiped
 * when released (UNLOAD, a failed load, session close).
 */
#ifndef TZI_MODEL_SESSION_H
#define TZI_MODEL_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stinylib.h>
#include <tee_internal_api.h>

#include "model_upload.h"
#include "secure_buffer.h"

struct model_session {
	struct model_upload upload;
	struct secure_buffer file;   /* the verified .tzm; the engine reads weights in place */
	struct secure_buffer arena;  /* activations, sized by the model's memory plan */
	struct secure_buffer io;     /* a RUN's stl_input and stl_output arrays, one per model I/O */
	struct stl_model model;      /* valid while file.ptr != NULL */
	uint32_t in_block_bytes;     /* RUN's I/O blocks in the standard layout (tzinfer_ta.h) */
	uint32_t out_block_bytes;
	uint32_t last_run_us;
};

/* What the engine said about the last failed load or run. */
struct engine_report {
	enum stl_status status;
	const char *reason;  /* static string, NULL when status is STL_OK */
	int32_t op, tensor;  /* -1 when none */
};

/* LOAD_BEGIN: BAD_STATE while a model is loaded or an upload is under way. */
TEE_Result model_session_load_begin(struct model_session *s, size_t total);

/* LOAD_CHUNK: a rejected chunk (BAD_PARAMETERS) also wipes the upload so far. */
TEE_Result model_session_load_chunk(struct model_session *s, size_t offset,
				    const void *data, size_t len);

/* Decrypt the complete upload if it is a sealed package (model_crypto.h: ITEM_NOT_FOUND for an
 * unknown key id, MAC_INVALID for a wrong key or a changed package), verify it with stl_load
 * and allocate the arena. On any failure nothing of the load remains; TEE_ERROR_BAD_FORMAT
 * comes with the engine's report. */
TEE_Result model_session_load_end(struct model_session *s, struct engine_report *report);

bool model_session_loaded(const struct model_session *s);
uint32_t model_session_weights_bytes(const struct model_session *s);

/* One inference from the input block in[0..in_len) into the output block at out (I/O blocks:
 * tzinfer_ta.h). BAD_PARAMETERS when the input block breaks its rules or out is misaligned;
 * *out_len must be at least out_block_bytes (SHORT_BUFFER otherwise) and is set to it. */
TEE_Result model_session_run(struct model_session *s, const uint8_t *in, size_t in_len,
			     uint8_t *out, size_t *out_len, struct engine_report *report);

/* DESCRIBE: the inputs and outputs into desc[0..*len) (tzinfer_ta.h); SHORT_BUFFER, with *len
 * set to the bytes needed, when they do not fit. */
TEE_Result model_session_describe(const struct model_session *s, uint8_t *desc, size_t *len);

/* Wipe and free the model, its arena and any partial upload. */
void model_session_unload(struct model_session *s);

#endif
