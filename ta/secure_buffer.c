#include "secure_buffer.h"

#include <string.h>
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

/*
 * memset through a volatile function pointer: the compiler cannot prove what is called, so it
 * cannot drop the wipe of memory that is about to be freed (a plain memset before free is a
 * dead store it may legally remove).
 */
static void *(*volatile const wipe_memset)(void *, int, size_t) = memset;

/* One TA instance serves all sessions (TA_FLAG_SINGLE_INSTANCE), one call at a time. */
static size_t bytes_in_use;
static size_t bytes_peak;

void secure_buffer_usage(size_t *in_use, size_t *peak)
{
	*in_use = bytes_in_use;
	*peak = bytes_peak;
}

void secure_wipe(void *p, size_t len)
{
	if (p && len)
		wipe_memset(p, 0, len);
}

bool secure_buffer_alloc(struct secure_buffer *b, size_t len)
{
	/* The contents are overwritten before use, so skip TEE_Malloc's zero fill. */
	b->ptr = len ? TEE_Malloc(len, TEE_USER_MEM_HINT_NO_FILL_ZERO) : NULL;
	b->len = b->ptr ? len : 0;
	bytes_in_use += b->len;
	if (bytes_in_use > bytes_peak)
		bytes_peak = bytes_in_use;
	return b->ptr != NULL;
}

void secure_buffer_release(struct secure_buffer *b)
{
	if (!b->ptr)
		return;
	secure_wipe(b->ptr, b->len);
	TEE_Free(b->ptr);
	bytes_in_use -= b->len;
	b->ptr = NULL;
	b->len = 0;
}
