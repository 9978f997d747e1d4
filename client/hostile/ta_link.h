/*
 * A raw libteec session with the S-Tinylib TA for the hostile-input and soak tools: unlike
 * tzinfer-run's secure runner, every call hands back the raw TEE result so that the caller
 * can compare it with the result the interface (ta/include/tzinfer_ta.h) defines.
 */
#ifndef TZI_TA_LINK_H
#define TZI_TA_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <tee_client_api.h>

struct ta_link {
	TEEC_UUID ta;
	uint32_t login;   /* TEEC_LOGIN_PUBLIC or TEEC_LOGIN_USER */
	TEEC_Context ctx;
	TEEC_Session session;
	int session_open;
	unsigned reopens; /* sessions reopened after the TA died (each one a defect) */
	uint32_t origin;  /* TEEC_ORIGIN_* of the last call's result */
};

/* What STATS reports about this session's secure memory. */
struct ta_usage {
	uint32_t in_use, peak, quota;
};

/* Open a context and a session with the TA `ta` (ta_name: its UUID string, for the
 * diagnostic), logged in with `login` (TEEC_LOGIN_PUBLIC, or TEEC_LOGIN_USER for calls that
 * need the caller's identity); 0, or -1 with a diagnostic. */
int ta_link_open(struct ta_link *l, const TEEC_UUID *ta, const char *ta_name, uint32_t login);
void ta_link_close(struct ta_link *l);

/* Invoke cmd; a dead TA (TEEC_ERROR_TARGET_DEAD) gets a fresh session for the next call. */
TEEC_Result ta_link_call(struct ta_link *l, uint32_t cmd, TEEC_Operation *op);

/* UNLOAD: back to the state of a fresh session. */
TEEC_Result ta_link_unload(struct ta_link *l);

/* LOAD_BEGIN(len, flags), chunks of at most chunk bytes from temporary memrefs, LOAD_END; on
 * success *output_block (may be NULL) is the size of RUN's output block for this model. */
TEEC_Result ta_link_load_flags(struct ta_link *l, const uint8_t *file, size_t len, size_t chunk,
			       uint32_t flags, uint32_t *output_block);

/* ta_link_load_flags without flags. */
TEEC_Result ta_link_load(struct ta_link *l, const uint8_t *file, size_t len, size_t chunk,
			 uint32_t *output_block);

/* RUN of a model with one input: in[0..in_len) sent as a one-entry input block (NULL: no block
 * at all), the output block received in out[0..out_len); temporary memrefs. */
TEEC_Result ta_link_run(struct ta_link *l, const void *in, size_t in_len, void *out, size_t out_len);

/* RUN with the input block as given. */
TEEC_Result ta_link_run_block(struct ta_link *l, const void *block, size_t len, void *out,
			      size_t out_len);

TEEC_Result ta_link_stats(struct ta_link *l, struct ta_usage *u);

#endif
