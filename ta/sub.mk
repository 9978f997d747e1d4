# Sources of the S-Tinylib TA for OP-TEE's TA dev kit (mk/subdir.mk): the TA's own modules,
# then the engine and tinylibm from their one place in the repository (their make fragments
# list the sources; absolute paths keep the objects under $(O)).
global-incdirs-y += include

srcs-y += entry.c
srcs-y += model_session.c
srcs-y += model_upload.c
srcs-y += secure_buffer.c

# Engine and math library: STINYLIB_SRCS/STINYLIB_INC and TINYLIBM_SRCS/TINYLIBM_INC.
srcs-y += $(abspath $(STINYLIB_SRCS) $(TINYLIBM_SRCS))
global-incdirs_ext-y += $(abspath $(STINYLIB_INC) $(TINYLIBM_INC))
