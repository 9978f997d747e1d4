# Sources of the S-Tinylib TA for OP-TEE's TA dev kit (mk/subdir.mk). The TA's own modules
# are built with OP-TEE's full warning set (WARNS=3) as errors; the engine and tinylibm come
# from their one place in the repository through engine/sub.mk.
global-incdirs-y += include
cflags-y += -Werror

srcs-y += attest.c
srcs-y += entry.c
srcs-y += key_admin.c
srcs-y += key_store.c
srcs-y += model_crypto.c
srcs-y += model_io.c
srcs-y += model_session.c
srcs-y += model_team.c
srcs-y += model_upload.c
srcs-y += run_deadline.c
srcs-y += run_team.c
srcs-y += secure_buffer.c
srcs-y += storage_object.c
srcs-y += version_floor.c
# The test build's audit and rendezvous (include/tzinfer_ta_test.h); the product TA has no trace
# of them.
srcs-$(TZI_TEST_HOOKS) += wipe_audit.c
srcs-$(TZI_TEST_HOOKS) += test_rendezvous.c

subdirs-y += engine
