// etcd-load: the closed-loop workload of paxoskv-bench, against etcd over native gRPC with
// the official client (clientv3 of etcd 3.4, from Debian's golang-etcd-server-dev).
//
//	etcd-load --endpoints A,B,C --clients N --duration S --warmup S --value-size B
//	          --write-ratio R --keys K
//
// Every request goes to the leader (found with the maintenance Status call), as in etcd's
// own benchmark with its leader-only option. Writes are puts; reads are linearizable gets
// (clientv3's default). Prints the same summary and JSON line as paxoskv-bench.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/clientv3"
)

func main() {
	endpoints := flag.String("endpoints", "127.0.0.1:2379", "comma-separated client URLs")
	clients := flag.Int("clients", 1, "closed-loop clients")
	conns := flag.Int("conns", 0, "gRPC connections shared by the clients (0: one per 16 clients)")
	duration := flag.Float64("duration", 5, "measured seconds")
	warmup := flag.Float64("warmup", 2, "seconds before measuring")
	valueSize := flag.Int("value-size", 100, "bytes per value")
	writeRatio := flag.Float64("write-ratio", 1, "fraction of puts; the rest are linearizable gets")
	keys := flag.Int("keys", 100000, "distinct 16-byte keys")
	label := flag.String("label", "etcd", "name in the output")
	flag.Parse()

	leader, err := findLeader(strings.Split(*endpoints, ","))
	if err != nil {
		fmt.Fprintln(os.Stderr, "etcd-load:", err)
		os.Exit(1)
	}
	n := *conns
	if n <= 0 {
		n = (*clients + 15) / 16
	}
	pool := make([]*clientv3.Client, n)
	for i := range pool {
		pool[i], err = clientv3.New(clientv3.Config{Endpoints: []string{leader}, DialTimeout: 5 * time.Second})
		if err != nil {
			fmt.Fprintln(os.Stderr, "etcd-load:", err)
			os.Exit(1)
		}
		defer pool[i].Close()
	}

	value := strings.Repeat("v", *valueSize)
	start := time.Now()
	measureFrom := start.Add(time.Duration(*warmup * float64(time.Second)))
	measureUntil := measureFrom.Add(time.Duration(*duration * float64(time.Second)))
	var mu sync.Mutex
	var latencies []time.Duration
	errors := 0
	var wg sync.WaitGroup
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			cli := pool[c%len(pool)]
			rng := rand.New(rand.NewSource(time.Now().UnixNano() + int64(c)))
			var mine []time.Duration
			myErrors := 0
			for {
				t0 := time.Now()
				if !t0.Before(measureUntil) {
					break
				}
				key := fmt.Sprintf("key%013d", rng.Intn(*keys))
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				var err error
				if rng.Float64() < *writeRatio {
					_, err = cli.Put(ctx, key, value)
				} else {
					_, err = cli.Get(ctx, key)
				}
				cancel()
				t1 := time.Now()
				if !t0.Before(measureFrom) && !t1.After(measureUntil) {
					if err != nil {
						myErrors++
					} else {
						mine = append(mine, t1.Sub(t0))
					}
				}
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			errors += myErrors
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	report(*label, *clients, *duration, *valueSize, *writeRatio, *keys, latencies, errors)
}

// The client URL of the current leader.
func findLeader(endpoints []string) (string, error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second})
	if err != nil {
		return "", err
	}
	defer cli.Close()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, ep := range endpoints {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			st, err := cli.Status(ctx, ep)
			cancel()
			if err == nil && st.Header.MemberId == st.Leader {
				return ep, nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return "", fmt.Errorf("no leader among %v", endpoints)
}

func percentileMs(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted)-1) + 0.5)
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return float64(sorted[i].Microseconds()) / 1000
}

func report(label string, clients int, duration float64, valueSize int, writeRatio float64, keys int,
	latencies []time.Duration, errors int) {
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	ops := float64(len(latencies)) / duration
	p50, p99, p999 := percentileMs(latencies, 0.5), percentileMs(latencies, 0.99), percentileMs(latencies, 0.999)
	fmt.Printf("%s: %d clients, %.1f s, %d-byte values, write ratio %.2f, %d keys\n",
		label, clients, duration, valueSize, writeRatio, keys)
	fmt.Printf("ops/s %.0f  p50 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  ops %d  errors %d\n",
		ops, p50, p99, p999, len(latencies), errors)
	fmt.Printf("{\"system\":\"%s\",\"clients\":%d,\"duration_s\":%.3f,\"value_size\":%d,"+
		"\"write_ratio\":%.3f,\"keys\":%d,\"ops\":%d,\"errors\":%d,\"ops_per_s\":%.1f,"+
		"\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f}\n",
		label, clients, duration, valueSize, writeRatio, keys, len(latencies), errors, ops, p50, p99, p999)
}
