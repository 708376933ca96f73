package rules

import "time"

// Asynchronous invocation (lambda-api.md §4.1, §9.5).
const (
	// MaxRetryAttempts bounds MaximumRetryAttempts (0–2); DefaultRetryAttempts is Lambda's 2.
	MaxRetryAttempts     = 2
	DefaultRetryAttempts = 2
	// MinEventAgeSec and MaxEventAgeSec bound MaximumEventAgeInSeconds (60–21,600); the default
	// is the maximum, 6 hours.
	MinEventAgeSec     = 60
	MaxEventAgeSec     = 21600
	DefaultEventAgeSec = MaxEventAgeSec
	// ThrottleBackoffMin and ThrottleBackoffMax bound the delay before a throttled (or
	// system-failed) event is tried again: 1 s doubling to 5 minutes.
	ThrottleBackoffMin = time.Second
	ThrottleBackoffMax = 5 * time.Minute
	// MaxDestinationArnLen bounds a destination ARN (350 characters).
	MaxDestinationArnLen = 350
)

// RetryDelay is Lambda's delay before the attempt after a failed attempt n (1-based) of an event:
// about 1 minute before the second attempt and 2 minutes before the third.
func RetryDelay(n int) time.Duration { return time.Duration(max(n, 1)) * time.Minute }

// ThrottleBackoff is the delay before the n-th (1-based) retry of a throttled event: 1 s doubling
// to 5 minutes.
func ThrottleBackoff(n int) time.Duration {
	d := ThrottleBackoffMin
	for i := 1; i < n && d < ThrottleBackoffMax; i++ {
		d *= 2
	}
	return min(d, ThrottleBackoffMax)
}
