package main

import (
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	cfg, err := config(env(map[string]string{"SOAK_NODES": "6", "SOAK_SECONDS": "30", "SOAK_SEED": "42"}))
	if err != nil || cfg.Nodes != 6 || cfg.Duration != 30*time.Second || cfg.Seed != 42 {
		t.Fatalf("config = %+v, %v", cfg, err)
	}
	cfg, err = config(env(nil))
	if err != nil || cfg.Nodes != 10 || cfg.Duration != time.Minute {
		t.Fatalf("defaults = %+v, %v; want 10 nodes for 60 s", cfg, err)
	}
	for _, bad := range []map[string]string{
		{"SOAK_NODES": "3"}, {"SOAK_NODES": "ten"}, {"SOAK_SECONDS": "0"}, {"SOAK_SECONDS": "1m"}, {"SOAK_SEED": "x"},
	} {
		if _, err := config(env(bad)); err == nil {
			t.Errorf("config(%v) accepted", bad)
		}
	}
}
