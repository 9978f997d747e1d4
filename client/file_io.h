/* Whole-file reads into 16-byte aligned memory (the engine's alignment) and whole-file writes. */
#ifndef TZI_FILE_IO_H
#define TZI_FILE_IO_H

#include <stddef.h>
#include <stdint.h>

/* Read path into a new 16-byte aligned buffer (free() it). NULL, with a diagnostic, on error. */
uint8_t *file_read_all(const char *path, size_t *len);

/* Write len bytes of data to path, replacing it. 0 on success, -1 with a diagnostic. */
int file_write_all(const char *path, const void *data, size_t len);

#endif
