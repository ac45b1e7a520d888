package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/rolehop/rolehop/internal/mototest"
)

// BenchmarkExecTrue measures, side by side in one run, the wall time of bare `true`, of one
// STS AssumeRole round trip to moto made in-process, and of `rolehop exec --iam-role ... --
// true` (which makes that same call), and reports rolehop's peak RSS. overhead-ms is what
// rolehop adds beyond starting `true` and the STS round trip.
func BenchmarkExecTrue(b *testing.B) {
	bin := buildRolehop(b)
	// A clean environment, so the numbers do not depend on the machine's own AWS settings
	// (an AWS_CA_BUNDLE alone costs the SDK milliseconds of certificate parsing per start).
	home := b.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_ENDPOINT_URL_STS=" + moto.URL, "AWS_ACCESS_KEY_ID=AKIABENCHKEY00000001", "AWS_SECRET_ACCESS_KEY=bench",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=us-east-1", "ROLEHOP_NO_CACHE=1"}
	client := sts.New(sts.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(moto.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIABENCHKEY00000001", "bench", ""),
	})
	var bare, rolehop, roundTrip time.Duration
	var peakRSS int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bare += timeRun(b, exec.Command("true"), nil)
		start := time.Now()
		_, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
			RoleArn: aws.String("arn:aws:iam::111111111111:role/bench"), RoleSessionName: aws.String("bench"), DurationSeconds: aws.Int32(3600),
		})
		if err != nil {
			b.Fatal(err)
		}
		roundTrip += time.Since(start)
		cmd := exec.Command(bin, "exec", "--iam-role", "arn:aws:iam::111111111111:role/bench", "--", "true")
		cmd.Env = env
		rolehop += timeRun(b, cmd, &peakRSS)
	}
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / n }
	b.ReportMetric(ms(bare), "true-ms")
	b.ReportMetric(ms(roundTrip), "sts-ms")
	b.ReportMetric(ms(rolehop), "rolehop-ms")
	b.ReportMetric(ms(rolehop-bare-roundTrip), "overhead-ms")
	b.ReportMetric(float64(rolehop)/float64(bare), "rolehop/true")
	b.ReportMetric(float64(peakRSS)/1024, "peak-RSS-MiB")
}

// timeRun runs cmd and returns its wall time, raising *peak to its maximum resident set.
func timeRun(b *testing.B, cmd *exec.Cmd, peak *int64) time.Duration {
	b.Helper()
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	d := time.Since(start)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && peak != nil && ru.Maxrss > *peak {
		*peak = ru.Maxrss // KiB on Linux
	}
	return d
}

func buildRolehop(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "rolehop")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as `make build` builds it
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// benchEnv is a clean environment for rolehop with an encrypted file keyring under home.
func benchEnv(home, sts string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_ENDPOINT_URL_STS=" + sts, "AWS_ACCESS_KEY_ID=AKIABENCHKEY00000001", "AWS_SECRET_ACCESS_KEY=bench",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=us-east-1",
		"ROLEHOP_KEYRING_BACKEND=file", "ROLEHOP_KEYRING_PASSPHRASE=bench-passphrase"}
}

// BenchmarkExecWarmCache measures `rolehop exec --iam-role ... -- true` with a warm cache beside
// bare `true` and beside a cold run (cache cleared first), and checks that warm runs make no
// network call at all.
func BenchmarkExecWarmCache(b *testing.B) {
	bin := buildRolehop(b)
	rec, err := mototest.NewRecorder(moto.URL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rec.Close() })
	env := benchEnv(b.TempDir(), rec.URL)
	rolehop := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		return cmd
	}
	run := []string{"exec", "--iam-role", "arn:aws:iam::111111111111:role/bench", "--", "true"}
	var bare, warm, cold time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bare += timeRun(b, exec.Command("true"), nil)
		timeRun(b, rolehop("cache", "clear"), nil)
		cold += timeRun(b, rolehop(run...), nil)
		before := len(rec.Calls())
		warm += timeRun(b, rolehop(run...), nil)
		if n := len(rec.Calls()) - before; n != 0 {
			b.Fatalf("a warm run made %d STS calls", n)
		}
	}
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / n }
	b.ReportMetric(ms(bare), "true-ms")
	b.ReportMetric(ms(warm), "warm-ms")
	b.ReportMetric(ms(cold), "cold-ms")
	b.ReportMetric(float64(warm)/float64(bare), "warm/true")
	b.ReportMetric(float64(cold)/float64(warm), "cold/warm")
}

// BenchmarkColdStart20 starts 20 rolehop processes together with a cold cache and reports the
// wall time until all have run their command, and the STS calls they made between them (1).
func BenchmarkColdStart20(b *testing.B) {
	bin := buildRolehop(b)
	rec, err := mototest.NewRecorder(moto.URL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rec.Close() })
	var wall time.Duration
	calls := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		env := benchEnv(b.TempDir(), rec.URL)
		rec.Reset()
		start := time.Now()
		cmds := make([]*exec.Cmd, 20)
		for j := range cmds {
			cmds[j] = exec.Command(bin, "exec", "--iam-role", "arn:aws:iam::111111111111:role/bench", "--", "true")
			cmds[j].Env = env
			if err := cmds[j].Start(); err != nil {
				b.Fatal(err)
			}
		}
		for _, c := range cmds {
			if err := c.Wait(); err != nil {
				b.Fatal(err)
			}
		}
		wall += time.Since(start)
		calls += len(rec.Calls())
	}
	b.ReportMetric(float64(wall.Microseconds())/1000/float64(b.N), "wall-ms")
	b.ReportMetric(float64(calls)/float64(b.N), "sts-calls")
}

// BenchmarkServerLoad loads the credential endpoint of a running `rolehop exec --server` from a
// second process on loopback (wrk when installed, else this process) with 64 concurrent
// keep-alive clients: flat out for the most requests per second it answers, then paced at about
// 20,000 requests per second for the 99th percentile latency at that rate. The load must cause
// no STS call.
func BenchmarkServerLoad(b *testing.B) {
	bin := buildRolehop(b)
	rec, err := mototest.NewRecorder(moto.URL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rec.Close() })
	dir := b.TempDir()
	endpoint := filepath.Join(dir, "endpoint")
	cmd := exec.Command(bin, "exec", "--server", "--no-cache", "--iam-role", "arn:aws:iam::111111111111:role/bench", "--",
		"sh", "-c", `printf '%s %s' "$AWS_CONTAINER_CREDENTIALS_FULL_URI" "$AWS_CONTAINER_AUTHORIZATION_TOKEN" > "$0"; exec sleep 600`, endpoint)
	cmd.Env = benchEnv(dir, rec.URL)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url, token := waitEndpoint(b, endpoint)
	before := len(rec.Calls())

	const clients, rate, period = 64, 20000, 2 * time.Second
	if _, err := exec.LookPath("wrk"); err == nil {
		b.ResetTimer()
		var maxRate, pacedRate, p99 float64
		for i := 0; i < b.N; i++ {
			r, _ := runWrk(b, url, token, clients, period, "")
			maxRate += r
			r, lat := runWrk(b, url, token, clients, period, pacing(b, dir))
			pacedRate += r
			p99 = max(p99, lat)
		}
		b.ReportMetric(maxRate/float64(b.N), "max-req/s")
		b.ReportMetric(pacedRate/float64(b.N), "paced-req/s")
		b.ReportMetric(p99, "p99-µs-at-20k/s")
	} else {
		b.Log("wrk is not installed (apt-get install wrk): measuring with a Go load generator, which shares the CPUs with the endpoint and adds its own latency")
		var flatOut int
		var paced []time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			n, _ := load(b, url, token, clients, 0, period)
			flatOut += n
			_, lat := load(b, url, token, clients, rate, period)
			paced = append(paced, lat...)
		}
		slices.Sort(paced)
		b.ReportMetric(float64(flatOut)/(float64(b.N)*period.Seconds()), "max-req/s")
		b.ReportMetric(float64(len(paced))/(float64(b.N)*period.Seconds()), "paced-req/s")
		b.ReportMetric(float64(paced[len(paced)*99/100].Microseconds()), "p99-µs-at-20k/s")
	}
	if n := len(rec.Calls()) - before; n != 0 {
		b.Fatalf("the load made %d STS calls", n)
	}
}

// pacing writes a wrk script that holds each of 64 connections to about 330 requests a second
// (wrk waits whole milliseconds between requests: 3, 3, 3, 2 ms), a little over 20,000 in all.
func pacing(b *testing.B, dir string) string {
	b.Helper()
	path := filepath.Join(dir, "pace.lua")
	script := "local n = 0\nfunction delay()\n  n = n + 1\n  if n % 4 == 0 then return 2 end\n  return 3\nend\n"
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// runWrk loads url with wrk and returns the requests per second and the 99th percentile latency
// in microseconds.
func runWrk(b *testing.B, url, token string, clients int, d time.Duration, script string) (rate, p99 float64) {
	b.Helper()
	args := []string{"-t2", fmt.Sprintf("-c%d", clients), fmt.Sprintf("-d%ds", int(d.Seconds())), "--latency", "-H", "Authorization: " + token}
	if script != "" {
		args = append(args, "-s", script)
	}
	out, err := exec.Command("wrk", append(args, url)...).CombinedOutput()
	if err != nil {
		b.Fatalf("wrk: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			fmt.Sscan(f[1], &rate)
		case len(f) == 2 && f[0] == "99%":
			p99 = wrkMicros(b, f[1])
		case strings.Contains(line, "Non-2xx"):
			b.Fatalf("wrk saw failed requests:\n%s", out)
		}
	}
	if rate == 0 || p99 == 0 {
		b.Fatalf("cannot read wrk's output:\n%s", out)
	}
	return rate, p99
}

// wrkMicros reads a wrk latency such as 643.00us, 1.46ms or 2.01s, in microseconds.
func wrkMicros(b *testing.B, s string) float64 {
	b.Helper()
	for _, u := range []struct {
		suffix string
		scale  float64
	}{{"us", 1}, {"ms", 1e3}, {"s", 1e6}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err == nil {
				return f * u.scale
			}
		}
	}
	b.Fatalf("cannot read wrk latency %q", s)
	return 0
}

func waitEndpoint(b *testing.B, path string) (url, token string) {
	b.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if data, err := os.ReadFile(path); err == nil {
			if u, t, ok := strings.Cut(string(data), " "); ok && t != "" {
				return u, t
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Fatal("rolehop exec --server did not start its command")
	return "", ""
}

// load runs clients concurrent keep-alive clients against url for d, each sending as fast as
// it can (rate 0) or its share of rate requests per second, and returns how many requests
// succeeded and each one's latency, measured from when it was due so that a slow answer cannot
// hide the requests queued behind it.
func load(b *testing.B, url, token string, clients, rate int, d time.Duration) (int, []time.Duration) {
	b.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	start := time.Now()
	stop := start.Add(d)
	var interval time.Duration
	if rate > 0 {
		interval = time.Duration(clients) * time.Second / time.Duration(rate)
	}
	results := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Authorization", token)
			due := start.Add(time.Duration(c) * interval / time.Duration(clients))
			for due.Before(stop) {
				if interval > 0 {
					time.Sleep(time.Until(due))
				} else {
					due = time.Now()
				}
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
					return
				}
				results[c] = append(results[c], time.Since(due))
				due = due.Add(interval)
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d clients failed", n)
	}
	var all []time.Duration
	for _, r := range results {
		all = append(all, r...)
	}
	return len(all), all
}
