package msg

import "testing"

func TestCredentialsChangedRoundTrip(t *testing.T) {
	roundTrip(t, CredentialsChanged{AccountID: "123456789012", KeyID: "AKIAAAAAAAAAAAAAAAAA"})
	roundTrip(t, CredentialsChanged{AccountID: "123456789012"})
}
