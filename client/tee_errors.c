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

static void explain_open_session(const struct tee_failure *f, char *msg, size_t len)
{
	const char *ta_file = TZI_TA_DIR "/" TZI_TA_UUID_STR ".ta";

	if (f->login_group && f->origin == TEEC_ORIGIN_COMMS) {
		snprintf(msg, len, "cannot log in to the TA as group %u: the kernel allows "
			 "TEEC_LOGIN_GROUP only for a group this user is in; add the user to "
			 "group %u (and log in again), or drop --admin-group", f->login_gid,
			 f->login_gid);
		return;
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
		return;
	case TEEC_ERROR_OUT_OF_MEMORY:
		snprintf(msg, len, "OP-TEE has no room for the TA and its heap (TA_DATA_SIZE): the "
			 "TA RAM pool or CFG_PGT_CACHE_ENTRIES is too small; boot an OP-TEE built "
			 "from board/<board>/memory.yaml, or close other TA sessions");
		return;
	case TEEC_ERROR_SECURITY:
		snprintf(msg, len, "OP-TEE rejected the TA's signature: sign the TA with the key "
			 "whose public half OP-TEE was built with (TA_SIGN_KEY / TA_PUBLIC_KEY)");
		return;
	case TEEC_ERROR_ACCESS_CONFLICT:
	case TEEC_ERROR_BUSY:
		snprintf(msg, len, "the TA is busy with another client: retry when it has finished");
		return;
	default:
		snprintf(msg, len, "cannot open a session with the tzinfer TA: check the OP-TEE log "
			 "(secure UART) for the reason");
		return;
	}
}

/* TEE_ERROR_MAC_INVALID (GP TEE Internal Core API); libteec names no TEEC_ constant for it. */
#define TZI_TEEC_ERROR_MAC_INVALID 0xffff3071u

static void explain_engine(const struct tee_failure *f, char *msg, size_t len)
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
}

/* LOAD_BEGIN and LOAD_END: the model does not fit, or the TA's policy refuses it. */
static bool explain_load(const struct tee_failure *f, char *msg, size_t len)
{
	switch (f->result) {
	case TEEC_ERROR_EXCESS_DATA:
		snprintf(msg, len, "%s (%zu bytes) and its arena need more secure memory than one "
			 "session may hold (%u bytes): use a smaller model, or build the TA with a "
			 "larger TZI_SESSION_QUOTA (Yocto: TZINFER_SESSION_QUOTA)", f->model_path,
			 f->model_bytes, f->quota_bytes);
		return true;
	case TEEC_ERROR_OUT_OF_MEMORY:
		snprintf(msg, len, "%s (%zu bytes) and its arena do not fit in the TA heap now: other "
			 "sessions hold the rest; close them and retry, or raise ta_heap_budget in "
			 "board/<board>/memory.yaml and rebuild", f->model_path, f->model_bytes);
		return true;
	case TEEC_ERROR_BAD_FORMAT:
		explain_engine(f, msg, len);
		return true;
	case TZI_TEEC_ERROR_MAC_INVALID:
		snprintf(msg, len, "model authentication failed: wrong key or tampered package "
			 "(%s, key id %u): provision the key it was sealed for, or seal it "
			 "again with `tzinfer seal`", f->model_path, f->key_id);
		return true;
	case TEEC_ERROR_ITEM_NOT_FOUND:
		snprintf(msg, len, "%s is sealed for key id %u, which is not provisioned on "
			 "this device: run `tzinfer keys provision --key KEYFILE --key-id %u`",
			 f->model_path, f->key_id, f->key_id);
		return true;
	case TEEC_ERROR_SECURITY:
		snprintf(msg, len, "%s is model version %u, older than version %u, which this device "
			 "already loaded for key id %u: rollback refused; install a package of "
			 "version %u or newer", f->model_path, f->model_version, f->min_version,
			 f->key_id, f->min_version);
		return true;
	case TEEC_ERROR_NOT_SUPPORTED:
		snprintf(msg, len, "%s is a sealed package of format v1, which this TA refuses (its "
			 "header shows the model's plaintext SHA-256 and it has no version): seal "
			 "the plaintext .tzm again with `tzinfer seal`", f->model_path);
		return true;
	case TEEC_ERROR_ACCESS_DENIED:
		snprintf(msg, len, "%s is a plaintext model, and this TA loads sealed models only "
			 "(built with TZI_SEALED_ONLY): seal it with `tzinfer seal` and provision "
			 "its key", f->model_path);
		return true;
	default:
		return false;
	}
}

/* PROVISION_KEY, DELETE_KEY, LOCK_KEYS: who may, whether the device is locked, and storage. */
static void explain_key_call(const struct tee_failure *f, char *msg, size_t len)
{
	if (f->result == TEEC_ERROR_ACCESS_DENIED) {
		if (f->login_group)
			snprintf(msg, len, "the TA does not let group %u manage model keys: it was "
				 "built for another group (TZI_KEY_ADMIN_GID) or for root only; run "
				 "as root without --admin-group", f->login_gid);
		else
			snprintf(msg, len, "only root may manage model keys (or a group the TA was "
				 "built to trust, TZI_KEY_ADMIN_GID, with --admin-group GID): run "
				 "this as root");
	} else if (f->result == TEEC_ERROR_BAD_STATE) {
		snprintf(msg, len, "key management is locked on this device (`tzinfer keys lock`): "
			 "keys can no longer be provisioned or deleted until a factory reset, "
			 "which erases OP-TEE's secure storage (docs/security.md)");
	} else if (f->call == TEE_CALL_PROVISION_KEY && f->result == TEEC_ERROR_ACCESS_CONFLICT) {
		snprintf(msg, len, "key id %u already has a key: give --replace to overwrite it "
			 "(packages sealed for the old key then fail to load), or pick another id",
			 f->key_id);
	} else if (f->call == TEE_CALL_DELETE_KEY && f->result == TEEC_ERROR_ITEM_NOT_FOUND) {
		snprintf(msg, len, "no key with id %u is provisioned: nothing to delete "
			 "(check the key id)", f->key_id);
	} else if (f->result == TEEC_ERROR_BAD_PARAMETERS) {
		snprintf(msg, len, "the TA refused the key command's parameters: tzinfer-run and the "
			 "TA come from different builds; install both from one tree");
	} else {
		snprintf(msg, len, "OP-TEE secure storage failed%s: tee-supplicant must run and its "
			 "storage directory (REE FS, e.g. /var/lib/optee-client/data/tee) must be "
			 "writable", f->call == TEE_CALL_LOCK_KEYS ? "" : " for this key id");
	}
}

static void explain_run(const struct tee_failure *f, char *msg, size_t len)
{
	if (f->result == TEEC_ERROR_CANCEL && f->cancel == CANCEL_TIMEOUT)
		snprintf(msg, len, "the inference ran longer than --timeout %g s and was cancelled "
			 "between two ops: raise --timeout, or use a smaller model", f->timeout_s);
	else if (f->result == TEEC_ERROR_CANCEL)
		snprintf(msg, len, "the inference was cancelled (interrupted): the TA stopped it "
			 "between two ops and kept the model loaded");
	else if (f->result == TEEC_ERROR_BAD_PARAMETERS && f->detail && *f->detail)
		snprintf(msg, len, "%s", f->detail);
	else if (f->result == TEEC_ERROR_GENERIC && f->engine_status)
		snprintf(msg, len, "the engine failed to run the model: %s: %s: re-create the "
			 "model with `tzinfer convert`",
			 stl_status_name((enum stl_status)f->engine_status),
			 f->engine_reason && *f->engine_reason ? f->engine_reason : "no reason");
	else
		snprintf(msg, len, "the TA refused a request it should accept: this is a bug in "
			 "tzinfer-run or a TA/client version mismatch; rebuild both from one tree");
}

static void explain_call(const struct tee_failure *f, char *msg, size_t len)
{
	if (f->result == TEEC_ERROR_TARGET_DEAD) {
		snprintf(msg, len, "the tzinfer TA crashed: this is a bug, report it with the "
			 "OP-TEE log (secure UART)");
		return;
	}
	if (f->call != TEE_CALL_CONTEXT && f->call != TEE_CALL_OPEN_SESSION &&
	    f->origin == TEEC_ORIGIN_COMMS) {
		snprintf(msg, len, "the connection to OP-TEE failed (Linux driver or secure world): "
			 "see dmesg and the OP-TEE log (secure UART)");
		return;
	}
	switch (f->call) {
	case TEE_CALL_CONTEXT:
		snprintf(msg, len, "no TEE device (/dev/tee0), or no access to it: load the OP-TEE "
			 "driver (modprobe optee), boot a firmware with OP-TEE, and run as a member "
			 "of the group that owns /dev/tee0 (teeclnt or tee)");
		return;
	case TEE_CALL_OPEN_SESSION:
		explain_open_session(f, msg, len);
		return;
	case TEE_CALL_SHARED_MEMORY:
		snprintf(msg, len, "cannot allocate shared memory with OP-TEE: use a smaller "
			 "--chunk, or free shared memory held by other clients");
		return;
	case TEE_CALL_PROVISION_KEY:
	case TEE_CALL_DELETE_KEY:
	case TEE_CALL_LOCK_KEYS:
		explain_key_call(f, msg, len);
		return;
	case TEE_CALL_DEVICE_KEY:
		snprintf(msg, len, "the TA cannot create or read its attestation key: OP-TEE secure "
			 "storage must work (tee-supplicant running, its storage directory writable)");
		return;
	case TEE_CALL_ATTEST:
	case TEE_CALL_LOAD_BEGIN:
	case TEE_CALL_LOAD_CHUNK:
	case TEE_CALL_LOAD_END:
	case TEE_CALL_RUN:
	case TEE_CALL_DESCRIBE:
	case TEE_CALL_STATS:
	case TEE_CALL_UNLOAD:
		break;
	}
	if (f->result == TEEC_ERROR_BAD_STATE) {
		snprintf(msg, len, "the TA refused a command out of order (a model is already "
			 "loaded, or none is): unload first, or load a model before running it");
		return;
	}
	if ((f->call == TEE_CALL_LOAD_BEGIN || f->call == TEE_CALL_LOAD_END) &&
	    explain_load(f, msg, len))
		return;
	if (f->call == TEE_CALL_RUN) {
		explain_run(f, msg, len);
		return;
	}
	snprintf(msg, len, "the TA refused a request it should accept: this is a bug in "
		 "tzinfer-run or a TA/client version mismatch; rebuild both from one tree");
}

void tee_failure_explain(const struct tee_failure *f, char *msg, size_t len)
{
	size_t n = 0;

	explain_call(f, msg, len);
	n = strlen(msg);
	if (n + 1 < len)
		snprintf(msg + n, len - n, " [TEEC 0x%08x from %s]", f->result,
			 origin_name(f->origin));
}
