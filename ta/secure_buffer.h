/*
 * Secure heap buffers that are wiped before they are freed.
 *
 * OP-TEE zeroes TA memory when it is first mapped but not when it is released, so everything
 * the TA held (weights, activations, inputs) would stay readable in the TA RAM pool after the
 * session ends. Every buffer holding model or user data therefore goes through this module.
 */
#ifndef TZI_SECURE_BUFFER_H
#define TZI_SECURE_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <tee_internal_api.h>

/*
 * What one session holds in secure buffers, and the most it may hold. Every buffer is charged to
 * the account of the session it belongs to, so that STATS reports a session's own figures and
 * no session can take the whole heap (the TA instance, and its heap, is shared by all sessions).
 */
struct secure_account {
	size_t in_use, peak; /* now, and the most at once (a leak shows as growth) */
	size_t quota;        /* the most in_use may reach */
};

struct secure_buffer {
	void *ptr;  /* NULL when empty; 16-byte aligned (OP-TEE's malloc quantum on arm64) */
	size_t len;
	struct secure_account *account; /* charged with len while ptr != NULL */
};

/*
 * Allocate len (> 0) uninitialised bytes charged to account. TEE_ERROR_EXCESS_DATA when the
 * account would exceed its quota, TEE_ERROR_OUT_OF_MEMORY when the heap is short; b is left
 * empty then.
 */
TEE_Result secure_buffer_alloc(struct secure_buffer *b, size_t len, struct secure_account *account);

/* Wipe and free; a no-op on an empty buffer. Leaves b empty. */
void secure_buffer_release(struct secure_buffer *b);

/* Set len bytes at p to zero in a way the compiler cannot remove as a dead store. */
void secure_wipe(void *p, size_t len);

/* Wipe len bytes at p, then free p (from TEE_Malloc); a no-op for NULL. */
void secure_free(void *p, size_t len);

/* Zero the stack just below the caller, where the command that returned left its frames: the
 * engine keeps tiles of activations and SHA-256 message words of the weights there, and the
 * stack of a TA instance outlives the command and the session. */
void secure_wipe_stack(void);

#endif
