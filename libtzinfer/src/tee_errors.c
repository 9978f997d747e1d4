#define _POSIX_C_SOURCE 200809L
#include "tee_errors.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <stinylib.h>

#include "tzinfer_ta.h"

/* Where tee-supplicant looks for TAs (Debian's and OP-TEE's default); override at build time. */
#ifndef TZI_TA_DIR
#define TZI_TA_DIR "/lib/optee_armtz"
#endif

static const char *origin_name(uint32_t origin)
{
	switch (origin) {
	case TEEC_ORIGIN_API:
		return "client API";
	case TEEC_ORIGIN_COMMS:
		return "communication";
	case TEEC_ORIGIN_TEE:
		return "TEE";
	case TEEC_ORIGIN_TRUSTED_APP:
		return "TA";
	default:
		return "unknown";
	}
}

bool tee_supplicant_running(void)
{
	DIR *proc = opendir("/proc");
	struct dirent *e = NULL;
	bool found = false;

	if (!proc)
		return true; /* cannot tell: do not blame the supplicant */
	while (!found && (e = readdir(proc))) {
		char path[300], comm[64] = "";
		FILE *f = NULL;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		found = fgets(comm, sizeof(comm), f) && strncmp(comm, "tee-supplicant", 14) == 0;
		fclose(f);
	}
	closedir(proc);
	return found;
}

static tzi_status explain_open_session(const struct tee_failure *f, char *msg, size_t len)
{
	const char *ta_file = TZI_TA_DIR "/" TZI_TA_UUID_STR ".ta";

	if (f->login_group && f->origin == TEEC_ORIGIN_COMMS) {
		snprintf(msg, len, "cannot log in to the TA as group %u: the kernel allows "
			 "TEEC_LOGIN_GROUP only for a group this user is in; add the user to "
			 "group %u (and log in again), or log in as the user", f->login_gid,
			 f->login_gid);
		return TZI_E_ACCESS_DENIED;
	}
	switch (f->result) {
	case TEEC_ERROR_ITEM_NOT_FOUND:
	case TEEC_ERROR_COMMUNICATION:
		if (!tee_supplicant_running())
			snprintf(msg, len, "tee-supplicant is not running, so OP-TEE cannot load the TA "
				 "from the filesystem: start it with `tee-supplicant -d`");
		else if (access(ta_file, R_OK) != 0)
			snprintf(msg, len, "the tzinfer TA is not installed: copy "
				 TZI_TA_UUID_STR ".ta to " TZI_TA_DIR "/");
		else
			snprintf(msg, len, "OP-TEE did not find or accept the TA in " TZI_TA_DIR
				 ": check that tee-supplicant uses that directory (--ta-path)");
		return TZI_E_NO_TA;
	case TEEC_ERROR_OUT_OF_MEMORY:
		snprintf(msg, len, "OP-TEE has no room for the TA and its heap (TA_DATA_SIZE): the "
			 "TA RAM pool or CFG_PGT_CACHE_ENTRIES is too small; boot an OP-TEE built "
			 "from board/<board>/memory.yaml, or close other TA sessions");
		return TZI_E_TA_MEMORY;
	case TEEC_ERROR_SECURITY:
		snprintf(msg, len, "OP-TEE rejected the TA's signature: sign the TA with the key "
			 "whose public half OP-TEE was built with (TA_SIGN_KEY / TA_PUBLIC_KEY)");
		return TZI_E_TA_SIGNATURE;
	case TEEC_ERROR_ACCESS_CONFLICT:
	case TEEC_ERROR_BUSY:
		snprintf(msg, len, "the TA is busy with another client: retry when it has finished");
		return TZI_E_BUSY;
	default:
		snprintf(msg, len, "cannot open a session with the tzinfer TA: check the OP-TEE log "
			 "(secure UART) for the reason");
		return TZI_E_COMMUNICATION;
	}
}

static tzi_status explain_engine(const struct tee_failure *f, char *msg, size_t len)
{
	char where[48] = "";
	uint32_t op = f->engine_location >> 16, tensor = f->engine_location & 0xffffu;

	if (op != 0xffffu && tensor != 0xffffu)
		snprintf(where, sizeof(where), " (op %u, tensor %u)", op, tensor);
	else if (op != 0xffffu)
		snprintf(where, sizeof(where), " (op %u)", op);
	else if (tensor != 0xffffu)
		snprintf(where, sizeof(where), " (tensor %u)", tensor);
	snprintf(msg, len, "%s is not a valid %s: %s: %s%s: %s", f->model_path,
		 f->sealed ? "sealed package" : "tzinfer model",
		 stl_status_name((enum stl_status)f->engine_status),
		 f->engine_reason && *f->engine_reason ? f->engine_reason : "no reason given",
		 where, f->sealed ? "seal the .tzm again with `tzinfer seal`" :
		 "re-create it with `tzinfer convert`");
	return TZI_E_MODEL_FORMAT;
}

/* Results the GP TEE Internal Core API defines and libteec names no TEEC_ constant for. */
#define TZI_TEEC_ERROR_MAC_INVALID 0xffff3071u
#define TZI_TEEC_ERROR_CANCEL 0xffff0002u
#define TZI_TEEC_ERROR_TIMEOUT 0xffff3001u
#define TZI_TEEC_ERROR_ACCESS_DENIED 0xffff0001u
#define TZI_TEEC_ERROR_OVERFLOW 0xffff300fu

/* LOAD_BEGIN and LOAD_END: the model does not fit, or the TA's policy refuses it. */
static tzi_status explain_load(const struct tee_failure *f, char *msg, size_t len)
{
	switch (f->result) {
	case TEEC_ERROR_EXCESS_DATA:
		snprintf(msg, len, "%s (%zu bytes) and its arena need more secure memory than one "
			 "session may hold (%u bytes): use a smaller model, or build the TA with a "
			 "larger TZI_SESSION_QUOTA (Yocto: TZINFER_SESSION_QUOTA)", f->model_path,
			 f->model_bytes, f->quota_bytes);
		return TZI_E_MODEL_TOO_LARGE;
	case TEEC_ERROR_OUT_OF_MEMORY:
		snprintf(msg, len, "%s (%zu bytes) and its arena do not fit in the TA heap now: other "
			 "sessions hold the rest; close them and retry, or raise ta_heap_budget in "
			 "board/<board>/memory.yaml and rebuild", f->model_path, f->model_bytes);
		return TZI_E_MODEL_TOO_LARGE;
	case TEEC_ERROR_BAD_FORMAT:
		return explain_engine(f, msg, len);
	case TZI_TEEC_ERROR_MAC_INVALID:
		snprintf(msg, len, "model authentication failed: wrong key or tampered package "
			 "(%s, key id %u): provision the key it was sealed for, or seal it "
			 "again with `tzinfer seal`", f->model_path, f->key_id);
		return TZI_E_AUTHENTICATION;
	case TEEC_ERROR_ITEM_NOT_FOUND:
		snprintf(msg, len, "%s is sealed for key id %u, which is not provisioned on "
			 "this device: run `tzinfer keys provision --key KEYFILE --key-id %u`",
			 f->model_path, f->key_id, f->key_id);
		return TZI_E_KEY_NOT_FOUND;
	case TEEC_ERROR_SECURITY:
		snprintf(msg, len, "%s is model version %u, older than version %u, which this device "
			 "already loaded for key id %u: rollback refused; install a package of "
			 "version %u or newer", f->model_path, f->model_version, f->min_version,
			 f->key_id, f->min_version);
		return TZI_E_ROLLBACK;
	case TEEC_ERROR_NOT_SUPPORTED:
		snprintf(msg, len, "%s is a sealed package of format v1, which this TA refuses (its "
			 "header shows the model's plaintext SHA-256 and it has no version): seal "
			 "the plaintext .tzm again with `tzinfer seal`", f->model_path);
		return TZI_E_MODEL_FORMAT;
	case TZI_TEEC_ERROR_ACCESS_DENIED:
		snprintf(msg, len, "%s is a plaintext model, and this TA loads sealed models only "
			 "(built with TZI_SEALED_ONLY): seal it with `tzinfer seal` and provision "
			 "its key", f->model_path);
		return TZI_E_ACCESS_DENIED;
	default:
		return TZI_E_TA_REFUSED;
	}
}

/* PROVISION_KEY, DELETE_KEY, LOCK_KEYS: who may, whether the device is locked, and storage. */
static tzi_status explain_key_call(const struct tee_failure *f, char *msg, size_t len)
{
	if (f->result == TZI_TEEC_ERROR_ACCESS_DENIED) {
		if (f->login_group)
			snprintf(msg, len, "the TA does not let group %u manage model keys: it was "
				 "built for another group (TZI_KEY_ADMIN_GID) or for root only; run "
				 "as root, logged in as the user", f->login_gid);
		else
			snprintf(msg, len, "only root may manage model keys (or a group the TA was "
				 "built to trust, TZI_KEY_ADMIN_GID, logged in as that group: "
				 "tzi_open_group, tzinfer-run --admin-group GID): run this as root");
		return TZI_E_ACCESS_DENIED;
	}
	if (f->result == TEEC_ERROR_BAD_STATE) {
		snprintf(msg, len, "key management is locked on this device (`tzinfer keys lock`): "
			 "keys can no longer be provisioned or deleted until a factory reset, "
			 "which erases OP-TEE's secure storage (docs/security.md)");
		return TZI_E_KEYS_LOCKED;
	}
	if (f->call == TEE_CALL_PROVISION_KEY && f->result == TEEC_ERROR_ACCESS_CONFLICT) {
		snprintf(msg, len, "key id %u already has a key: give --replace to overwrite it "
			 "(packages sealed for the old key then fail to load), or pick another id",
			 f->key_id);
		return TZI_E_KEY_EXISTS;
	}
	if (f->call == TEE_CALL_DELETE_KEY && f->result == TEEC_ERROR_ITEM_NOT_FOUND) {
		snprintf(msg, len, "no key with id %u is provisioned: nothing to delete "
			 "(check the key id)", f->key_id);
		return TZI_E_KEY_NOT_FOUND;
	}
	if (f->result == TEEC_ERROR_BAD_PARAMETERS)
		return TZI_E_TA_REFUSED;
	snprintf(msg, len, "OP-TEE secure storage failed%s: tee-supplicant must run and its "
		 "storage directory (REE FS, e.g. /var/lib/optee-client/data/tee) must be "
		 "writable", f->call == TEE_CALL_LOCK_KEYS ? "" : " for this key id");
	return TZI_E_STORAGE;
}

static tzi_status explain_run(const struct tee_failure *f, char *msg, size_t len)
{
	if (f->result == TZI_TEEC_ERROR_CANCEL) {
		snprintf(msg, len, "the inference was cancelled (interrupted): the TA stopped it "
			 "between two ops and kept the model loaded");
		return TZI_E_CANCELLED;
	}
	if (f->result == TZI_TEEC_ERROR_TIMEOUT) {
		snprintf(msg, len, "the inference passed its time limit: the TA stopped it between "
			 "two ops and kept the model loaded");
		return TZI_E_TIMEOUT;
	}
	if (f->result == TEEC_ERROR_GENERIC && f->engine_status) {
		snprintf(msg, len, "the engine failed to run the model: %s: %s: re-create the "
			 "model with `tzinfer convert`",
			 stl_status_name((enum stl_status)f->engine_status),
			 f->engine_reason && *f->engine_reason ? f->engine_reason : "no reason");
		return TZI_E_ENGINE;
	}
	return TZI_E_TA_REFUSED;
}

/* A team run's RUN_PREPARE and RUN_COLLECT fail as RUN does; a stalled run is the team's own. */
static tzi_status explain_team_run(const struct tee_failure *f, char *msg, size_t len)
{
	if (f->call == TEE_CALL_RUN_COLLECT && f->result == TEEC_ERROR_BUSY) {
		snprintf(msg, len, "the team run stopped: %s; a participant stopped making progress "
			 "(an overloaded device, or a bug: report it); the model stays loaded, run "
			 "again or with fewer threads",
			 f->engine_reason && *f->engine_reason ? f->engine_reason : "it stalled");
		return TZI_E_ENGINE;
	}
	if (f->call == TEE_CALL_RUN_COLLECT && f->result == TEEC_ERROR_BAD_STATE) {
		snprintf(msg, len, "the team run was not completed: %s",
			 f->engine_reason && *f->engine_reason ? f->engine_reason : "no reason");
		return TZI_E_STATE;
	}
	return explain_run(f, msg, len);
}

static tzi_status explain_team_join(const struct tee_failure *f, char *msg, size_t len)
{
	switch (f->result) {
	case TZI_TEEC_ERROR_ACCESS_DENIED:
		snprintf(msg, len, "the TA did not accept the team's token (revoked: the model was "
			 "unloaded, or a new team opened meanwhile): run again");
		return TZI_E_STATE;
	case TZI_TEEC_ERROR_OVERFLOW:
		snprintf(msg, len, "the team is full: the TA runs at most %u entries at once "
			 "(ta_worker_slots in board/<board>/memory.yaml)", f->worker_slots);
		return TZI_E_ARGUMENT;
	case TEEC_ERROR_EXCESS_DATA:
	case TEEC_ERROR_OUT_OF_MEMORY:
		snprintf(msg, len, "no room in secure memory for the worker's scratch (charged to "
			 "the model session's quota of %u bytes): use fewer threads", f->quota_bytes);
		return TZI_E_MODEL_TOO_LARGE;
	default:
		return TZI_E_TA_REFUSED;
	}
}

static tzi_status explain_call(const struct tee_failure *f, char *msg, size_t len)
{
	tzi_status status = TZI_E_TA_REFUSED;

	if (f->result == TEEC_ERROR_TARGET_DEAD) {
		snprintf(msg, len, "the tzinfer TA crashed: this is a bug, report it with the "
			 "OP-TEE log (secure UART); close this session and open a new one");
		return TZI_E_TA_CRASHED;
	}
	if (f->call != TEE_CALL_CONTEXT && f->call != TEE_CALL_OPEN_SESSION &&
	    f->origin == TEEC_ORIGIN_COMMS) {
		snprintf(msg, len, "the connection to OP-TEE failed (Linux driver or secure world): "
			 "see dmesg and the OP-TEE log (secure UART)");
		return TZI_E_COMMUNICATION;
	}
	switch (f->call) {
	case TEE_CALL_CONTEXT:
		snprintf(msg, len, "no TEE device (/dev/tee0), or no access to it: load the OP-TEE "
			 "driver (modprobe optee), boot a firmware with OP-TEE, and run as a member "
			 "of the group that owns /dev/tee0 (teeclnt or tee)");
		return TZI_E_NO_TEE;
	case TEE_CALL_OPEN_SESSION:
		return explain_open_session(f, msg, len);
	case TEE_CALL_SHARED_MEMORY:
		snprintf(msg, len, "cannot allocate shared memory with OP-TEE: use a smaller "
			 "chunk, or free shared memory held by other clients");
		return TZI_E_SHARED_MEMORY;
	case TEE_CALL_PROVISION_KEY:
	case TEE_CALL_DELETE_KEY:
	case TEE_CALL_LOCK_KEYS:
		status = explain_key_call(f, msg, len);
		break;
	case TEE_CALL_DEVICE_KEY:
		snprintf(msg, len, "the TA cannot create or read its attestation key: OP-TEE secure "
			 "storage must work (tee-supplicant running, its storage directory writable)");
		return TZI_E_STORAGE;
	case TEE_CALL_LOAD_BEGIN:
	case TEE_CALL_LOAD_END:
		if (f->result != TEEC_ERROR_BAD_STATE)
			status = explain_load(f, msg, len);
		break;
	case TEE_CALL_RUN:
		status = explain_run(f, msg, len);
		break;
	case TEE_CALL_RUN_PREPARE:
	case TEE_CALL_RUN_WORK:
	case TEE_CALL_RUN_COLLECT:
		status = explain_team_run(f, msg, len);
		break;
	case TEE_CALL_TEAM_JOIN:
		status = explain_team_join(f, msg, len);
		break;
	case TEE_CALL_TEAM_OPEN:
	case TEE_CALL_ATTEST:
	case TEE_CALL_LOAD_CHUNK:
	case TEE_CALL_DESCRIBE:
	case TEE_CALL_STATS:
	case TEE_CALL_UNLOAD:
		break;
	}
	if (status != TZI_E_TA_REFUSED)
		return status;
	if (f->result == TEEC_ERROR_BAD_STATE) {
		snprintf(msg, len, f->call == TEE_CALL_ATTEST ?
			 "nothing to attest: load the model with attestation (tzi_set_attest) and run "
			 "it first" :
			 "the TA refused a command out of order (a model is already loaded, or none "
			 "is): unload first, or load a model before running it");
		return TZI_E_STATE;
	}
	snprintf(msg, len, "the TA refused a request it should accept: this is a bug in "
		 "libtzinfer or a TA/library version mismatch; install both from one build");
	return TZI_E_TA_REFUSED;
}

tzi_status tee_failure_explain(const struct tee_failure *f, char *msg, size_t len)
{
	tzi_status status = explain_call(f, msg, len);
	size_t n = strlen(msg);

	if (n + 1 < len)
		snprintf(msg + n, len - n, " [TEEC 0x%08x from %s]", f->result,
			 origin_name(f->origin));
	return status;
}
