# S-Tinylib and tinylibm inside the TA: the very files the host and normal-world builds use,
# listed by stinylib/stinylib.mk and tinylibm/tinylibm.mk (included by ../Makefile). Absolute
# paths keep their objects under $(O).
#
# They are held to the project's C policy (-Wall -Wextra -Werror, docs/development.md), not to
# the extra warnings OP-TEE adds for its own code (float equality, shadowing, prototypes...):
# the engine is portable C99 and is checked by its own host builds.
OPTEE_EXTRA_WARNINGS := -Wcast-align -Wfloat-equal -Wformat-nonliteral -Wformat-security \
	-Wformat=2 -Winit-self -Wmissing-declarations -Wmissing-format-attribute \
	-Wmissing-include-dirs -Wmissing-noreturn -Wmissing-prototypes -Wnested-externs \
	-Wpointer-arith -Wshadow -Wstrict-prototypes -Wswitch-default -Wwrite-strings \
	-Wredundant-decls -Wold-style-definition -Wstrict-aliasing=2 -Wundef \
	-Wdeclaration-after-statement
cflags-remove-y += $(OPTEE_EXTRA_WARNINGS)
# STINYLIB_CFLAGS (-O3, FMA contraction) come after the dev kit's -Os and win.
cflags-y += -Werror $(STINYLIB_CFLAGS)

srcs-y += $(abspath $(STINYLIB_SRCS) $(TINYLIBM_SRCS))
global-incdirs_ext-y += $(abspath $(STINYLIB_INC) $(TINYLIBM_INC))
