package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/floorfeed/floorfeed/mail"
)

// smtpConfig reads the FLOORFEED_SMTP_* settings into c.SMTP and returns
// every problem, each naming its flag and variable. With no host, e-mail is
// off and the other settings are not checked (but a password without a
// host is: it is surely a mistake).
func smtpConfig(c *Config, vals map[string]string, getenv func(string) string) []error {
	var errs []error
	bad := func(flagName, env, v, why string) {
		errs = append(errs, fmt.Errorf("invalid --%s / %s %q: %s", flagName, env, v, why))
	}
	password, err := secretValue(getenv, "FLOORFEED_SMTP_PASSWORD")
	if err != nil {
		errs = append(errs, err)
	}
	m := mail.Config{Host: vals["smtp-host"], Username: vals["smtp-username"], Password: password,
		From: vals["smtp-from"], TLS: vals["smtp-tls"]}
	if m.Host == "" {
		if password != "" || m.Username != "" {
			errs = append(errs, fmt.Errorf("invalid FLOORFEED_SMTP_USERNAME/PASSWORD: set without FLOORFEED_SMTP_HOST"))
		}
		return errs
	}
	if v := vals["smtp-port"]; v != "" {
		if m.Port, err = strconv.Atoi(v); err != nil {
			bad("smtp-port", "FLOORFEED_SMTP_PORT", v, "want a port number")
		}
	}
	if m.Timeout, err = time.ParseDuration(vals["smtp-timeout"]); err != nil || m.Timeout <= 0 {
		bad("smtp-timeout", "FLOORFEED_SMTP_TIMEOUT", vals["smtp-timeout"], "want a duration like 30s")
	}
	if err := m.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("invalid FLOORFEED_SMTP_* settings: %w", err))
	}
	c.SMTP = m
	return errs
}
