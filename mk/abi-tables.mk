# make abi-tables: DEPRECATION.md's trace=abi tables rebuilt from fresh boots
# of Debian's three kernels (scripts/abi-tables.sh; a few minutes under TCG).
.PHONY: abi-tables
abi-tables: all $(BUILD)/pvshim-abi-report
	BUILD=$(BUILD) scripts/abi-tables.sh
