package credentials

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lambdock/lambdock/client/lambdaclient"
)

// Names of the sources.
const (
	// LambdockProfile is the profile lambdockd writes to <data-dir>/credentials.
	LambdockProfile = "lambdock"
	// DefaultProfile is the AWS shared credentials file's default profile.
	DefaultProfile = "default"
	// FileName is the name of lambdockd's credentials file in its data directory.
	FileName = "credentials"
)

// Environment variables read, as the AWS CLI and SDKs read them.
const (
	EnvProfile         = "AWS_PROFILE"
	EnvAccessKeyID     = "AWS_ACCESS_KEY_ID"
	EnvSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	EnvSharedFile      = "AWS_SHARED_CREDENTIALS_FILE"
)

// ErrNotFound is returned when no source has credentials (the caller may go unsigned).
var ErrNotFound = errors.New("no credentials found")

// Sources says where to look. Getenv and Home default to os.Getenv and os.UserHomeDir.
type Sources struct {
	// Profile is --profile; "" falls back to AWS_PROFILE.
	Profile string
	// DataDir is lambdockd's data directory on this host (see cmd/lambdockd/config); "" skips
	// lambdockd's credentials file.
	DataDir string
	Getenv  func(string) string
	Home    func() (string, error)
}

// Found is credentials and where they came from (a file and profile, or the environment), for
// messages; it never holds the secret in Source.
type Found struct {
	lambdaclient.Credentials
	Source string
}

// Find returns the first credentials of: the profile named by Profile or AWS_PROFILE (in the
// AWS shared credentials file, then lambdockd's file; an error if absent), the AWS_ACCESS_KEY_ID
// and AWS_SECRET_ACCESS_KEY variables, profile lambdock of <DataDir>/credentials, profile
// default of the AWS shared credentials file (AWS_SHARED_CREDENTIALS_FILE or
// ~/.aws/credentials). ErrNotFound when none has any.
func Find(s Sources) (Found, error) {
	if s.Getenv == nil {
		s.Getenv = os.Getenv
	}
	if s.Home == nil {
		s.Home = os.UserHomeDir
	}
	shared := s.sharedFile()
	lambdockFile := ""
	if s.DataDir != "" {
		lambdockFile = filepath.Join(s.DataDir, FileName)
	}

	profile := s.Profile
	if profile == "" {
		profile = s.Getenv(EnvProfile)
	}
	if profile != "" {
		for _, file := range []string{shared, lambdockFile} {
			f, err := fromFile(file, profile)
			if err == nil || !errors.Is(err, ErrNotFound) {
				return f, err
			}
		}
		return Found{}, fmt.Errorf("profile %q: not in %s: %w", profile, orNone(shared, lambdockFile), ErrNotFound)
	}

	id, secret := s.Getenv(EnvAccessKeyID), s.Getenv(EnvSecretAccessKey)
	switch {
	case id != "" && secret != "":
		return Found{lambdaclient.Credentials{AccessKeyID: id, SecretAccessKey: secret}, "environment"}, nil
	case id != "" || secret != "":
		return Found{}, fmt.Errorf("%s and %s must be set together", EnvAccessKeyID, EnvSecretAccessKey)
	}

	for _, src := range []struct{ file, profile string }{{lambdockFile, LambdockProfile}, {shared, DefaultProfile}} {
		f, err := fromFile(src.file, src.profile)
		if err == nil || !errors.Is(err, ErrNotFound) {
			return f, err
		}
	}
	return Found{}, ErrNotFound
}

// sharedFile is the AWS shared credentials file, or "" when there is no home directory.
func (s Sources) sharedFile() string {
	if f := s.Getenv(EnvSharedFile); f != "" {
		return f
	}
	home, err := s.Home()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, ".aws", "credentials")
}

// fromFile reads profile from file: ErrNotFound when the file, the profile or its keys are
// missing (or the file is unreadable for lack of permission, as lambdockd's root-owned file is
// for other users); other errors when the file is malformed.
func fromFile(file, profile string) (Found, error) {
	if file == "" {
		return Found{}, ErrNotFound
	}
	fh, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return Found{}, ErrNotFound
	}
	if err != nil {
		return Found{}, fmt.Errorf("credentials file %s: %w", file, err)
	}
	defer fh.Close()
	ps, err := parseINI(fh)
	if err != nil {
		return Found{}, fmt.Errorf("credentials file %s: %w", file, err)
	}
	p, ok := ps[profile]
	if !ok {
		return Found{}, ErrNotFound
	}
	id, secret := p["aws_access_key_id"], p["aws_secret_access_key"]
	if id == "" || secret == "" {
		return Found{}, fmt.Errorf("credentials file %s, profile %s: needs aws_access_key_id and aws_secret_access_key",
			file, profile)
	}
	return Found{lambdaclient.Credentials{AccessKeyID: id, SecretAccessKey: secret}, file + " [" + profile + "]"}, nil
}

func orNone(files ...string) string {
	var out []string
	for _, f := range files {
		if f != "" {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return "any credentials file"
	}
	return fmt.Sprint(out)
}
