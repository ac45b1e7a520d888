package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// knownHeavyInit are the linked packages whose init allocates more than heavyInit times: the
// AWS SDK's endpoint tables and schemas, go-cty's function table (through hcl/v2's hclsyntax),
// 99designs/keyring (its Secret Service and KWallet backends dial D-Bus) and the SDK's SigV4a
// signer. rolehop cannot change them; a package that joins them is a cost every start pays.
var knownHeavyInit = []string{
	"github.com/aws/aws-sdk-go-v2/service/sts/internal/endpoints",
	"github.com/aws/aws-sdk-go-v2/service/sso/internal/endpoints",
	"github.com/aws/aws-sdk-go-v2/service/ssooidc/internal/endpoints",
	"github.com/aws/aws-sdk-go-v2/service/signin/internal/endpoints",
	"github.com/aws/aws-sdk-go-v2/service/signin/schemas",
	"github.com/aws/aws-sdk-go-v2/service/ssooidc/schemas",
	"github.com/aws/aws-sdk-go-v2/service/sso/schemas",
	"github.com/aws/aws-sdk-go-v2/internal/v4a",
	"github.com/zclconf/go-cty/cty/function/stdlib",
	"github.com/99designs/keyring",
}

const heavyInit = 100

// rolehop's own packages do no work at init that every start would pay for: no regular
// expression compiled, no table built. GODEBUG=inittrace=1 reports each package's allocations
// at init; a handful (error values, small maps of names) is all there may be. And no library
// with a heavy init joins those rolehop cannot do without (go-cmp did, through hclwrite).
func TestNoInitWork(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "rolehop")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rolehop version: %v\n%s", err, stderr.String())
	}
	const maxAllocs = 16
	seen := 0
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		// init github.com/rolehop/rolehop/internal/chain @22 ms, 0.010 ms clock, 1240 bytes, 4 allocs
		f := strings.Fields(sc.Text())
		if len(f) < 11 || f[0] != "init" {
			continue
		}
		allocs, err := strconv.Atoi(f[9])
		if err != nil {
			t.Fatalf("cannot read %q", sc.Text())
		}
		if !strings.HasPrefix(f[1], "github.com/rolehop/rolehop/") {
			if allocs > heavyInit && !slices.Contains(knownHeavyInit, f[1]) {
				t.Errorf("%s allocates %d times at init, at every start of rolehop: keep it out of the binary, or add it to knownHeavyInit with the reason it cannot be", f[1], allocs)
			}
			continue
		}
		seen++
		if allocs > maxAllocs {
			t.Errorf("%s allocates %d times at init, want at most %d: build its tables and regular expressions on first use", f[1], allocs, maxAllocs)
		}
	}
	if seen == 0 {
		t.Fatalf("no init line of rolehop's packages in:\n%s", stderr.String())
	}
}
