package tokens

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
)

// grantOf is the grant type each login flow uses at the token endpoint.
var grantOf = map[record.Flow]string{
	record.FlowBrowser:           "authorization_code",
	record.FlowDevice:            "urn:ietf:params:oauth:grant-type:device_code",
	record.FlowClientCredentials: "client_credentials",
	record.FlowPassword:          "password",
}

// SupportedFlows are the login flows a provider's endpoints allow, in the
// order tok prefers them: a flow needs its endpoint (the authorization
// endpoint for the browser, the device authorization endpoint for the
// device flow) and, when the discovery document lists grant types, its
// grant among them.
func SupportedFlows(e oauth.Endpoints) []record.Flow {
	var out []record.Flow
	for _, f := range []record.Flow{record.FlowBrowser, record.FlowDevice, record.FlowClientCredentials, record.FlowPassword} {
		if flowSupported(e, f) {
			out = append(out, f)
		}
	}
	return out
}

func flowSupported(e oauth.Endpoints, f record.Flow) bool {
	switch {
	case f == record.FlowBrowser && e.AuthURL == "", f == record.FlowDevice && e.DeviceAuthURL == "":
		return false
	case f == record.FlowPassword && len(e.GrantTypes) == 0:
		return false // never offered unless the provider lists it: OAuth 2.1 drops it
	}
	return len(e.GrantTypes) == 0 || slices.Contains(e.GrantTypes, grantOf[f])
}

// CheckFlow says, when a profile is added, whether flow can work with the
// provider's endpoints e. A flow whose endpoint is missing is refused (the
// login could only fail); a flow whose grant the discovery document does
// not list gets a warning, since such lists are not always complete.
func CheckFlow(e oauth.Endpoints, flow record.Flow) (warning string, err error) {
	if flow == "" || flow == record.FlowAuto {
		return "", nil
	}
	supported := SupportedFlows(e)
	offers := "it offers no login flow tok knows"
	if len(supported) > 0 {
		names := make([]string, len(supported))
		for i, f := range supported {
			names[i] = string(f)
		}
		offers = "it supports --flow " + strings.Join(names, ", ")
	}
	switch {
	case flow == record.FlowDevice && e.DeviceAuthURL == "":
		return "", fmt.Errorf("the provider has no device authorization endpoint, so --flow device cannot sign in; %s (give --device-auth-url if it has one elsewhere)", offers)
	case flow == record.FlowBrowser && e.AuthURL == "":
		return "", fmt.Errorf("the provider has no authorization endpoint, so --flow browser cannot sign in; %s (give --auth-url if it has one elsewhere)", offers)
	case len(e.GrantTypes) > 0 && !slices.Contains(e.GrantTypes, grantOf[flow]):
		return fmt.Sprintf("warning: the provider's discovery document does not list the %s grant of --flow %s; the login may be refused (%s)", grantOf[flow], flow, offers), nil
	}
	return "", nil
}
