#include "secure_buffer.h"

#include <string.h>
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

#ifdef TZI_TEST_HOOKS
#include "wipe_audit.h"
#endif

/*
 * How much stack secure_wipe_stack() clears. The deepest engine call chain, measured with
 * -fstack-usage for aarch64 at -O3, is about 4.5 KiB (stl_conv_taps alone keeps a 2.6 KiB output
 * tile there); twice that, rounded up, with room for the TA's own frames above the engine.
 */
#define STACK_WIPE_BYTES (10u * 1024u)

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

void secure_free(void *p, size_t len)
{
	if (!p)
		return;
	secure_wipe(p, len);
#ifdef TZI_TEST_HOOKS
	wipe_audit_hold(p, len); /* WIPE_AUDIT checks the wipe, then frees it */
#else
	TEE_Free(p);
#endif
}

void __attribute__((noinline)) secure_wipe_stack(void)
{
	uint8_t below[STACK_WIPE_BYTES];

	secure_wipe(below, sizeof(below));
}

bool secure_buffer_alloc(struct secure_buffer *b, size_t len)
{
	/* The contents are overwritten before use, so skip TEE_Malloc's zero fill. */
	b->ptr = len ? TEE_Malloc(len, TEE_USER_MEM_HINT_NO_FILL_ZERO) : NULL;
#ifdef TZI_TEST_HOOKS
	/* Regions held for the audit are free memory in the product: make them so here too. */
	if (len && !b->ptr && wipe_audit_drain())
		b->ptr = TEE_Malloc(len, TEE_USER_MEM_HINT_NO_FILL_ZERO);
#endif
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
	secure_free(b->ptr, b->len);
	bytes_in_use -= b->len;
	b->ptr = NULL;
	b->len = 0;
}
