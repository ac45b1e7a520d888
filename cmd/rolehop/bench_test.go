package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
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
		"AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=us-east-1"}
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
