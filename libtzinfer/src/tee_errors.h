/*
 * Every failure of a TEE call, turned into a libtzinfer status and one sentence that names the
 * cause and the fix. The raw result and origin codes are appended so that they can be looked up.
 */
#ifndef TZI_TEE_ERRORS_H
#define TZI_TEE_ERRORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tee_client_api.h>

#include "tzinfer.h"

/* The call that failed; the same result code means different things in different calls. */
enum tee_call {
	TEE_CALL_CONTEXT,      /* TEEC_InitializeContext */
	TEE_CALL_OPEN_SESSION, /* TEEC_OpenSession */
	TEE_CALL_SHARED_MEMORY,/* TEEC_AllocateSharedMemory */
	TEE_CALL_LOAD_BEGIN,
	TEE_CALL_LOAD_CHUNK,
	TEE_CALL_LOAD_END,
	TEE_CALL_RUN,
	TEE_CALL_DESCRIBE,
	TEE_CALL_STATS,
	TEE_CALL_UNLOAD,
	TEE_CALL_PROVISION_KEY,
	TEE_CALL_DELETE_KEY,
	TEE_CALL_LOCK_KEYS,
	TEE_CALL_ATTEST,
	TEE_CALL_DEVICE_KEY,
	TEE_CALL_TEAM_OPEN,
	TEE_CALL_TEAM_JOIN,
	TEE_CALL_RUN_PREPARE,
	TEE_CALL_RUN_WORK,
	TEE_CALL_RUN_COLLECT,
};

struct tee_failure {
	enum tee_call call;
	TEEC_Result result;
	uint32_t origin;
	const char *model_path;     /* LOAD_* */
	size_t model_bytes;         /* LOAD_* */
	uint32_t quota_bytes;       /* this session's quota when known, else 0 */
	uint32_t engine_status;     /* LOAD_END / RUN: enum stl_status */
	uint32_t engine_location;   /* LOAD_END: op << 16 | tensor, 0xffff = none */
	const char *engine_reason;  /* LOAD_END / RUN / RUN_*: text from the TA, may be empty */
	uint32_t worker_slots;      /* TEAM_JOIN: the TA's worker slots */
	uint32_t key_id;            /* LOAD_END of a sealed package, PROVISION_KEY, DELETE_KEY */
	bool sealed;                /* LOAD_END: the file is a sealed package (format v2) */
	uint32_t min_version, model_version; /* LOAD_END refused as a rollback */
	bool login_group;           /* OPEN_SESSION and key calls: logged in as group login_gid */
	uint32_t login_gid;
};

/* Is a tee-supplicant process alive? OP-TEE loads TAs from the filesystem through it, and a
 * session opened without it blocks until one starts. (True when /proc cannot be read.) */
bool tee_supplicant_running(void);

/* The status for f, and its sentence into msg (always NUL-terminated). */
tzi_status tee_failure_explain(const struct tee_failure *f, char *msg, size_t len);

#endif
