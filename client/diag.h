/* One-line diagnostics of tzinfer-run on stderr: "tzinfer-run: <cause>: <fix>". */
#ifndef TZI_DIAG_H
#define TZI_DIAG_H

#if defined(__GNUC__)
#define TZI_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define TZI_PRINTF(fmt, args)
#endif

/* Print one error line prefixed with the program name. */
void diag_error(const char *fmt, ...) TZI_PRINTF(1, 2);

#endif
