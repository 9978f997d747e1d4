/* tzi_status_name and tzi_status_message: one row per status, in the enum's order. */
#include "tzinfer.h"

static const struct {
	const char *name, *message;
} statuses[TZI_STATUS_COUNT] = {
	{ "TZI_OK", "success" },
	{ "TZI_E_ARGUMENT", "an argument is invalid (NULL, empty or out of range)" },
	{ "TZI_E_NO_MEMORY", "the normal world ran out of memory" },
	{ "TZI_E_FILE", "the model file cannot be read" },
	{ "TZI_E_NO_TEE", "no TEE device: load the OP-TEE driver and boot a firmware with OP-TEE" },
	{ "TZI_E_NO_TA", "the tzinfer TA cannot be loaded: install it and start tee-supplicant" },
	{ "TZI_E_TA_SIGNATURE", "OP-TEE refused the TA's signature: sign it with the OS's key" },
	{ "TZI_E_TA_MEMORY", "OP-TEE has no room for the TA and its heap" },
	{ "TZI_E_BUSY", "the TA is busy with another client: retry later" },
	{ "TZI_E_SHARED_MEMORY", "OP-TEE gave no shared memory" },
	{ "TZI_E_VERSION", "the TA and libtzinfer speak different interface versions: install both "
	  "from one build" },
	{ "TZI_E_STATE", "out of order: load a model first, or unload the one loaded" },
	{ "TZI_E_MODEL_FORMAT", "not a valid tzinfer model: re-create it with `tzinfer convert`" },
	{ "TZI_E_MODEL_TOO_LARGE", "the model and its arena do not fit in the session's quota or "
	  "the TA heap" },
	{ "TZI_E_KEY_ID", "the model is not sealed for the key id asked for" },
	{ "TZI_E_KEY_NOT_FOUND", "the model's key id is not provisioned on this device" },
	{ "TZI_E_AUTHENTICATION", "the sealed model failed authentication: wrong key or changed" },
	{ "TZI_E_INPUT", "an input is unknown, missing, given twice or of the wrong size" },
	{ "TZI_E_OUTPUT", "an output is unknown, given twice or its buffer has the wrong size" },
	{ "TZI_E_CANCELLED", "the run was cancelled; the model stays loaded" },
	{ "TZI_E_ENGINE", "the engine failed while running the model" },
	{ "TZI_E_ACCESS_DENIED", "the TA refused this client or model for this command" },
	{ "TZI_E_STORAGE", "OP-TEE secure storage failed" },
	{ "TZI_E_TA_CRASHED", "the TA crashed: close the session and open a new one" },
	{ "TZI_E_COMMUNICATION", "the connection to OP-TEE failed" },
	{ "TZI_E_TA_REFUSED", "the TA refused a request libtzinfer believes valid: install the TA "
	  "and libtzinfer from one build" },
	{ "TZI_E_ROLLBACK", "the sealed model is older than one this device already loaded for its "
	  "key id: install a newer package" },
	{ "TZI_E_KEY_EXISTS", "the key id already has a key: replace it explicitly or pick another id" },
	{ "TZI_E_KEYS_LOCKED", "key management is locked on this device until a factory reset" },
	{ "TZI_E_TIMEOUT", "the run passed its time limit; the model stays loaded" },
};

const char *tzi_status_name(tzi_status status)
{
	return (unsigned)status < TZI_STATUS_COUNT ? statuses[status].name : "TZI_E_UNKNOWN";
}

const char *tzi_status_message(tzi_status status)
{
	return (unsigned)status < TZI_STATUS_COUNT ? statuses[status].message : "unknown status";
}
