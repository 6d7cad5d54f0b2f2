package main

import (
	"os/exec"
	"testing"
)

func BenchmarkZZHome(b *testing.B) {
	home := benchHomeOf(b, 1_000_000, 1_000_000, false)
	if out, err := exec.Command("cp", "-a", home, "/tmp/home1m").CombinedOutput(); err != nil {
		b.Fatal(err, string(out))
	}
}
