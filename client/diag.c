#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

void diag_error(const char *fmt, ...)
{
	va_list ap;

	fputs("tzinfer-run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
