#define _POSIX_C_SOURCE 200112L
#include "file_io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

uint8_t *file_read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf = NULL;
	long size = 0;

	if (!f) {
		diag_error("cannot open %s: %s: check the path", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		diag_error("cannot determine the size of %s: %s: give a regular file", path,
			   strerror(errno));
		fclose(f);
		return NULL;
	}
	if (size == 0) {
		diag_error("%s is empty: give a non-empty file", path);
		fclose(f);
		return NULL;
	}
	if (posix_memalign(&buf, 16, (size_t)size) != 0) {
		diag_error("out of memory reading %s (%ld bytes)", path, size);
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		diag_error("cannot read %s: %s", path, ferror(f) ? strerror(errno) : "short read");
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)size;
	return buf;
}

int file_write_all(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	size_t written = 0;

	if (!f) {
		diag_error("cannot create %s: %s: check the directory exists and is writable", path,
			   strerror(errno));
		return -1;
	}
	written = fwrite(data, 1, len, f);
	if (fclose(f) != 0 || written != len) {
		diag_error("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
