package gateway_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// TestLoggingConfig checks LoggingConfig through the API: what CreateFunction and
// UpdateFunctionConfiguration accept and refuse (Lambda's rules and messages), what Get and
// List return, and that it reaches the function.Spec the invoker runs.
func TestLoggingConfig(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	create := func(t *testing.T, name string, logging any) (*lambdaapi.FunctionConfiguration, error) {
		t.Helper()
		var in lambdaapi.CreateFunctionInput
		if err := json.Unmarshal(createBody(t, name, func(m map[string]any) {
			if logging != nil {
				m["LoggingConfig"] = logging
			}
		}), &in); err != nil {
			t.Fatal(err)
		}
		return env.Client.CreateFunction(ctx, &in)
	}
	textLevel := `LogLevel is not supported when LogFormat is set to "Text"`
	tests := []struct {
		name    string
		logging any
		want    lambdaapi.LoggingConfig
		wantErr string
	}{
		{name: "default", want: lambdaapi.LoggingConfig{LogFormat: "Text", LogGroup: "/aws/lambda/default"}},
		{name: "json-defaults", logging: map[string]string{"LogFormat": "JSON"},
			want: lambdaapi.LoggingConfig{LogFormat: "JSON", ApplicationLogLevel: "INFO", SystemLogLevel: "INFO",
				LogGroup: "/aws/lambda/json-defaults"}},
		{name: "json-levels", logging: map[string]string{"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG",
			"SystemLogLevel": "WARN", "LogGroup": "/custom/group"},
			want: lambdaapi.LoggingConfig{LogFormat: "JSON", ApplicationLogLevel: "DEBUG", SystemLogLevel: "WARN",
				LogGroup: "/custom/group"}},
		{name: "text-level", logging: map[string]string{"LogFormat": "Text", "SystemLogLevel": "WARN"}, wantErr: textLevel},
		{name: "level-without-format", logging: map[string]string{"ApplicationLogLevel": "ERROR"}, wantErr: textLevel},
		{name: "bad-format", logging: map[string]string{"LogFormat": "XML"}, wantErr: "'LoggingConfig.LogFormat'"},
		{name: "bad-app-level", logging: map[string]string{"LogFormat": "JSON", "ApplicationLogLevel": "LOUD"},
			wantErr: "'LoggingConfig.ApplicationLogLevel'"},
		{name: "bad-system-level", logging: map[string]string{"LogFormat": "JSON", "SystemLogLevel": "ERROR"},
			wantErr: "'LoggingConfig.SystemLogLevel'"},
		{name: "bad-group", logging: map[string]string{"LogGroup": "has space"}, wantErr: "'LoggingConfig.LogGroup'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := create(t, tt.name, tt.logging)
			if tt.wantErr != "" {
				apiErr(t, "create", err, 400, "InvalidParameterValueException", tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.LoggingConfig != tt.want {
				t.Errorf("create returned %+v, want %+v", out.LoggingConfig, tt.want)
			}
			got, err := env.Client.GetFunctionConfiguration(ctx, tt.name)
			if err != nil || got.LoggingConfig != tt.want {
				t.Errorf("get: %+v, %v; want %+v", got.LoggingConfig, err, tt.want)
			}
		})
	}

	// Update: JSON with levels, a level alone, back to Text (the levels go), a level with Text.
	createFunction(t, env, "upd")
	steps := []struct {
		in      lambdaapi.LoggingConfig
		want    lambdaapi.LoggingConfig
		wantErr string
	}{
		{in: lambdaapi.LoggingConfig{LogFormat: "JSON", SystemLogLevel: "WARN"},
			want: lambdaapi.LoggingConfig{LogFormat: "JSON", ApplicationLogLevel: "INFO", SystemLogLevel: "WARN", LogGroup: "/aws/lambda/upd"}},
		{in: lambdaapi.LoggingConfig{ApplicationLogLevel: "TRACE"},
			want: lambdaapi.LoggingConfig{LogFormat: "JSON", ApplicationLogLevel: "TRACE", SystemLogLevel: "WARN", LogGroup: "/aws/lambda/upd"}},
		{in: lambdaapi.LoggingConfig{LogFormat: "Text"},
			want: lambdaapi.LoggingConfig{LogFormat: "Text", LogGroup: "/aws/lambda/upd"}},
		{in: lambdaapi.LoggingConfig{LogFormat: "Text", ApplicationLogLevel: "INFO"}, wantErr: textLevel},
		{in: lambdaapi.LoggingConfig{LogFormat: "JSON", ApplicationLogLevel: "ERROR", SystemLogLevel: "DEBUG"},
			want: lambdaapi.LoggingConfig{LogFormat: "JSON", ApplicationLogLevel: "ERROR", SystemLogLevel: "DEBUG", LogGroup: "/aws/lambda/upd"}},
	}
	for i, s := range steps {
		in := s.in
		out, err := env.Client.UpdateFunctionConfiguration(ctx, "upd", &lambdaapi.UpdateFunctionConfigurationInput{LoggingConfig: &in})
		if s.wantErr != "" {
			apiErr(t, "update", err, 400, "InvalidParameterValueException", s.wantErr)
			continue
		}
		if err != nil || out.LoggingConfig != s.want {
			t.Fatalf("update %d: %+v, %v; want %+v", i, out, err, s.want)
		}
	}
	list, err := env.Client.ListFunctions(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range list.Functions {
		if f.FunctionName == "upd" && f.LoggingConfig.ApplicationLogLevel != "ERROR" {
			t.Errorf("ListFunctions: %+v", f.LoggingConfig)
		}
	}
	f, err := env.DB.GetFunction(ctx, "000000000000", "upd")
	if err != nil {
		t.Fatal(err)
	}
	want := function.Logging{LogFormat: "JSON", ApplicationLogLevel: "ERROR", SystemLogLevel: "DEBUG"}
	if got := f.Spec().Logging; got != want {
		t.Errorf("spec logging %+v, want %+v", got, want)
	}
}
