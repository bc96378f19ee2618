package sharedcache

import (
	"context"
	"fmt"
)

// TTL is how long the server keeps the namespace's state, in
// milliseconds (PTTL: -2 when there is none, -1 when it never expires):
// tests check the time to live tok asked for without waiting it out.
func (c *Client) TTL(ctx context.Context, ns string) (int64, error) {
	reply, err := c.nodes.do(ctx, StateKey(ns), "PTTL", StateKey(ns))
	if err != nil {
		return 0, err
	}
	ms, ok := reply.(int64)
	if !ok {
		return 0, fmt.Errorf("unexpected reply to PTTL: %v", reply)
	}
	return ms, nil
}
