// Command twingym-bench measures the Go client against a running server and prints one JSON line:
// sequential single-env steps per second, or batched env-steps per second of a vector session.
//
//	twingym-bench -url ws://127.0.0.1:8765 -mode seq -seconds 2
//	twingym-bench -url ws://127.0.0.1:8765 -mode batch -envs 256 -seconds 2
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	twingym "github.com/twingym/twingym/clients/go"
)

func main() {
	url := flag.String("url", "ws://127.0.0.1:8765", "server URL")
	mode := flag.String("mode", "seq", "seq (single env, one step per round trip) or batch (vector session)")
	envID := flag.String("env", "MountainCar-v0", "environment id")
	numEnvs := flag.Int("envs", 256, "envs of the vector session in batch mode")
	seconds := flag.Float64("seconds", 2, "measured duration")
	warm := flag.Float64("warmup", 0.3, "warm-up duration")
	flag.Parse()
	if err := run(*url, *mode, *envID, *numEnvs, *seconds, *warm); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(url, mode, envID string, numEnvs int, seconds, warm float64) error {
	ctx := context.Background()
	c, err := twingym.Dial(ctx, url)
	if err != nil {
		return err
	}
	defer c.Close()
	opts := twingym.MakeOptions{MaxEpisodeSteps: 1_000_000_000}
	n := 1
	if mode == "batch" {
		opts.NumEnvs, n = numEnvs, numEnvs
	}
	env, err := c.Make(ctx, envID, opts)
	if err != nil {
		return err
	}
	if _, err := env.Reset(ctx, twingym.ResetOptions{Seed: twingym.Seed(0)}); err != nil {
		return err
	}
	// MountainCar's "no push" action never reaches the goal, so no episode ends during the measurement.
	var action any = 1
	if mode == "batch" {
		a := make([]int64, n)
		for i := range a {
			a[i] = 1
		}
		action = a
	}
	loop := func(d time.Duration) (int, time.Duration, error) {
		start := time.Now()
		steps := 0
		for time.Since(start) < d {
			if _, err := env.Step(ctx, action); err != nil {
				return steps, 0, err
			}
			steps++
		}
		return steps, time.Since(start), nil
	}
	if _, _, err := loop(time.Duration(warm * float64(time.Second))); err != nil {
		return err
	}
	steps, took, err := loop(time.Duration(seconds * float64(time.Second)))
	if err != nil {
		return err
	}
	out := map[string]any{"client": "go", "mode": mode, "steps": steps, "seconds": took.Seconds(),
		"calls_per_s": float64(steps) / took.Seconds(), "env_steps_per_s": float64(steps*n) / took.Seconds()}
	return json.NewEncoder(os.Stdout).Encode(out)
}
