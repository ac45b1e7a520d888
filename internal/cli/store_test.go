package cli

import (
	"errors"
	"testing"

	"github.com/rolehop/rolehop/internal/plan"
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
