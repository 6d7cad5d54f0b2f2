package onchain

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

var (
	logSafe = common.HexToAddress("0x1111111111111111111111111111111111111111")
	logHash = common.HexToHash("0xaa")
)

func execLog(name string, topics []common.Hash, data []byte) *types.Log {
	return &types.Log{Address: logSafe, Topics: append([]common.Hash{safeABI.Events[name].ID}, topics...), Data: data}
}

// Both Safe layouts parse (1.4 indexes txHash; 1.3 logs it in data); logs
// for another hash or contract are skipped; malformed ones are refused.
func TestParseExecLog(t *testing.T) {
	payment := common.LeftPadBytes(big.NewInt(7).Bytes(), 32)
	for _, c := range []struct {
		name    string
		logs    []*types.Log
		event   string
		wantErr string
	}{
		{"1.4 success", []*types.Log{execLog("ExecutionSuccess", []common.Hash{logHash}, payment)}, "ExecutionSuccess", ""},
		{"1.4 failure", []*types.Log{execLog("ExecutionFailure", []common.Hash{logHash}, payment)}, "ExecutionFailure", ""},
		{"1.3 success", []*types.Log{execLog("ExecutionSuccess", nil, append(logHash.Bytes(), payment...))}, "ExecutionSuccess", ""},
		{"another tx's log first", []*types.Log{
			execLog("ExecutionSuccess", []common.Hash{{0xbb}}, payment),
			execLog("ExecutionFailure", []common.Hash{logHash}, payment),
		}, "ExecutionFailure", ""},
		{"another contract", []*types.Log{{Address: common.Address{9}, Topics: []common.Hash{safeABI.Events["ExecutionSuccess"].ID, logHash}, Data: payment}}, "", "no ExecutionSuccess"},
		{"no logs", nil, "", "no ExecutionSuccess"},
		{"malformed", []*types.Log{execLog("ExecutionSuccess", []common.Hash{logHash}, payment[:31])}, "", "malformed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var res ExecResult
			err := parseExecLog(&types.Receipt{Logs: c.logs}, logSafe, logHash, &res)
			if c.wantErr != "" {
				if err == nil || !bytes.Contains([]byte(err.Error()), []byte(c.wantErr)) {
					t.Fatalf("parseExecLog = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || res.Event != c.event || res.Success != (c.event == "ExecutionSuccess") || res.Payment.Int64() != 7 {
				t.Fatalf("parseExecLog = %+v, %v", res, err)
			}
		})
	}
}

func FuzzExecLog(f *testing.F) {
	f.Add(safeABI.Events["ExecutionSuccess"].ID.Bytes(), logHash.Bytes(), make([]byte, 32))
	f.Add(safeABI.Events["ExecutionFailure"].ID.Bytes(), []byte{}, make([]byte, 64))
	f.Fuzz(func(t *testing.T, topic0, topic1, data []byte) {
		l := &types.Log{Address: logSafe, Topics: []common.Hash{common.BytesToHash(topic0)}, Data: data}
		if len(topic1) > 0 {
			l.Topics = append(l.Topics, common.BytesToHash(topic1))
		}
		var res ExecResult
		if err := parseExecLog(&types.Receipt{Logs: []*types.Log{l}}, logSafe, logHash, &res); err != nil {
			return
		}
		// Taken only as what the log says: its event, the hash asked
		// about (a topic or the data's first word) and its payment.
		ev, ok := safeABI.Events[res.Event]
		hash := l.Topics[len(l.Topics)-1]
		if len(l.Topics) == 1 && len(data) == 64 {
			hash = common.BytesToHash(data[:32])
		}
		if !ok || ev.ID != l.Topics[0] || res.Success != (res.Event == "ExecutionSuccess") || hash != logHash ||
			res.Payment == nil || len(data) < 32 || res.Payment.Cmp(new(big.Int).SetBytes(data[len(data)-32:])) != 0 {
			t.Fatalf("log %+v parsed as %+v", l, res)
		}
	})
}
