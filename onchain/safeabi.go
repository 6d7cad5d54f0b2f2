package onchain

import (
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
)

// safeABI is the part of Safe v1.3/v1.4.1's ABI the client uses, as in
// the contract's build artifact (safedeploy/artifacts/Safe.json;
// a test checks that each entry here matches it).
const safeABIJSON = `[
{"type":"function","name":"VERSION","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"string"}]},
{"type":"function","name":"getOwners","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"address[]"}]},
{"type":"function","name":"getThreshold","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"uint256"}]},
{"type":"function","name":"nonce","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"uint256"}]},
{"type":"function","name":"getTransactionHash","stateMutability":"view","inputs":[
 {"name":"to","type":"address"},{"name":"value","type":"uint256"},{"name":"data","type":"bytes"},
 {"name":"operation","type":"uint8"},{"name":"safeTxGas","type":"uint256"},{"name":"baseGas","type":"uint256"},
 {"name":"gasPrice","type":"uint256"},{"name":"gasToken","type":"address"},{"name":"refundReceiver","type":"address"},
 {"name":"_nonce","type":"uint256"}],"outputs":[{"name":"","type":"bytes32"}]},
{"type":"function","name":"execTransaction","stateMutability":"payable","inputs":[
 {"name":"to","type":"address"},{"name":"value","type":"uint256"},{"name":"data","type":"bytes"},
 {"name":"operation","type":"uint8"},{"name":"safeTxGas","type":"uint256"},{"name":"baseGas","type":"uint256"},
 {"name":"gasPrice","type":"uint256"},{"name":"gasToken","type":"address"},{"name":"refundReceiver","type":"address"},
 {"name":"signatures","type":"bytes"}],"outputs":[{"name":"success","type":"bool"}]},
{"type":"event","name":"ExecutionSuccess","anonymous":false,"inputs":[{"name":"txHash","type":"bytes32","indexed":true},{"name":"payment","type":"uint256","indexed":false}]},
{"type":"event","name":"ExecutionFailure","anonymous":false,"inputs":[{"name":"txHash","type":"bytes32","indexed":true},{"name":"payment","type":"uint256","indexed":false}]}
]`

var safeABI = mustABI(safeABIJSON)

func mustABI(s string) abi.ABI {
	a, err := abi.JSON(strings.NewReader(s))
	if err != nil {
		panic("onchain: bad built-in ABI: " + err.Error())
	}
	return a
}
