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

struct secure_buffer {
	void *ptr;  /* NULL when empty; 16-byte aligned (OP-TEE's malloc quantum on arm64) */
	size_t len;
};

/* Allocate len (> 0) uninitialised bytes; false (and b left empty) when the heap is short. */
bool secure_buffer_alloc(struct secure_buffer *b, size_t len);

/* Wipe and free; a no-op on an empty buffer. Leaves b empty. */
void secure_buffer_release(struct secure_buffer *b);

/* Bytes held in secure buffers right now, and the most ever held at once, across all
 * sessions of this TA instance (what STATS reports; a leak shows as growth). */
void secure_buffer_usage(size_t *in_use, size_t *peak);

/* Set len bytes at p to zero in a way the compiler cannot remove as a dead store. */
void secure_wipe(void *p, size_t len);

/* Wipe len bytes at p, then free p (from TEE_Malloc); a no-op for NULL. */
void secure_free(void *p, size_t len);

/* Zero the stack just below the caller, where the command that returned left its frames: the
 * engine keeps tiles of activations and SHA-256 message words of the weights there, and the
 * stack of a TA instance outlives the command and the session. */
void secure_wipe_stack(void);

#endif
