/*
 * Test build only (TZI_TEST_HOOKS): TEST_RENDEZVOUS, two worker entries inside the TA at once,
 * and TEST_PANIC_BESIDE, a panic beside a waiting one (include/tzinfer_ta_test.h).
 */
#ifndef TZI_TEST_RENDEZVOUS_H
#define TZI_TEST_RENDEZVOUS_H

#include <tee_internal_api.h>

TEE_Result test_rendezvous_cmd(uint32_t param_types, TEE_Param params[4]);

/* TEST_PANIC_BESIDE (include/tzinfer_ta_test.h). */
TEE_Result test_panic_beside_cmd(uint32_t param_types, TEE_Param params[4]);

#endif
