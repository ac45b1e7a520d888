package settings

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rolehop/rolehop/internal/display"
	"github.com/rolehop/rolehop/internal/mfa"
	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/settings/spec"
)

// mfa sets up the MFA device: an MFA session before the hops, or codes on AssumeRole calls
// (--mfa-on-assume, or mfa_serial in an assume_role block).
func (r *resolver) mfa(p *plan.Plan) error {
	serial, err := r.lookup(spec.KeyMFASerial)
	if err != nil {
		return err
	}
	if !serial.set {
		serial = r.profileSerial
	}
	onAssume, onSrc, err := r.lookupBool(spec.KeyMFAOnAssume)
	if err != nil {
		return err
	}
	needCodes := serial.set
	for _, h := range p.Hops {
		needCodes = needCodes || h.MFASerial != ""
	}
	r.show(spec.KeyMFASerial, orNone(serial.raw, "(none)"), serial.src)
	if !needCodes {
		if onAssume {
			return fmt.Errorf("%s: --mfa-on-assume needs an MFA serial number; set --serial-number", onSrc)
		}
		// An auth provider may add a role later, but never an MFA device: a code given now would
		// go unused.
		code, err := r.lookup(spec.KeyTokenCode)
		if err != nil {
			return err
		}
		if code.set {
			return fmt.Errorf("%s: the MFA code has no MFA device to go with it; set --serial-number (or mfa_serial in an assume_role block)", code.src)
		}
		return nil
	}
	if p.Codes, err = r.codes(); err != nil {
		return err
	}
	if !serial.set {
		return nil
	}
	sn := strings.TrimSpace(serial.raw)
	if err := mfa.CheckSerial(sn); err != nil {
		return fmt.Errorf("%s: %w", serial.src, err)
	}
	m := &plan.MFA{Serial: sn, Origin: serial.src, OnAssume: onAssume}
	if m.SessionDuration, r.mfaDuration, err = r.lookupDuration(spec.KeyMFASessionDuration); err != nil {
		return err
	}
	if err := plan.CheckMFASessionDuration(m.SessionDuration); err != nil {
		return fmt.Errorf("%s: %w", r.mfaDuration, err)
	}
	if onAssume && len(p.Hops) > 0 {
		p.Hops[0].MFASerial = sn
		p.Hops[0].Origin[plan.FieldMFASerial] = onSrc
	}
	p.MFA = m
	r.show(spec.KeyMFASessionDuration, display.Duration(m.SessionDuration), r.mfaDuration)
	r.show(spec.KeyMFAOnAssume, strconv.FormatBool(onAssume), onSrc)
	return nil
}

// codes chooses where MFA codes come from: the code given, else a command, else the terminal.
func (r *resolver) codes() (plan.CodeSource, error) {
	code, err := r.lookup(spec.KeyTokenCode)
	if err != nil {
		return nil, err
	}
	if code.set {
		c := strings.TrimSpace(code.raw)
		if err := mfa.CheckCode(c); err != nil {
			return nil, fmt.Errorf("%s: %w", code.src, err)
		}
		r.show(spec.KeyTokenCode, "<redacted>", code.src)
		return mfa.Static(c), nil
	}
	cmd, err := r.lookup(spec.KeyMFATokenCmd)
	if err != nil {
		return nil, err
	}
	if cmd.set {
		r.show(spec.KeyMFATokenCmd, cmd.raw, cmd.src)
		return mfa.Command{Line: cmd.raw, Dir: r.in.Dir, Terminal: true, Stderr: r.in.Stderr}, nil
	}
	r.show(spec.KeyTokenCode, "(asked on the terminal when needed)", code.src)
	return mfa.Prompt{}, nil
}
