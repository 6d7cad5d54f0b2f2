package onchain

import (
	"regexp"
)

// safeErrors are the revert codes of Safe v1.3/1.4 that execTransaction can
// give, as the Safe's docs/error_codes.md words them, with what a responder
// does about each: a bare "GS026" says nothing during an incident.
var safeErrors = map[string]string{
	"GS010": "not enough gas to execute the Safe transaction (raise safe_tx_gas or the gas limit)",
	"GS011": "could not pay gas costs with ether",
	"GS012": "could not pay gas costs with the gas token",
	"GS013": "the Safe transaction's call failed and gasPrice and safeTxGas are 0, so the whole execution reverts (the target refused the call: is the Safe allowed to make it?)",
	"GS020": "signatures data too short (fewer signatures than the threshold)",
	"GS021": "invalid contract signature location: inside static part",
	"GS022": "invalid contract signature location: length not present",
	"GS023": "invalid contract signature location: data not complete",
	"GS024": "invalid contract signature provided",
	"GS025": "hash has not been approved (an approveHash signature whose owner did not approve it on chain)",
	"GS026": "invalid owner provided: a signature does not recover to an owner for this transaction (the nonce moved, another transaction just ran, or the owners changed)",
	"GS031": "method can only be called from the Safe itself",
}

var safeErrorCode = regexp.MustCompile(`GS0[0-9]{2}`)

// explainSafeError says what the Safe revert code in msg means, "" when it
// holds none the Safe documents.
func explainSafeError(msg string) string {
	code := safeErrorCode.FindString(msg)
	if why, ok := safeErrors[code]; ok {
		return code + ": " + why
	}
	return ""
}
