#include "model_upload.h"

#include <string.h>

#include "tzinfer_ta.h"

TEE_Result model_upload_begin(struct model_upload *u, size_t total, struct secure_account *account)
{
	if (u->file.ptr)
		return TEE_ERROR_BAD_STATE;
	u->received = 0;
	return secure_buffer_alloc(&u->file, total, account);
}

TEE_Result model_upload_chunk(struct model_upload *u, size_t offset, const void *data, size_t len)
{
	if (!u->file.ptr)
		return TEE_ERROR_BAD_STATE;
	if (!len || len > TZI_MAX_CHUNK_BYTES || offset != u->received ||
	    len > u->file.len - u->received)
		return TEE_ERROR_BAD_PARAMETERS;
	memcpy((uint8_t *)u->file.ptr + offset, data, len);
	u->received += len;
	return TEE_SUCCESS;
}

bool model_upload_complete(const struct model_upload *u)
{
	return u->file.ptr && u->received == u->file.len;
}

struct secure_buffer model_upload_take(struct model_upload *u)
{
	struct secure_buffer file = u->file;

	u->file.ptr = NULL;
	u->file.len = 0;
	u->file.account = NULL;
	u->received = 0;
	return file;
}

void model_upload_abort(struct model_upload *u)
{
	secure_buffer_release(&u->file);
	u->received = 0;
}
