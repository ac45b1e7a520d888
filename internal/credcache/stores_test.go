package credcache

import (
	"testing"
	"time"
)

func TestChoose(t *testing.T) {
	disk := newMemStore()
	tests := []struct {
		name    string
		store   Store
		use     Use
		want    string // "none", "store" or "memory"
		wantTTL time.Duration
	}{
		{"the store", disk, Use{MinTTL: 5 * time.Minute}, "store", 5 * time.Minute},
		{"turned off", disk, Use{Off: true}, "none", 0},
		{"no usable store", nil, Use{}, "none", 0},
		{"a long run uses the store, with entries fresh enough", disk, Use{LongRun: true, FreshFor: 25 * time.Minute, MinTTL: 5 * time.Minute}, "store", 25 * time.Minute},
		{"a long run keeps the larger min TTL", disk, Use{LongRun: true, FreshFor: 25 * time.Minute, MinTTL: 40 * time.Minute}, "store", 40 * time.Minute},
		{"a long run without a store keeps one in memory", nil, Use{LongRun: true, FreshFor: 25 * time.Minute}, "memory", 25 * time.Minute},
		{"a long run with the cache off keeps one in memory", disk, Use{Off: true, LongRun: true, FreshFor: 25 * time.Minute}, "memory", 25 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Choose(tt.store, tt.use)
			got := "none"
			switch {
			case c == nil:
			case c.store == tt.store:
				got = "store"
			default:
				if _, ok := c.store.(*MemStore); ok {
					got = "memory"
				}
			}
			if got != tt.want {
				t.Fatalf("Choose gave %s, want %s", got, tt.want)
			}
			if c != nil && c.minTTL != tt.wantTTL {
				t.Errorf("min TTL %v, want %v", c.minTTL, tt.wantTTL)
			}
		})
	}
}
