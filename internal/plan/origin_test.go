package plan

import (
	"testing"
	"time"
)

// TestOrigin shows how each layer is named in messages and whether it counts as set.
func TestOrigin(t *testing.T) {
	for _, tt := range []struct {
		origin   Origin
		want     string
		explicit bool
	}{
		{Origin{}, "default", false},
		{Origin{Layer: FromDefault, Name: "found from the working directory up"}, "found from the working directory up", false},
		{Origin{Layer: FromFile, Name: "rolehop.hcl:4", Dir: "/repo"}, "rolehop.hcl:4", true},
		{Origin{Layer: FromEnv, Name: "ROLEHOP_DURATION"}, "env ROLEHOP_DURATION", true},
		{Origin{Layer: FromFlag, Name: "--duration"}, "flag --duration", true},
		{Origin{Layer: FromProvider, Name: "flag --auth-provider-cmd: auth provider ./p.sh awsRole.duration"},
			"flag --auth-provider-cmd: auth provider ./p.sh awsRole.duration", true},
	} {
		if got := tt.origin.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.origin, got, tt.want)
		}
		if got := tt.origin.Explicit(); got != tt.explicit {
			t.Errorf("%+v.Explicit() = %v, want %v", tt.origin, got, tt.explicit)
		}
	}
	if !(FromDefault < FromFile && FromFile < FromEnv && FromEnv < FromFlag) {
		t.Error("layers are not ordered from weakest to strongest")
	}
}

func TestCheckMFASessionDuration(t *testing.T) {
	for _, tt := range []struct {
		d       time.Duration
		wantErr string
	}{
		{15 * time.Minute, ""},
		{DefaultMFASessionDuration, ""},
		{36 * time.Hour, ""},
		{15*time.Minute - time.Second, "MFA session duration 14m59s is out of range; STS accepts 15m to 36h"},
		{40 * time.Hour, "MFA session duration 40h is out of range; STS accepts 15m to 36h"},
	} {
		err := CheckMFASessionDuration(tt.d)
		if got := errString(err); got != tt.wantErr {
			t.Errorf("CheckMFASessionDuration(%s) = %q, want %q", tt.d, got, tt.wantErr)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
