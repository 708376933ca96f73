package msg

// Schedules: the gateway publishes ScheduleChanged on SubjectScheduleChanged after it created,
// changed or deleted a schedule, so the scheduler (controller/schedule) reloads at once instead
// of at its next periodic reload. Core NATS, at most once: the periodic reload catches up.
const SubjectScheduleChanged = "lambdock.v1.schedule.changed"

// ScheduleChanged says an account's schedule was created, changed or deleted.
type ScheduleChanged struct {
	AccountID string `json:"account_id"`
	Name      string `json:"name"`
}
