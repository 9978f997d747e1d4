# Under TF-A the FIQ is taken to EL3, so the dwc_otg USB driver must not use its FIQ handler
# (TF-A's rpi3 documentation asks for these parameters when OP-TEE runs).
CMDLINE_DWC_OTG:raspberrypi3-64:tzinfer = "dwc_otg.lpm_enable=0 dwc_otg.fiq_enable=0 dwc_otg.fiq_fsm_enable=0 dwc_otg.nak_holdoff=0"
