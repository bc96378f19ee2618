package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/termtext"
	"github.com/tok-cli/tok/internal/when"
)

// ErrDeviceCodeExpired is returned by LoginDevice when the device code
// expired before the person finished signing in.
var ErrDeviceCodeExpired = errors.New("the device code expired before the sign-in was finished; run the login again")

// LoginDevice runs the device authorization grant (RFC 8628): it asks for a
// device and user code, prints the verification URI, the user code and
// verification_uri_complete to ui.Out (opening the complete URI in a browser
// when allowed), then polls the token endpoint at the given interval, slowing
// down on slow_down, until tokens arrive (polling stops at once), the person
// denies access (an *Error with Code access_denied), the code expires
// (ErrDeviceCodeExpired) or ctx ends.
func LoginDevice(ctx context.Context, cfg Config, ui UI) (Token, error) {
	if cfg.DeviceAuthURL == "" {
		return Token{}, configErrorf("the provider has no device authorization endpoint; use another flow or set the device authorization URL")
	}
	if err := ValidateEndpointURL(cfg.DeviceAuthURL); err != nil {
		return Token{}, err
	}
	if err := cfg.requireTokenURL(); err != nil {
		return Token{}, err
	}
	hc := cfg.httpClient()
	ctx = withHTTPClient(ctx, hc)

	opts := cfg.audienceOptions()
	if cfg.ClientSecret != "" {
		// x/oauth2 sends only client_id here; a confidential client
		// authenticates with client_secret_post, which device-enabled
		// providers accept.
		opts = append(opts, oauth2.SetAuthURLParam("client_secret", cfg.ClientSecret))
	}
	authOp := "device authorization at " + cfg.DeviceAuthURL
	da, err := cfg.oauth2Config(oauth2.AuthStyleInParams).DeviceAuth(ctx, opts...)
	if err != nil {
		return Token{}, wrapError(authOp, err, cfg.ClientSecret)
	}
	if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return Token{}, &Error{Op: authOp, Err: errors.New("the response lacks device_code, user_code or verification_uri")}
	}
	if err := checkVerificationURIs(da); err != nil {
		return Token{}, &Error{Op: authOp, Err: err}
	}
	// The user code is the provider's text on the person's terminal.
	da.UserCode = termtext.Clean(da.UserCode)
	start, err := showDeviceInstructions(ui, da)
	if err != nil {
		return Token{}, err
	}
	if start != nil {
		defer start.close()
		// A second request for the start address: someone else holds the
		// user code and may be signing in with their own account. Stop.
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		defer cancel(nil)
		go func() {
			select {
			case <-start.reused:
				ui.log().Debug("the device sign-in start address was requested a second time; stopping the login")
				cancel(errStartReused)
			case <-ctx.Done():
			}
		}()
	}

	op := "device sign-in at " + cfg.TokenURL
	var tok *oauth2.Token
	status := WaitStatus{Flow: WaitDevice, URL: da.VerificationURI, UserCode: da.UserCode, Expiry: da.Expiry}
	var pollErr error
	var method ClientAuth
	waitErr := ui.wait(ctx, status, func(ctx context.Context) error {
		method, pollErr = cfg.withAuthFallback(func(style oauth2.AuthStyle) error {
			var err error
			tok, err = cfg.oauth2Config(style).DeviceAccessToken(ctx, da)
			return err
		})
		return pollErr
	})
	if waitErr != nil && (pollErr == nil || !errors.Is(waitErr, pollErr)) {
		// The UI ended the wait itself: the person cancelled.
		return Token{}, waitErr
	}
	err = pollErr
	switch {
	case err == nil:
	case errors.Is(context.Cause(ctx), errStartReused):
		return Token{}, fmt.Errorf("device sign-in at %s: %w", cfg.TokenURL, errStartReused)
	case ctx.Err() != nil:
		return Token{}, fmt.Errorf("gave up waiting for the device sign-in: %w", ctx.Err())
	case errors.Is(err, context.DeadlineExceeded) || ErrorCode(err) == "expired_token":
		// x/oauth2 bounds polling by the code's expires_in with a deadline.
		return Token{}, fmt.Errorf("device sign-in at %s: %w", cfg.TokenURL, ErrDeviceCodeExpired)
	default:
		return Token{}, wrapError(op, err, da.DeviceCode, cfg.ClientSecret)
	}
	return withMethod(cfg.finish(ctx, hc, op, tok, idTokenCheck{}))(method)
}

// checkVerificationURIs holds the addresses a device authorization response
// sends the person to to the rules of endpoint URLs: they are printed and
// handed to the browser opener, where anything but an https (or loopback
// http) address could be read as an option or open something else.
func checkVerificationURIs(da *oauth2.DeviceAuthResponse) error {
	if err := ValidateEndpointURL(da.VerificationURI); err != nil {
		return fmt.Errorf("unusable verification_uri: %w", err)
	}
	if da.VerificationURIComplete != "" {
		if err := ValidateEndpointURL(da.VerificationURIComplete); err != nil {
			return fmt.Errorf("unusable verification_uri_complete: %w", err)
		}
	}
	return nil
}

// showDeviceInstructions prints where and how to sign in and opens the
// browser when allowed. verification_uri_complete holds the user code, so
// the opener gets a one-time local start address for it (returned, to be
// watched and closed), never the address itself.
func showDeviceInstructions(ui UI, da *oauth2.DeviceAuthResponse) (*startRedirect, error) {
	out := ui.out()
	fmt.Fprintf(out, "To sign in, open %s in a browser on any device\nand enter the code: %s\n", da.VerificationURI, da.UserCode)
	target := da.VerificationURI
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(out, "Or open this link, which already holds the code:\n\n    %s\n\n", da.VerificationURIComplete)
		target = da.VerificationURIComplete
	}
	var start *startRedirect
	if da.VerificationURIComplete != "" && !ui.NoBrowser && ui.OpenBrowser != nil {
		var err error
		if start, err = serveStartRedirect(target, ui.RetryCommand); err != nil {
			return nil, err
		}
		target = start.url
	}
	switch tried, err := ui.open(target); {
	case tried && err == nil:
		fmt.Fprintln(out, "Opened a browser at that address.")
	case tried:
		fmt.Fprintln(out, "Could not open a browser (--debug tells why); open the address yourself.")
	}
	switch {
	case ui.Wait != nil:
		// The UI shows the wait and the time left itself.
	case !da.Expiry.IsZero():
		fmt.Fprintf(out, "Waiting for the sign-in (the code expires at %s)...\n", when.Format(da.Expiry, time.Now()))
	default:
		fmt.Fprintln(out, "Waiting for the sign-in...")
	}
	return start, nil
}
