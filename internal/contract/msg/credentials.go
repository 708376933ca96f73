package msg

// SubjectCredentialsChanged carries CredentialsChanged: gateway --publish--> every gateway's
// credentials cache, after a key or an account changed through the accounts and keys API.
const SubjectCredentialsChanged = "lambdock.v1.credentials.changed"

// CredentialsChanged says that a key or an account was disabled, enabled, changed or deleted,
// so that every gateway drops what it cached of it. With KeyID it is about that key (of
// AccountID); without, about the account, and every cached key of AccountID is dropped. It
// carries no secret.
type CredentialsChanged struct {
	AccountID string `json:"account_id"`
	KeyID     string `json:"key_id,omitempty"`
}
