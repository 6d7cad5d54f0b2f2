package main

import (
	"context"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/tui"
)

var _ tui.Heads = (*storeBackend)(nil)

// KeyHeads is the newest seq this home holds of each key: the cockpit's roster
// approval warns of events past a proposal's cut with it, as member approve
// does (pastCuts). A key it holds nothing of is 0.
func (b *storeBackend) KeyHeads(ctx context.Context, keys []common.Address) (map[common.Address]uint64, error) {
	heads, err := b.st.Heads(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[common.Address]uint64, len(keys))
	for _, k := range keys {
		out[k] = 0
	}
	for _, h := range heads {
		if n, ok := out[h.Author]; ok && h.Seq > n {
			out[h.Author] = h.Seq
		}
	}
	return out, nil
}
