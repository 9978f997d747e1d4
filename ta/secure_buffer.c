#include "secure_buffer.h"

#include "user_ta_header_defines.h"

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
 * The wipe must stay inside the caller's own stack slot: with OP-TEE's concurrent-entries patch,
 * entry k runs on the k-th TZI_TA_SLOT_STACK_SIZE slice of the TA's stack (docs/multicore.md
 * §4.1), and the slice below is another entry's, live. The command's entry frames (libutee's and
 * the dispatcher's, well under 6 KiB) sit between the slot's top and the wipe.
 */
_Static_assert(STACK_WIPE_BYTES + 6u * 1024u <= TZI_TA_SLOT_STACK_SIZE,
	       "secure_wipe_stack would reach into the next entry's stack slot");

/*
 * memset through a volatile function pointer: the compiler cannot prove what is called, so it
 * cannot drop the wipe of memory that is about to be freed (a plain memset before free is a
 * dead store it may legally remove).
 */
static void *(*volatile const wipe_memset)(void *, int, size_t) = memset;

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

TEE_Result secure_buffer_alloc(struct secure_buffer *b, size_t len, struct secure_account *account)
{
	b->ptr = NULL;
	b->len = 0;
	b->account = NULL;
	if (!len || len > account->quota - account->in_use)
		return len ? TEE_ERROR_EXCESS_DATA : TEE_ERROR_BAD_PARAMETERS;
	/* The contents are overwritten before use, so skip TEE_Malloc's zero fill. */
	b->ptr = TEE_Malloc(len, TEE_USER_MEM_HINT_NO_FILL_ZERO);
#ifdef TZI_TEST_HOOKS
	/* Regions held for the audit are free memory in the product: make them so here too. */
	if (!b->ptr && wipe_audit_drain())
		b->ptr = TEE_Malloc(len, TEE_USER_MEM_HINT_NO_FILL_ZERO);
#endif
	if (!b->ptr)
		return TEE_ERROR_OUT_OF_MEMORY;
#ifdef TZI_TEST_HOOKS
	wipe_audit_fill_stale(b->ptr, len); /* the worst a reused heap block could hold */
#endif
	b->len = len;
	b->account = account;
	account->in_use += len;
	if (account->in_use > account->peak)
		account->peak = account->in_use;
	return TEE_SUCCESS;
}

void secure_buffer_release(struct secure_buffer *b)
{
	if (!b->ptr)
		return;
	secure_free(b->ptr, b->len);
	b->account->in_use -= b->len;
	b->ptr = NULL;
	b->len = 0;
	b->account = NULL;
}
