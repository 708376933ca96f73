package credentials

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseINI(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]map[string]string
		wantErr string
	}{
		{"two profiles, comments, spacing, case", "# top\n[default]\naws_access_key_id = AKIA1\n" +
			"AWS_Secret_Access_Key=s/1+=\n\n; note\n[ lambdock ]\n  aws_access_key_id=AKIA2  \naws_secret_access_key = s2\n",
			map[string]map[string]string{
				"default":  {"aws_access_key_id": "AKIA1", "aws_secret_access_key": "s/1+="},
				"lambdock": {"aws_access_key_id": "AKIA2", "aws_secret_access_key": "s2"},
			}, ""},
		{"profile prefix and repeated section", "[profile x]\na=1\n[x]\nb=2\n",
			map[string]map[string]string{"x": {"a": "1", "b": "2"}}, ""},
		{"key outside section", "a=1\n", nil, "line 1: key outside"},
		{"no equal sign", "[x]\nsecretvalue\n", nil, "line 2: want key = value"},
		{"unterminated", "[x\n", nil, "line 1: unterminated"},
		{"empty name", "[]\n", nil, "line 1: empty section"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseINI(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "secretvalue") {
					t.Fatalf("error %v, want %q without the line's content", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("got %v, %v", got, err)
			}
			for p, kv := range tt.want {
				for k, v := range kv {
					if got[p][k] != v {
						t.Errorf("[%s] %s = %q, want %q", p, k, got[p][k], v)
					}
				}
			}
		})
	}
}

// TestFindOrder puts credentials in every source and removes them one by one, checking that
// each time the next source in the documented order wins.
func TestFindOrder(t *testing.T) {
	home, data := t.TempDir(), t.TempDir()
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	shared := filepath.Join(home, ".aws", "credentials")
	write(shared, "[default]\naws_access_key_id=SHARED\naws_secret_access_key=s\n"+
		"[team]\naws_access_key_id=TEAM\naws_secret_access_key=s\n")
	write(filepath.Join(data, "credentials"), "[lambdock]\naws_access_key_id=LAMBDOCK\naws_secret_access_key=s\n"+
		"[other]\naws_access_key_id=OTHER\naws_secret_access_key=s\n")
	env := map[string]string{EnvAccessKeyID: "ENV", EnvSecretAccessKey: "s", EnvProfile: "team"}
	src := Sources{DataDir: data, Getenv: func(k string) string { return env[k] }, Home: func() (string, error) { return home, nil }}

	steps := []struct {
		name   string
		change func()
		want   string
		err    error
	}{
		{"--profile wins", func() { src.Profile = "other" }, "OTHER", nil},
		{"AWS_PROFILE next", func() { src.Profile = "" }, "TEAM", nil},
		{"unknown profile is an error", func() { env[EnvProfile] = "nope" }, "", ErrNotFound},
		{"environment next", func() { delete(env, EnvProfile) }, "ENV", nil},
		{"lambdockd's file next", func() { delete(env, EnvAccessKeyID); delete(env, EnvSecretAccessKey) }, "LAMBDOCK", nil},
		{"AWS default profile last", func() { src.DataDir = "" }, "SHARED", nil},
		{"AWS_SHARED_CREDENTIALS_FILE moves it", func() { env[EnvSharedFile] = filepath.Join(home, "none") }, "", ErrNotFound},
	}
	for _, st := range steps {
		st.change()
		got, err := Find(src)
		if st.err != nil {
			if !errors.Is(err, st.err) {
				t.Fatalf("%s: error %v, want %v", st.name, err, st.err)
			}
			continue
		}
		if err != nil || got.AccessKeyID != st.want || got.SecretAccessKey != "s" {
			t.Fatalf("%s: got %+v, %v; want %s", st.name, got, err, st.want)
		}
		if strings.Contains(got.Source, "s\n") {
			t.Fatalf("source leaks: %q", got.Source)
		}
	}
}

func TestFindErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "credentials")
	if err := os.WriteFile(bad, []byte("[lambdock]\naws_access_key_id=X\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{EnvAccessKeyID: "only-id"}
	getenv := func(k string) string { return env[k] }
	noHome := func() (string, error) { return "", errors.New("no home") }
	if _, err := Find(Sources{Getenv: getenv, Home: noHome}); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("half environment: %v", err)
	}
	delete(env, EnvAccessKeyID)
	if _, err := Find(Sources{DataDir: dir, Getenv: getenv, Home: noHome}); err == nil || errors.Is(err, ErrNotFound) ||
		!strings.Contains(err.Error(), "aws_secret_access_key") {
		t.Errorf("profile without secret: %v", err)
	}
	if _, err := Find(Sources{Getenv: getenv, Home: noHome}); !errors.Is(err, ErrNotFound) {
		t.Errorf("nothing anywhere: %v", err)
	}
}
