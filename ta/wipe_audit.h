/*
 * Test build only (TZI_TEST_HOOKS, see include/tzinfer_ta_test.h): the ledger of wiped
 * regions and the WIPE_AUDIT command that checks them. The product TA compiles none of this.
 */
#ifndef TZI_WIPE_AUDIT_H
#define TZI_WIPE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <tee_internal_api.h>

/* Take over a wiped region (from TEE_Malloc) instead of freeing it; the audit frees it. */
void wipe_audit_hold(void *p, size_t len);

/* Audit and free every held region now (an allocation needs the room); false if none. */
bool wipe_audit_drain(void);

/* Fill a new region with TZI_TEST_STALE_PATTERN (include/tzinfer_ta_test.h). */
void wipe_audit_fill_stale(void *p, size_t len);

/* WIPE_AUDIT (include/tzinfer_ta_test.h). */
TEE_Result wipe_audit_cmd(uint32_t param_types, TEE_Param params[4]);

#endif
