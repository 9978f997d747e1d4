/*
 * Chunked upload of a .tzm file into secure memory (LOAD_BEGIN / LOAD_CHUNK of tzinfer_ta.h).
 *
 * The normal world sends the file in order, in chunks no larger than TZI_MAX_CHUNK_BYTES;
 * this module only assembles the bytes. Verification is the engine's job once the upload is
 * complete.
 */
#ifndef TZI_MODEL_UPLOAD_H
#define TZI_MODEL_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tee_internal_api.h>

#include "secure_buffer.h"

struct model_upload {
	struct secure_buffer file; /* empty when no upload is under way */
	size_t received;
};

/* Start an upload of total bytes charged to account. BAD_STATE if one is under way; EXCESS_DATA
 * or OUT_OF_MEMORY (secure_buffer_alloc) if it does not fit. */
TEE_Result model_upload_begin(struct model_upload *u, size_t total, struct secure_account *account);

/* Append len bytes that belong at offset. BAD_STATE without an upload, BAD_PARAMETERS when
 * the chunk is empty, too big, out of order or past the announced size. */
TEE_Result model_upload_chunk(struct model_upload *u, size_t offset, const void *data, size_t len);

/* True once every announced byte has arrived. */
bool model_upload_complete(const struct model_upload *u);

/* Hand the assembled file over to the caller (who then owns and releases it); u is reset. */
struct secure_buffer model_upload_take(struct model_upload *u);

/* Wipe and free a partial or complete upload. */
void model_upload_abort(struct model_upload *u);

#endif
