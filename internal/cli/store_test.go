package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/secretstore"
	"github.com/rolehop/rolehop/internal/settings"
)

// TestStoreRequired shows when a secret store that cannot be opened stops the run: when the
// user asked for it (stored keys, or a backend named for the cache), and never when rolehop
// chose the backend for the cache on its own.
func TestStoreRequired(t *testing.T) {
	unavailable := errors.New("secret store unavailable: file: no passphrase")
	tests := []struct {
		name  string
		plan  plan.Plan
		store settings.Store
		want  string
	}{
		{name: "cache with the first backend that works", want: ""},
		{name: "cache with a chosen backend", store: settings.Store{Backend: "file", BackendOrigin: plan.Origin{Layer: plan.FromEnv, Name: "ROLEHOP_KEYRING_BACKEND"}},
			want: "env ROLEHOP_KEYRING_BACKEND: secret store unavailable: file: no passphrase; the credential cache needs it: fix that, choose another backend, or turn the cache off with --no-cache"},
		{name: "chosen backend, cache off", store: settings.Store{Backend: "file", BackendOrigin: plan.Origin{Layer: plan.FromFlag, Name: "--keyring-backend"}, NoCache: true}, want: ""},
		{name: "chosen backend, cache off, server", store: settings.Store{Backend: "file", NoCache: true, Server: true}, want: ""},
		{name: "stored keys", plan: plan.Plan{StoredCredentials: "work", StoredOrigin: plan.Origin{Layer: plan.FromFlag, Name: "--credentials"}}, store: settings.Store{NoCache: true},
			want: "flag --credentials: secret store unavailable: file: no passphrase"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := storeRequired(&settings.Result{Plan: tt.plan, Store: tt.store}, unavailable)
			got := ""
			if err != nil {
				got = err.Error()
				if !errors.Is(err, unavailable) {
					t.Errorf("error %v does not wrap the store's", err)
				}
			}
			if got != tt.want {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestCacheOffNotice shows when a cache that rolehop turned off for want of a store says so
// on stderr: only when that costs an MFA code on every run, naming the passphrase when that is
// what the file keyring lacked.
func TestCacheOffNotice(t *testing.T) {
	noPassphrase := fmt.Errorf("%w: file: %w: set ROLEHOP_KEYRING_PASSPHRASE", secretstore.ErrUnavailable, secretstore.ErrNoPassphrase)
	refused := fmt.Errorf("%w: file: the keyring directory: a link", secretstore.ErrUnavailable)
	session := &plan.MFA{Serial: "arn:aws:iam::123456789012:mfa/jane"}
	mfaHop := plan.Hop{MFASerial: "arn:aws:iam::123456789012:mfa/jane"}
	const head = "the credential cache is off, so every run needs a new MFA code: "
	const how = "choose a store with --keyring-backend, or turn the cache off with --no-cache (ROLEHOP_NO_CACHE=1) to hide this"
	tests := []struct {
		name string
		plan plan.Plan
		err  error
		want string
	}{
		{name: "no MFA", plan: plan.Plan{Hops: []plan.Hop{{}}}, err: noPassphrase, want: ""},
		{name: "MFA session, no passphrase", plan: plan.Plan{MFA: session}, err: noPassphrase,
			want: head + "the file keyring needs ROLEHOP_KEYRING_PASSPHRASE, which the cache never asks for; set it, " + how},
		{name: "MFA on a hop, no passphrase", plan: plan.Plan{Hops: []plan.Hop{{}, mfaHop}}, err: noPassphrase,
			want: head + "the file keyring needs ROLEHOP_KEYRING_PASSPHRASE, which the cache never asks for; set it, " + how},
		{name: "MFA session, another reason", plan: plan.Plan{MFA: session}, err: refused,
			want: head + "no secret store could be opened (--debug says why); fix that, " + how},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cacheOffNotice(&tt.plan, tt.err); got != tt.want {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}
