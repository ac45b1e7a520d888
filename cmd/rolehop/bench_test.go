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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/rolehop/rolehop/internal/mototest"
)

// BenchmarkStartup measures, interleaved in one run so that the machine's load falls on every
// row alike, the wall time and peak RSS of: a Go hello world and a minimal Go program that runs
// `true` (the floor every exec is compared with), the same program linking every package
// rolehop links (testdata/linkfloor: their init alone), `rolehop version`, and for the encrypted file
// keyring and the kernel keyring a warm `rolehop exec -- true` (a cache hit: no STS call) with
// keys from the environment and with stored keys, a warm `credential-process`, and a cold exec
// (an empty cache: one AssumeRole), beside one AssumeRole round trip made in-process. It logs a
// table of medians and ratios (the README's) and reports the ratios as metrics.
func BenchmarkStartup(b *testing.B) {
	bin := buildRolehop(b)
	hello := buildProgram(b, "hello", `os.Stdout.WriteString("hello\n")`)
	floor := buildProgram(b, "floor", `cmd := exec.Command("true")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if cmd.Run() != nil {
		os.Exit(1)
	}`)
	linked := filepath.Join(b.TempDir(), "linkfloor")
	build := exec.Command("go", "build", "-trimpath", "-o", linked+".linked", "./testdata/linkfloor")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build linkfloor: %v\n%s", err, out)
	}
	install(b, linked+".linked", linked)
	// The peak RSS a parent reads from wait4 includes its own at the fork, so each row's is
	// read by a small program that runs it once: its own few MiB are a floor under the figure.
	peak := buildProgram(b, "peakrss", `cmd := exec.Command(os.Args[1], os.Args[2:]...)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		os.Exit(1)
	}
	os.Stdout.WriteString(strconv.FormatInt(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss, 10))`)
	rec, err := mototest.NewRecorder(moto.URL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rec.Close() })
	// The in-process round trip goes the way rolehop's does (through the recorder) on a new
	// connection each time, as a new process has no connection to reuse.
	roundTrip := func(role string) {
		client := sts.New(sts.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(rec.URL), HTTPClient: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}},
			Credentials: credentials.NewStaticCredentialsProvider("AKIABENCHKEY00000001", "bench", ""),
		})
		if _, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
			RoleArn: aws.String(role), RoleSessionName: aws.String("bench"), DurationSeconds: aws.Int32(3600),
		}); err != nil {
			b.Fatal(err)
		}
	}
	const role = "arn:aws:iam::111111111111:role/bench"
	// Every entry lasts 15 minutes: the kernel keyring is the user's own, shared with any real
	// use of rolehop, so the benchmark adds only what expires soon, and clears nothing.
	run := []string{"exec", "--iam-role", role, "--duration", "15m", "--", "true"}
	stored := []string{"exec", "--credentials", "rolehop-bench", "--iam-role", role, "--duration", "15m", "--", "true"}
	credproc := []string{"credential-process", "--iam-role", role, "--duration", "15m"}
	cold := func(i int) []string {
		return []string{"exec", "--iam-role", role, "--duration", "15m", "--session-name", fmt.Sprintf("cold-%d-%d", time.Now().UnixNano(), i), "--", "true"}
	}

	t := newTimings(peak)
	stores := []string{"file", "keyctl"}
	envs := map[string][]string{}
	for _, store := range stores {
		env := append(benchEnv(b.TempDir(), rec.URL), "ROLEHOP_KEYRING_BACKEND="+store)
		envs[store] = env
		mustRun(b, env, bin, "credentials", "add", "rolehop-bench", "--from-env")
		b.Cleanup(func() {
			cmd := exec.Command(bin, "credentials", "remove", "rolehop-bench")
			cmd.Env = env
			cmd.Run()
		})
		mustRun(b, env, bin, run...)
		mustRun(b, env, bin, stored...)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t.run(b, "Go hello world", nil, hello)
		t.run(b, "floor: Go program running true", nil, floor)
		t.run(b, "the floor, linking rolehop's packages", nil, linked)
		t.run(b, "rolehop version", nil, bin, "version")
		before := len(rec.Calls())
		start := time.Now()
		roundTrip(role)
		t.add("one AssumeRole round trip (in-process)", time.Since(start), 0)
		if n := len(rec.Calls()) - before; n != 1 {
			b.Fatalf("the in-process round trip made %d STS calls", n)
		}
		for _, store := range stores {
			env := envs[store]
			before := len(rec.Calls())
			t.run(b, "cold exec, "+store+" keyring", env, bin, cold(i)...)
			if n := len(rec.Calls()) - before; n != 1 {
				b.Fatalf("a cold run with the %s keyring made %d STS calls, want 1", store, n)
			}
			t.run(b, "warm exec, "+store+" keyring", env, bin, run...)
			t.run(b, "warm exec, stored keys, "+store+" keyring", env, bin, stored...)
			t.run(b, "warm credential-process, "+store+" keyring", env, bin, credproc...)
			if n := len(rec.Calls()) - before; n != 1 {
				b.Fatalf("warm runs with the %s keyring made %d STS calls", store, n-1)
			}
		}
	}
	b.StopTimer()
	t.report(b)
}

// timings keeps each row's wall times and peak RSS, in the order rows were first seen.
type timings struct {
	peakrss string // the program that reads a run's peak RSS
	order   []string
	walls   map[string][]time.Duration
	rss     map[string]int64 // KiB
}

func newTimings(peakrss string) *timings {
	return &timings{peakrss: peakrss, walls: map[string][]time.Duration{}, rss: map[string]int64{}}
}

func (t *timings) add(row string, d time.Duration, rssKiB int64) {
	if _, ok := t.walls[row]; !ok {
		t.order = append(t.order, row)
	}
	t.walls[row] = append(t.walls[row], d)
	t.rss[row] = max(t.rss[row], rssKiB)
}

// run times one run of bin with args in env (nil: an empty environment but PATH), and for
// the first runs of a row reads the peak RSS of another.
func (t *timings) run(b *testing.B, row string, env []string, bin string, args ...string) {
	b.Helper()
	if env == nil {
		env = []string{"PATH=" + os.Getenv("PATH")}
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	d := time.Since(start)
	var rss int64
	if len(t.walls[row]) < 3 {
		cmd := exec.Command(t.peakrss, append([]string{bin}, args...)...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("%v: %v", cmd.Args, err)
		}
		if rss, err = strconv.ParseInt(string(out), 10, 64); err != nil {
			b.Fatalf("peak RSS of %v: %q", cmd.Args, out)
		}
	}
	t.add(row, d, rss)
}

func (t *timings) median(row string) float64 {
	w := slices.Sorted(slices.Values(t.walls[row]))
	return float64(w[len(w)/2].Microseconds()) / 1000
}

// report logs the table and reports the ratios that the targets are set on.
func (t *timings) report(b *testing.B) {
	floor, hello := t.median("floor: Go program running true"), t.median("Go hello world")
	var out strings.Builder
	fmt.Fprintf(&out, "medians of %d runs each\n%-44s %9s %9s %9s\n", b.N, "", "wall ms", "÷ floor", "RSS MiB")
	for _, row := range t.order {
		ms := t.median(row)
		rss := "-"
		if t.rss[row] > 0 {
			rss = fmt.Sprintf("%.1f", float64(t.rss[row])/1024)
		}
		fmt.Fprintf(&out, "%-44s %9.2f %9.2f %9s\n", row, ms, ms/floor, rss)
	}
	sts := t.median("one AssumeRole round trip (in-process)")
	for _, store := range []string{"file", "keyctl"} {
		cold, warm := t.median("cold exec, "+store+" keyring"), t.median("warm exec, "+store+" keyring")
		fmt.Fprintf(&out, "cold exec, %s keyring: %.2f ms beyond the floor and one round trip, %.2f ms beyond a warm exec and one round trip\n", store, cold-floor-sts, cold-warm-sts)
		b.ReportMetric(cold-warm-sts, "miss-extra-ms-"+store)
		b.ReportMetric(t.median("warm exec, "+store+" keyring")/floor, "warm-"+store+"/floor")
		b.ReportMetric(t.median("warm exec, stored keys, "+store+" keyring")/floor, "warm-stored-"+store+"/floor")
		b.ReportMetric(t.median("warm credential-process, "+store+" keyring")/floor, "credproc-"+store+"/floor")
		b.ReportMetric(cold-floor-sts, "cold-extra-ms-"+store)
	}
	fmt.Fprintf(&out, "rolehop version ÷ Go hello world: %.2f\n", t.median("rolehop version")/hello)
	b.ReportMetric(t.median("rolehop version")/hello, "version/hello")
	var peak int64
	for row, kib := range t.rss {
		if strings.Contains(row, "exec") || strings.Contains(row, "credential-process") {
			peak = max(peak, kib)
		}
	}
	b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
	if b.N > 1 {
		// Printed rather than logged: the testing package cuts a benchmark's log short.
		fmt.Print(out.String())
	}
}

func mustRun(b *testing.B, env []string, bin string, args ...string) {
	b.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
}

func buildRolehop(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "rolehop")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin+".linked", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as `make build` builds it
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	install(b, bin+".linked", bin)
	return bin
}

// install copies the program the linker wrote at linked to bin, as installing it would, and
// removes linked. The file the linker has just written stays in the page cache as it wrote it,
// and starts measurably slower (0.4 ms for rolehop on the test machine, less for a smaller
// program) than the same bytes copied, or read back from disk after a reboot: every program
// the benchmark times is timed as an installed one.
func install(b *testing.B, linked, bin string) {
	b.Helper()
	data, err := os.ReadFile(linked)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.Remove(linked); err != nil {
		b.Fatal(err)
	}
}

// buildProgram builds a Go program whose main is body, as rolehop is built.
func buildProgram(b *testing.B, name, body string) string {
	b.Helper()
	dir := b.TempDir()
	src := "package main\n\nimport (\n\t\"os\"\n\t\"os/exec\"\n\t\"strconv\"\n\t\"syscall\"\n)\n\nvar (\n\t_ = exec.Command\n\t_ = strconv.Itoa\n\t_ = syscall.Getpid\n)\n\nfunc main() {\n\t" + body + "\n}\n"
	for file, data := range map[string]string{"main.go": src, "go.mod": "module " + name + "\n\ngo 1.26\n"} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(data), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin+".linked", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", name, err, out)
	}
	install(b, bin+".linked", bin)
	return bin
}

// benchEnv is a clean environment for rolehop with an encrypted file keyring under home, so
// that the numbers do not depend on the machine's own AWS settings (an AWS_CA_BUNDLE alone
// costs the SDK milliseconds of certificate parsing on a cache miss).
func benchEnv(home, sts string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_ENDPOINT_URL_STS=" + sts, "AWS_ACCESS_KEY_ID=AKIABENCHKEY00000001", "AWS_SECRET_ACCESS_KEY=bench",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=us-east-1",
		"ROLEHOP_KEYRING_BACKEND=file", "ROLEHOP_KEYRING_PASSPHRASE=bench-passphrase"}
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
