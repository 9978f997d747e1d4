/*
 * teec-trace.so: an LD_PRELOAD shim that records every byte a libteec client puts into, or gets
 * back from, shared memory with the TEE.
 *
 * Used on the QEMU target to check that tzinfer-run never hands a decrypted model to the normal
 * world's shared memory (tests/qemu/test_confidentiality.py): the test searches the trace with
 * `memscan --file`. It wraps TEEC_OpenSession and TEEC_InvokeCommand and appends to the file
 * named by $TZINFER_TEEC_TRACE, for every memref parameter, its bytes: inputs before the call,
 * outputs after it. Value parameters carry no buffer and are not recorded.
 *
 * Each record is a struct trace_record (native byte order) followed by `length` bytes.
 * Without $TZINFER_TEEC_TRACE the calls pass through untouched. A record that cannot be written
 * aborts the client: a silently incomplete trace would make a search of it pass for nothing.
 *
 * Usage: LD_PRELOAD=/usr/lib/tzinfer/teec-trace.so TZINFER_TEEC_TRACE=/tmp/trace tzinfer-run ...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tee_client_api.h>
#include <unistd.h>

/* trace_record.command of the operation passed to TEEC_OpenSession (not a command ID). */
#define TRACE_OPEN_SESSION 0xffffffffu
#define TRACE_IN 1u  /* recorded before the call: what the client gives the TEE */
#define TRACE_OUT 2u /* recorded after the call: what the TEE gave back */

struct trace_record {
	uint32_t command;
	uint16_t param;     /* 0 .. TEEC_CONFIG_PAYLOAD_REF_COUNT - 1 */
	uint16_t direction; /* TRACE_IN or TRACE_OUT */
	uint64_t length;    /* bytes of the memref that follow */
};

/* Where parameter `index` of `op` points and in which directions it is shared. */
struct memref {
	const uint8_t *bytes;
	size_t size;
	uint32_t directions; /* TRACE_IN | TRACE_OUT bits */
};

static void die(const char *what)
{
	fprintf(stderr, "teec-trace: %s: %s\n", what, strerror(errno));
	abort();
}

static struct memref memref_of(const TEEC_Operation *op, unsigned int index)
{
	const TEEC_Parameter *p = &op->params[index];
	struct memref m = { NULL, 0, 0 };

	switch (TEEC_PARAM_TYPE_GET(op->paramTypes, index)) {
	case TEEC_MEMREF_TEMP_INPUT:
	case TEEC_MEMREF_TEMP_OUTPUT:
	case TEEC_MEMREF_TEMP_INOUT:
		m.bytes = p->tmpref.buffer;
		m.size = p->tmpref.size;
		break;
	case TEEC_MEMREF_WHOLE:
		/* The whole block, shared in the directions it was allocated or registered for. */
		m.bytes = p->memref.parent->buffer;
		m.size = p->memref.parent->size;
		m.directions = (p->memref.parent->flags & TEEC_MEM_INPUT ? TRACE_IN : 0) |
			       (p->memref.parent->flags & TEEC_MEM_OUTPUT ? TRACE_OUT : 0);
		return m;
	case TEEC_MEMREF_PARTIAL_INPUT:
	case TEEC_MEMREF_PARTIAL_OUTPUT:
	case TEEC_MEMREF_PARTIAL_INOUT:
		m.bytes = (const uint8_t *)p->memref.parent->buffer + p->memref.offset;
		m.size = p->memref.size;
		break;
	default:
		return m;
	}
	/* The TEMP and PARTIAL types hold the direction in bits 0 (input) and 1 (output). */
	m.directions = TEEC_PARAM_TYPE_GET(op->paramTypes, index) & 3;
	return m;
}

static void write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write");
		p += n;
		len -= (size_t)n;
	}
}

/*
 * Append one record per memref of `op` shared in `direction`. After the call, the TEE may have
 * set a memref's size to more than the buffer (TEEC_ERROR_SHORT_BUFFER): at most `sizes[i]`,
 * the size before the call, is read.
 */
static void record(const TEEC_Operation *op, uint32_t command, uint32_t direction, size_t sizes[])
{
	const char *path = getenv("TZINFER_TEEC_TRACE");
	int fd = -1;

	if (!path || !op)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0)
		die(path);
	for (unsigned int i = 0; i < TEEC_CONFIG_PAYLOAD_REF_COUNT; i++) {
		struct memref m = memref_of(op, i);
		struct trace_record header = { command, (uint16_t)i, (uint16_t)direction, 0 };

		if (direction == TRACE_IN)
			sizes[i] = m.size;
		else if (m.size > sizes[i])
			m.size = sizes[i];
		if (!(m.directions & direction))
			continue;
		header.length = m.bytes ? m.size : 0;
		write_all(fd, &header, sizeof(header));
		write_all(fd, m.bytes, (size_t)header.length);
	}
	if (close(fd) != 0)
		die(path);
}

/* The next definition of `name` after this library's: libteec's. */
static void *next(const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);

	if (!fn) {
		fprintf(stderr, "teec-trace: no %s after the shim: %s\n", name, dlerror());
		abort();
	}
	return fn;
}

TEEC_Result TEEC_OpenSession(TEEC_Context *context, TEEC_Session *session, const TEEC_UUID *destination,
			     uint32_t connectionMethod, const void *connectionData, TEEC_Operation *operation,
			     uint32_t *returnOrigin)
{
	TEEC_Result (*open_session)(TEEC_Context *, TEEC_Session *, const TEEC_UUID *, uint32_t,
				    const void *, TEEC_Operation *, uint32_t *) = next("TEEC_OpenSession");
	size_t sizes[TEEC_CONFIG_PAYLOAD_REF_COUNT] = { 0 };
	TEEC_Result res = TEEC_SUCCESS;

	record(operation, TRACE_OPEN_SESSION, TRACE_IN, sizes);
	res = open_session(context, session, destination, connectionMethod, connectionData, operation,
			   returnOrigin);
	record(operation, TRACE_OPEN_SESSION, TRACE_OUT, sizes);
	return res;
}

TEEC_Result TEEC_InvokeCommand(TEEC_Session *session, uint32_t commandID, TEEC_Operation *operation,
			       uint32_t *returnOrigin)
{
	TEEC_Result (*invoke)(TEEC_Session *, uint32_t, TEEC_Operation *, uint32_t *) =
		next("TEEC_InvokeCommand");
	size_t sizes[TEEC_CONFIG_PAYLOAD_REF_COUNT] = { 0 };
	TEEC_Result res = TEEC_SUCCESS;

	record(operation, commandID, TRACE_IN, sizes);
	res = invoke(session, commandID, operation, returnOrigin);
	record(operation, commandID, TRACE_OUT, sizes);
	return res;
}
