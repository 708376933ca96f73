package store

import "errors"

// ErrNotFound is returned when the named function (or other record) does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is returned by CreateFunction when a function with that name already exists.
var ErrExists = errors.New("already exists")

// ErrReservationLimit is returned by ReserveConcurrency when the reservation would take the sum of
// all reservations above the allowed maximum.
var ErrReservationLimit = errors.New("reservations exceed the allowed total")

// ErrProvisionedOverReserved is returned by ProvisionConcurrency when the function's provisioned
// concurrency would exceed its reserved concurrency.
var ErrProvisionedOverReserved = errors.New("provisioned concurrency exceeds the reservation")

// ErrBelowProvisioned is returned by ReserveConcurrency when the reservation would be less than
// the function's provisioned concurrency.
var ErrBelowProvisioned = errors.New("reservation below the provisioned concurrency")
